// Bearer-token authentication and role checks for the API.
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv, Principal, Role } from "./context.ts";
import { secretsEqual, sha256Hex } from "./crypto.ts";
import { dueForTouch, findTokenByHash, touchToken, type TokenMatch } from "../db/tokens.ts";
import { toRfc3339 } from "../../../contract/index.ts";
import { ApiError } from "./errors.ts";
import { limitAnonymous, limitCaller } from "./rate-limit.ts";

/**
 * admin > editor > viewer > status; agent stands apart and only passes routes made for agents. `status`
 * passes the status API, badges and /metrics only, and sees them as the public does (seesPublicView).
 */
const RANK: Record<Role, number> = { status: 1, viewer: 2, editor: 3, admin: 4, agent: 0 };

export function roleAllows(have: Role, need: Role): boolean {
  if (need === "agent" || have === "agent") return have === need;
  return RANK[have] >= RANK[need];
}

function bearer(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}

const challenge = { "www-authenticate": 'Bearer realm="infra-uptime-monitor"' };

/** Resolves the caller's token to a principal, or null when no Authorization header was sent. */
export async function authenticate(c: Parameters<MiddlewareHandler<AppEnv>>[0]): Promise<Principal | null> {
  const header = c.req.header("authorization");
  if (header === undefined) return null;
  const token = bearer(header);
  if (!token) throw new ApiError("unauthorized", 'Authorization header must be "Bearer <token>"', [], challenge);
  const config = c.get("config");
  if (await secretsEqual(token, config.adminToken)) return { tokenId: null, name: "bootstrap admin", role: "admin" };
  const previous = config.adminTokenPrevious;
  if (previous && (await secretsEqual(token, previous.token))) {
    if (Date.now() >= previous.until)
      throw new ApiError(
        "unauthorized",
        `this is the previous bootstrap admin token (ADMIN_TOKEN_PREVIOUS), refused since ${toRfc3339(previous.until)}; use ADMIN_TOKEN`,
        [],
        challenge,
      );
    // Who still sends the old token is what the operator needs to know before deleting it.
    c.get("log").info("previous bootstrap admin token used", { until: toRfc3339(previous.until) });
    return { tokenId: null, name: "bootstrap admin (previous)", role: "admin" };
  }
  // Tokens carry 256 random bits, so looking one up by its hash reveals nothing usable through timing.
  const row = await findTokenByHash(config.db, await sha256Hex(token));
  if (!row) throw new ApiError("unauthorized", "the token is unknown or has been revoked", [], challenge);
  const now = Date.now();
  const refused = whyRefused(row, now);
  if (refused) throw new ApiError("unauthorized", refused, [], challenge);
  if (dueForTouch(row.last_used_at, now)) c.executionCtx.waitUntil(touchToken(config.db, row.id, now).catch(() => {}));
  return { tokenId: row.id, name: row.name, role: row.role };
}

/** Why a token found by one of its secrets is refused at `now`, or null when that secret is valid. */
export function whyRefused(t: TokenMatch, now: number): string | null {
  if (!t.current) {
    const until = t.previous_expires_at ?? 0;
    return until <= now
      ? `the token "${t.name}" was rotated at ${toRfc3339(t.rotated_at)}; this, its previous secret, stopped working at ${toRfc3339(until)}`
      : null;
  }
  if (t.expires_at !== null && t.expires_at <= now) return `the token "${t.name}" expired at ${toRfc3339(t.expires_at)}`;
  return null;
}

/** Middleware factory: the route needs at least `need` (or exactly `agent`). */
export function requireRole(need: Role): MiddlewareHandler<AppEnv> {
  return async function requireRoleMiddleware(c, next) {
    const principal = await authenticate(c);
    if (!principal) throw new ApiError("unauthorized", 'this endpoint needs a token: send "Authorization: Bearer <token>"', [], challenge);
    // Set before the role check: a refused change is audited with who was refused (api/audit.ts).
    c.set("principal", principal);
    await limitCaller(c, principal);
    if (!roleAllows(principal.role, need))
      throw new ApiError(
        "forbidden",
        need === "agent"
          ? "this endpoint is for probe agents; use an agent token"
          : `this needs the ${need} role; the token "${principal.name}" has ${principal.role}`,
      );
    await next();
  };
}

/** The principal of an anonymous caller of a public page (status pages, their API, badges, /metrics): no more than a status token. */
export const PUBLIC_PRINCIPAL: Principal = { tokenId: null, name: "public", role: "status" };

/**
 * Middleware factory: without a token, public when PUBLIC_STATUS is on; otherwise, or with a token,
 * like requireRole("status"), so a caller who sends a token sees what their role may see.
 */
export function statusOrPublic(): MiddlewareHandler<AppEnv> {
  const status = requireRole("status");
  return async function statusOrPublicMiddleware(c, next) {
    if (c.get("config").publicStatus && c.req.header("authorization") === undefined) {
      c.set("principal", PUBLIC_PRINCIPAL);
      await limitAnonymous(c);
      return next();
    }
    return status(c, next);
  };
}

/**
 * Whether this request gets the public view (api/redact.ts): an anonymous caller of a public page, or a
 * status token, made for wall displays that must not learn the monitors' configuration.
 */
export const seesPublicView = (c: Context<AppEnv>): boolean => {
  const p = c.get("principal");
  return p === PUBLIC_PRINCIPAL || p.role === "status";
};
