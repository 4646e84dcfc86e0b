// GET /api/v1/audit: the audit log for admins, newest first, filtered and paged with an opaque cursor.
import { Hono } from "hono";
import { z } from "zod";
import { toRfc3339 } from "../../../../contract/index.ts";
import { ACTIONS, TARGET_TYPES } from "../audit-actions.ts";
import { requireRole } from "../auth.ts";
import { validate } from "../body.ts";
import type { AppEnv } from "../context.ts";
import { base64url } from "../crypto.ts";
import { type AuditKey, type AuditQuery, type AuditRow, listAudit } from "../../db/audit.ts";
import { queryTime } from "./history.ts";

/** `token_id=bootstrap` selects the bootstrap admin's entries (ADMIN_TOKEN has no token id). */
export const BOOTSTRAP_TOKEN_ID = "bootstrap";

/** `next_cursor`: the page's last entry's time and id, base64url JSON (opaque to callers). */
export const encodeAuditCursor = (k: AuditKey): string => base64url(new TextEncoder().encode(JSON.stringify([k.at, k.id])));

function decodeAuditCursor(cursor: string): AuditKey | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return null;
  try {
    const k: unknown = JSON.parse(atob(cursor.replace(/-/g, "+").replace(/_/g, "/")));
    if (Array.isArray(k) && k.length === 2 && k.every((n) => Number.isSafeInteger(n) && n >= 0)) return { at: k[0], id: k[1] };
  } catch {
    /* not base64url JSON */
  }
  return null;
}

const actionFilter = z.string().transform((v, ctx): AuditQuery["action"] => {
  if (ACTIONS.includes(v)) return { exact: v };
  const resource = v.endsWith(".") ? v.slice(0, -1) : v;
  if ((TARGET_TYPES as readonly string[]).includes(resource)) return { prefix: `${resource}.` };
  ctx.addIssue({
    code: "custom",
    message: `must be an action (${ACTIONS.join(", ")}) or a resource (${TARGET_TYPES.join(", ")}), e.g. monitor.`,
  });
  return z.NEVER;
});

const targetFilter = z.string().transform((v, ctx): AuditQuery["target"] => {
  const colon = v.indexOf(":");
  const type = colon < 0 ? v : v.slice(0, colon);
  const id = colon < 0 ? undefined : v.slice(colon + 1);
  if (!(TARGET_TYPES as readonly string[]).includes(type) || id === "" || (id?.length ?? 0) > 200) {
    ctx.addIssue({ code: "custom", message: `must be "<type>:<id>" or "<type>", the type one of ${TARGET_TYPES.join(", ")}` });
    return z.NEVER;
  }
  return id === undefined ? { type } : { type, id };
});

const AuditQuerySchema = z
  .strictObject({
    token_id: z.string().min(1, "must not be empty").max(200, "must be at most 200 characters").optional(),
    action: actionFilter.optional(),
    target: targetFilter.optional(),
    from: queryTime,
    to: queryTime,
    limit: z.string().regex(/^\d+$/, "must be a whole number").optional(),
    cursor: z
      .string()
      .transform((v, ctx) => {
        const key = decodeAuditCursor(v);
        if (key) return key;
        ctx.addIssue({ code: "custom", message: "must be a next_cursor this API returned" });
        return z.NEVER;
      })
      .optional(),
  })
  .transform((q, ctx): AuditQuery => {
    const limit = q.limit === undefined ? 100 : Number(q.limit);
    if (limit < 1 || limit > 1000) ctx.addIssue({ code: "custom", path: ["limit"], message: "must be between 1 and 1000" });
    if (q.from !== undefined && q.to !== undefined && q.from >= q.to)
      ctx.addIssue({ code: "custom", path: ["from"], message: "must be before to" });
    return {
      ...(q.token_id === undefined ? {} : { token: { id: q.token_id === BOOTSTRAP_TOKEN_ID ? null : q.token_id } }),
      ...(q.action ? { action: q.action } : {}),
      ...(q.target ? { target: q.target } : {}),
      ...(q.from === undefined ? {} : { from: q.from }),
      ...(q.to === undefined ? {} : { to: q.to }),
      after: q.cursor ?? null,
      limit,
    };
  });

function view(r: AuditRow) {
  return {
    id: r.id,
    at: toRfc3339(r.at),
    token_id: r.token_id,
    token_name: r.token_name,
    role: r.role,
    action: r.action,
    target_type: r.target_type,
    target_id: r.target_id,
    request_id: r.request_id,
    source_address: r.source_address,
    status: r.status,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
  };
}

export const audit = new Hono<AppEnv>();

audit.get("/", requireRole("admin"), async (c) => {
  const q = validate(AuditQuerySchema, c.req.query(), "query");
  const rows = await listAudit(c.get("config").db, q);
  const page = rows.slice(0, q.limit);
  return c.json({ entries: page.map(view), next_cursor: rows.length > q.limit ? encodeAuditCursor(page.at(-1)!) : null });
});
