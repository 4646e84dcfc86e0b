// The hono environment shared by every route: bindings plus what middleware puts on the context.
import type { Config } from "../config/config.ts";
import type { Env } from "../config/env.ts";
import type { Logger } from "../observability/log.ts";

export const ROLES = ["admin", "editor", "viewer", "status", "agent"] as const;
export type Role = (typeof ROLES)[number];

export type Principal = { tokenId: string | null; name: string; role: Role };

export type AppEnv = {
  Bindings: Env;
  Variables: { config: Config; log: Logger; requestId: string; principal: Principal };
};
