// The status UI: the app shell for / and /monitors/:id, and its bundled assets, from the ASSETS binding.
// The shell holds no data (the page reads the API), so it is public; access is decided by the API.
import { Hono, type Context } from "hono";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";

export const ui = new Hono<AppEnv>();

async function fromAssets(c: Context<AppEnv>, path: string): Promise<Response> {
  if (!c.env.ASSETS) throw new ApiError("not_found", "the status UI is not deployed with this Worker (no ASSETS binding in wrangler.toml)");
  const res = await c.env.ASSETS.fetch(new Request(new URL(path, c.req.url), c.req.raw));
  if (res.status === 404) throw new ApiError("not_found", `no asset at ${path}`);
  return new Response(res.body, res);
}

const shell = (c: Context<AppEnv>) => fromAssets(c, "/");

ui.get("/", shell);
ui.get("/monitors/:id", shell);
ui.get("/assets/*", (c) => fromAssets(c, c.req.path));
