// The audit log's writer: the middleware that records each change under the action its route has in audit-actions.ts.
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { type AuditEntry, insertAudit } from "../db/audit.ts";
import { addCounter } from "../db/counters.ts";
import { AUDIT_ACTIONS, type Audited, MUTATING_METHODS, type NotAudited } from "./audit-actions.ts";
import type { AppEnv } from "./context.ts";

/** The named counter of audit entries that could not be written (the change was made): /metrics shows it. */
export const AUDIT_WRITE_FAILURES = "audit_write_failures";

/** The pattern of the route that answered (`/api/v1/monitors/:id`), from hono's router; null when none matched (404). */
function routePattern(c: Context<AppEnv>): string | null {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) if (routes[i]!.method === c.req.method) return routes[i]!.path;
  return null;
}

/** The value of the pattern's parameter (`:id`) in the request's path, decoded. */
function pathParam(pattern: string, path: string): string | null {
  const at = pattern.split("/").findIndex((s) => s.startsWith(":"));
  const raw = at < 0 ? undefined : path.split("/")[at];
  if (!raw) return null;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Top-level field names of the JSON body the handler read (never their values); nothing when it read none. */
async function sentFields(c: Context<AppEnv>): Promise<string[]> {
  const text = c.req.bodyCache.text;
  if (!text) return [];
  try {
    const v: unknown = JSON.parse(await text);
    if (v && typeof v === "object" && !Array.isArray(v))
      return Object.keys(v)
        .slice(0, 50)
        .map((k) => k.slice(0, 64))
        .sort();
  } catch {
    /* not JSON: the handler refused it */
  }
  return [];
}

async function answerOf(res: Response): Promise<Record<string, unknown>> {
  if (!res.headers.get("content-type")?.startsWith("application/json")) return {};
  try {
    const v: unknown = await res.clone().json();
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const clip = (v: unknown, n: number): string | null => (typeof v === "string" && v !== "" ? v.slice(0, n) : null);

/**
 * Middleware: after a mutating route answered 2xx (done) or 403 (refused for the token's role), records one entry, awaited
 * before the answer leaves. A failed write does not undo the change: it is logged with the whole entry and counted.
 */
export function auditChanges(): MiddlewareHandler<AppEnv> {
  return async function auditChangesMiddleware(c, next) {
    await next();
    const status = c.res.status;
    const principal = c.get("principal");
    if (!MUTATING_METHODS.includes(c.req.method) || !principal || !((status >= 200 && status < 300) || status === 403)) return;
    const pattern = routePattern(c);
    if (pattern === null) return;
    const rule: Audited | NotAudited | undefined = (AUDIT_ACTIONS as Record<string, Audited | NotAudited>)[`${c.req.method} ${pattern}`];
    if (rule && "exempt" in rule) return;
    const log = c.get("log");
    if (!rule) log.error("a mutating route has no audit action: add it to AUDIT_ACTIONS (api/audit-actions.ts)", { route: pattern });
    const done = status !== 403;
    const answer = done && (rule?.answer || !pattern.includes("/:")) ? await answerOf(c.res) : {};
    const detail: Record<string, unknown> = {};
    const fields = done ? await sentFields(c) : [];
    if (fields.length) detail.fields = fields;
    for (const k of rule?.answer ?? [])
      if (["string", "number", "boolean"].includes(typeof answer[k]))
        detail[k] = typeof answer[k] === "string" ? clip(answer[k], 100) : answer[k];
    const entry: AuditEntry = {
      at: Date.now(),
      token_id: principal.tokenId,
      token_name: principal.name,
      role: principal.role,
      action: rule?.action ?? "unlisted",
      target_type: rule?.target ?? pattern,
      target_id: clip(pathParam(pattern, c.req.path) ?? answer.id, 200),
      request_id: clip(c.get("requestId"), 200) ?? "",
      source_address: clip(c.req.header("cf-connecting-ip"), 64),
      status,
      detail: JSON.stringify(detail),
    };
    const db = c.get("config").db;
    try {
      await insertAudit(db, entry).run();
    } catch (error) {
      log.error("audit entry not written; the change stands", { error, audit: entry });
      await addCounter(db, AUDIT_WRITE_FAILURES, 1, entry.at)
        .run()
        .catch(() => {});
    }
  };
}
