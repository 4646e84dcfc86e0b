// /api/v1/monitors/:id/checks and /uptime: recent results and uptime over a window, from the point store.
import { Hono } from "hono";
import { z } from "zod";
import { parseTimeParam, timeRangeProblem, toRfc3339 } from "../../../../contract/index.ts";
import { requireRole } from "../auth.ts";
import { validate } from "../body.ts";
import type { AppEnv } from "../context.ts";
import { getMonitor } from "../../db/monitors.ts";
import { ApiError } from "../errors.ts";
import { errorView } from "../redact.ts";
import { createPointStore } from "../../points/index.ts";
import { PointStoreError } from "../../points/store.ts";
import { DAY, HOUR } from "../../status/rollups.ts";
import { historyStart } from "../../status/summary.ts";

const MAX_BUCKETS = 5000;
/** Query times reach back five years and a day ahead: further is no history this product keeps. */
const QUERY_PAST_MS = 5 * 366 * DAY;
const QUERY_AHEAD_MS = DAY;

/** A query time (`from`, `to`): epoch ms or RFC 3339, five years back to a day ahead. */
export const queryTime = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined) return undefined;
    const ms = parseTimeParam(v);
    if (ms === undefined) {
      ctx.addIssue({ code: "custom", message: "must be epoch milliseconds or an RFC 3339 timestamp" });
      return z.NEVER;
    }
    const range = timeRangeProblem(ms, Date.now(), QUERY_PAST_MS, QUERY_AHEAD_MS);
    if (range) {
      ctx.addIssue({ code: "custom", message: range });
      return z.NEVER;
    }
    return ms;
  });

/** The window `from <= ts < to`; to defaults to now, from to 24 hours before to. */
function windowOf(q: { from?: number; to?: number }) {
  const to = q.to ?? Date.now() + 1;
  const from = q.from ?? to - DAY;
  if (from >= to) throw new ApiError("invalid_input", "query is invalid: 1 problem", [{ path: "from", message: "must be before to" }]);
  return { from, to };
}

const ChecksQuery = z
  .strictObject({ from: queryTime, to: queryTime, limit: z.string().regex(/^\d+$/, "must be a whole number").optional() })
  .transform((q, ctx) => {
    const limit = q.limit === undefined ? 100 : Number(q.limit);
    if (limit < 1 || limit > 1000) ctx.addIssue({ code: "custom", path: ["limit"], message: "must be between 1 and 1000" });
    return { ...q, limit };
  });

const UptimeQuery = z.strictObject({ from: queryTime, to: queryTime, bucket: z.enum(["1h", "1d"]).optional() });

export const history = new Hono<AppEnv>();

async function monitorOr404(db: D1Database, id: string) {
  const m = await getMonitor(db, id);
  if (!m) throw new ApiError("not_found", `no monitor with id "${id}"`);
  return m;
}

function storeError(e: unknown): never {
  if (e instanceof PointStoreError) throw new ApiError("unavailable", `the point store cannot answer: ${e.message}`);
  throw e;
}

history.get("/:id/checks", requireRole("viewer"), async (c) => {
  const q = validate(ChecksQuery, c.req.query(), "query");
  const w = windowOf(q);
  const m = await monitorOr404(c.get("config").db, c.req.param("id"));
  const store = createPointStore(c.get("config"), fetch);
  const from = Math.max(w.from, historyStart(m.created_at, c.get("config").resultMaxAheadMs));
  const checks =
    from >= w.to ? [] : await store.checks({ monitor: m.spec.id, kind: m.spec.kind, from, to: w.to, limit: q.limit }).catch(storeError);
  const role = c.get("principal").role;
  return c.json({
    checks: checks.map((r) => ({
      ...r,
      ts: toRfc3339(r.ts),
      error: errorView(r.error, role, { monitorKind: m.spec.kind, httpStatus: r.http?.status }),
    })),
  });
});

history.get("/:id/uptime", requireRole("viewer"), async (c) => {
  const q = validate(UptimeQuery, c.req.query(), "query");
  const w = windowOf(q);
  const bucket = q.bucket ?? null;
  if (bucket && (w.to - w.from) / (bucket === "1h" ? HOUR : DAY) > MAX_BUCKETS)
    throw new ApiError("invalid_input", `that window has more than ${MAX_BUCKETS} ${bucket} buckets; use a shorter window or bucket=1d`, [
      { path: "bucket", message: "too many buckets for the window" },
    ]);
  const m = await monitorOr404(c.get("config").db, c.req.param("id"));
  const store = createPointStore(c.get("config"), fetch);
  const r = await store
    .uptime({
      monitor: m.spec.id,
      kind: m.spec.kind,
      from: Math.max(w.from, historyStart(m.created_at, c.get("config").resultMaxAheadMs)),
      to: w.to,
      bucket,
    })
    .catch(storeError);
  return c.json({
    monitor: m.spec.id,
    from: toRfc3339(w.from),
    to: toRfc3339(w.to),
    bucket,
    uptime: r.uptime,
    checks: r.checks,
    up: r.up,
    avg_latency_ms: r.avg_latency_ms,
    no_data: r.checks === 0,
    buckets: r.buckets.map((b) => ({ ...b, start: toRfc3339(b.start) })),
  });
});
