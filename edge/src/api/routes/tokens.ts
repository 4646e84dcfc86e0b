// /api/v1/tokens: admins create, list, rotate and revoke API tokens. A token's secret is shown once.
import { Hono } from "hono";
import { z } from "zod";
import { GraceSeconds, PlainText, toRfc3339 } from "../../../../contract/index.ts";
import { countOf } from "../../db/counts.ts";
import { requireRoom } from "../limits.ts";
import { requireRole } from "../auth.ts";
import { limitBody, readBody, readJson, validate } from "../body.ts";
import type { AppEnv } from "../context.ts";
import { newToken, randomId, sha256Hex } from "../crypto.ts";
import { deleteToken, insertToken, listTokens, rotateToken, type TokenRow } from "../../db/tokens.ts";
import { ApiError } from "../errors.ts";

/** The shortest and longest lifetime one may ask for (TOKEN_MAX_LIFETIME_DAYS may lower the longest). */
export const MIN_LIFETIME_S = 60;
export const MAX_LIFETIME_S = 3650 * 86_400;
/** How long a rotated token's previous secret may stay valid, and does when the caller does not say. */
export const MAX_GRACE_S = 7 * 86_400;
export const DEFAULT_GRACE_S = 3600;

const ExpiresIn = z
  .number("must be a number of seconds")
  .int("must be a whole number of seconds")
  .min(MIN_LIFETIME_S, `must be at least ${MIN_LIFETIME_S}`)
  .max(MAX_LIFETIME_S, `must be at most ${MAX_LIFETIME_S} (10 years)`)
  .optional();

export const TokenRequest = z.strictObject({
  name: PlainText(100),
  role: z.enum(
    ["admin", "editor", "viewer", "status"],
    'must be "admin", "editor", "viewer" or "status" (agent tokens come from POST /api/v1/agents)',
  ),
  /** Seconds from now until the secret is refused; omitted: TOKEN_MAX_LIFETIME_DAYS when set, else never. */
  expires_in_s: ExpiresIn,
});

export const RotateRequest = z.strictObject({
  /** Seconds the secret being replaced stays valid (never beyond its own expiry). */
  grace_s: GraceSeconds(MAX_GRACE_S, DEFAULT_GRACE_S, { max: " (7 days)" }),
  /** The new secret's lifetime, as at creation. */
  expires_in_s: ExpiresIn,
});

/**
 * When a secret issued at `now` expires (epoch ms, null: never): `expiresInS` when given, else the
 * maximum lifetime when one is set. A lifetime over the maximum is refused, naming the field.
 */
export function expiryOf(expiresInS: number | undefined, now: number, maxLifetimeMs: number | null): number | null {
  if (expiresInS === undefined) return maxLifetimeMs === null ? null : now + maxLifetimeMs;
  if (maxLifetimeMs !== null && expiresInS * 1000 > maxLifetimeMs)
    throw new ApiError("invalid_input", "the token would outlive TOKEN_MAX_LIFETIME_DAYS", [
      {
        path: "expires_in_s",
        message: `must be at most ${maxLifetimeMs / 1000} (TOKEN_MAX_LIFETIME_DAYS=${maxLifetimeMs / 86_400_000})`,
      },
    ]);
  return now + expiresInS * 1000;
}

/** A token as the API lists it: never a secret. */
export const tokenView = (r: TokenRow) => ({
  id: r.id,
  name: r.name,
  role: r.role,
  created_at: toRfc3339(r.created_at),
  expires_at: toRfc3339(r.expires_at),
  last_used_at: toRfc3339(r.last_used_at),
  rotated_at: toRfc3339(r.rotated_at),
  previous_expires_at: toRfc3339(r.previous_expires_at),
});

export const tokens = new Hono<AppEnv>();
tokens.use("*", requireRole("admin"));

tokens.post("/", limitBody(), async (c) => {
  const req = await readBody(c, TokenRequest, "token request");
  const { db, caps, tokenMaxLifetimeMs } = c.get("config");
  const now = Date.now();
  const expiresAt = expiryOf(req.expires_in_s, now, tokenMaxLifetimeMs);
  requireRoom("API tokens", await countOf(db, "tokens"), caps.tokens, "MAX_TOKENS");
  const token = newToken();
  const id = randomId("tok");
  await insertToken(db, { id, name: req.name, role: req.role, hash: await sha256Hex(token), now, expiresAt }).run();
  c.get("log").info("token created", { token_id: id, role: req.role, by: c.get("principal").name });
  return c.json({ id, name: req.name, role: req.role, token, created_at: toRfc3339(now), expires_at: toRfc3339(expiresAt) }, 201);
});

tokens.get("/", async (c) => {
  const rows = await listTokens(c.get("config").db);
  return c.json({ tokens: rows.map(tokenView) });
});

/**
 * A new secret for the same token (name, role and an agent's registration stay), shown once; the one it
 * replaces stays valid for `grace_s`, so whoever holds it can switch without downtime. An empty body
 * takes the defaults.
 */
tokens.post("/:id/rotate", limitBody(), async (c) => {
  const empty = c.req.header("content-type") === undefined && (await c.req.text()) === "";
  const req = validate(RotateRequest, empty ? {} : await readJson(c), "rotation");
  const { db, tokenMaxLifetimeMs } = c.get("config");
  const id = c.req.param("id");
  const now = Date.now();
  const expiresAt = expiryOf(req.expires_in_s, now, tokenMaxLifetimeMs);
  const token = newToken();
  const row = await rotateToken(db, { id, hash: await sha256Hex(token), now, expiresAt, graceUntil: now + req.grace_s * 1000 });
  if (!row) throw new ApiError("not_found", `no token with id "${id}"`);
  c.get("log").info("token rotated", { token_id: id, grace_s: req.grace_s, by: c.get("principal").name });
  return c.json({ ...tokenView(row), token });
});

tokens.delete("/:id", async (c) => {
  const id = c.req.param("id");
  if (!(await deleteToken(c.get("config").db, id))) throw new ApiError("not_found", `no token with id "${id}"`);
  c.get("log").info("token revoked", { token_id: id, by: c.get("principal").name });
  return c.body(null, 204);
});
