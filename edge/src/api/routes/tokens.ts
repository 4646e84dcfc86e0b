// /api/v1/tokens: admins create, list and revoke API tokens. A token's secret is shown once.
import { Hono } from "hono";
import { z } from "zod";
import { PlainText, toRfc3339 } from "../../../../contract/index.ts";
import { countOf } from "../../db/counts.ts";
import { requireRoom } from "../limits.ts";
import { requireRole } from "../auth.ts";
import { limitBody, readBody } from "../body.ts";
import type { AppEnv } from "../context.ts";
import { newToken, randomId, sha256Hex } from "../crypto.ts";
import { deleteToken, insertToken, listTokens } from "../../db/tokens.ts";
import { ApiError } from "../errors.ts";

export const TokenRequest = z.strictObject({
  name: PlainText(100),
  role: z.enum(["admin", "editor", "viewer"], 'must be "admin", "editor" or "viewer" (agent tokens come from POST /api/v1/agents)'),
});

export const tokens = new Hono<AppEnv>();
tokens.use("*", requireRole("admin"));

tokens.post("/", limitBody(), async (c) => {
  const req = await readBody(c, TokenRequest, "token request");
  const { db, caps } = c.get("config");
  requireRoom("API tokens", await countOf(db, "tokens"), caps.tokens, "MAX_TOKENS");
  const token = newToken();
  const id = randomId("tok");
  const now = Date.now();
  await insertToken(c.get("config").db, { id, name: req.name, role: req.role, hash: await sha256Hex(token), now }).run();
  c.get("log").info("token created", { token_id: id, role: req.role, by: c.get("principal").name });
  return c.json({ id, name: req.name, role: req.role, token, created_at: toRfc3339(now) }, 201);
});

tokens.get("/", async (c) => {
  const rows = await listTokens(c.get("config").db);
  return c.json({
    tokens: rows.map((r) => ({
      id: r.id,
      name: r.name,
      role: r.role,
      created_at: toRfc3339(r.created_at),
      last_used_at: toRfc3339(r.last_used_at),
    })),
  });
});

tokens.delete("/:id", async (c) => {
  const id = c.req.param("id");
  if (!(await deleteToken(c.get("config").db, id))) throw new ApiError("not_found", `no token with id "${id}"`);
  c.get("log").info("token revoked", { token_id: id, by: c.get("principal").name });
  return c.body(null, 204);
});
