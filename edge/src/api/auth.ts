// Bearer-token authentication and role checks for the API.
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv, Principal, Role } from "./context.ts";
import { secretsEqual, sha256Hex } from "./crypto.ts";
import { findTokenByHash, touchToken } from "../db/tokens.ts";
import { ApiError } from "./errors.ts";

/** admin > editor > viewer; agent stands apart and only passes routes made for agents. */
const RANK: Record<Role, number> = { viewer: 1, editor: 2, admin: 3, agent: 0 };

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
  // Tokens carry 256 random bits, so looking one up by its hash reveals nothing usable through timing.
  const row = await findTokenByHash(config.db, await sha256Hex(token));
  if (!row) throw new ApiError("unauthorized", "the token is unknown or has been revoked", [], challenge);
  c.executionCtx.waitUntil(touchToken(config.db, row.id, Date.now()).catch(() => {}));
  return { tokenId: row.id, name: row.name, role: row.role };
}

/** Middleware factory: the route needs at least `need` (or exactly `agent`). */
export function requireRole(need: Role): MiddlewareHandler<AppEnv> {
  return async function requireRoleMiddleware(c, next) {
    const principal = await authenticate(c);
    if (!principal) throw new ApiError("unauthorized", 'this endpoint needs a token: send "Authorization: Bearer <token>"', [], challenge);
    if (!roleAllows(principal.role, need))
      throw new ApiError(
        "forbidden",
        need === "agent"
          ? "this endpoint is for probe agents; use an agent token"
          : `this needs the ${need} role; the token "${principal.name}" has ${principal.role}`,
      );
    c.set("principal", principal);
    await next();
  };
}

/** The principal of an anonymous caller of a public page (status pages, their API, badges, /metrics). */
export const PUBLIC_PRINCIPAL: Principal = { tokenId: null, name: "public", role: "viewer" };

/**
 * Middleware factory: without a token, public when PUBLIC_STATUS is on; otherwise, or with a token,
 * like requireRole("viewer"), so a caller who sends a token sees what their role may see.
 */
export function viewerOrPublic(): MiddlewareHandler<AppEnv> {
  const viewer = requireRole("viewer");
  return async function viewerOrPublicMiddleware(c, next) {
    if (c.get("config").publicStatus && c.req.header("authorization") === undefined) {
      c.set("principal", PUBLIC_PRINCIPAL);
      return next();
    }
    return viewer(c, next);
  };
}

/** Whether this request is an anonymous caller of a public page. */
export const isPublicCaller = (c: Context<AppEnv>): boolean => c.get("principal") === PUBLIC_PRINCIPAL;
