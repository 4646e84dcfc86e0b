// /api/v1/incidents and /api/v1/monitors/:id/incidents: what went down, why, for how long.
import { Hono } from "hono";
import { z } from "zod";
import { toRfc3339 } from "../../../contract/index.ts";
import { requireRole } from "../auth.ts";
import { validate } from "../body.ts";
import type { AppEnv } from "../context.ts";
import { listIncidents, type IncidentRow } from "../db/alerting.ts";
import { getMonitor } from "../db/monitors.ts";
import { ApiError } from "../errors.ts";

const Query = z.strictObject({
  status: z.enum(["open", "resolved"]).optional(),
  monitor: z.string().optional(),
  limit: z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(1, "must be between 1 and 500").max(500, "must be between 1 and 500"))
    .optional(),
});

/** The notifications of these incidents' events (down, up, reminders), per channel, with their outcome. */
async function notificationsFor(db: D1Database, ids: string[]): Promise<Map<string, unknown[]>> {
  const out = new Map<string, unknown[]>();
  if (!ids.length) return out;
  const r = await db
    .prepare(
      `SELECT e.incident_id, e.id AS event_id, e.type, n.channel_id, n.status, n.attempts, n.finished_at, n.reason
       FROM alert_events e JOIN notifications n ON n.event_id = e.id
       WHERE e.incident_id IN (SELECT value FROM json_each(?1)) ORDER BY e.timestamp, n.id`,
    )
    .bind(JSON.stringify(ids))
    .all<{ incident_id: string; event_id: string; type: string; channel_id: string; status: string; attempts: number; finished_at: number | null; reason: string | null }>();
  for (const row of r.results)
    (out.get(row.incident_id) ?? out.set(row.incident_id, []).get(row.incident_id)!).push({
      event: row.event_id,
      type: row.type,
      channel: row.channel_id,
      status: row.status,
      attempts: row.attempts,
      finished_at: toRfc3339(row.finished_at),
      reason: row.reason,
    });
  return out;
}

function view(i: IncidentRow, now: number, notifications: unknown[]) {
  return {
    id: i.id,
    monitor: i.monitor,
    status: i.resolved_at === null ? "open" : "resolved",
    opened_at: toRfc3339(i.opened_at),
    resolved_at: toRfc3339(i.resolved_at),
    duration_s: Math.round(((i.resolved_at ?? now) - i.opened_at) / 1000),
    cause: i.cause,
    first_error: i.first_error,
    last_error: i.last_error,
    reminders_sent: i.reminders_sent,
    notifications,
  };
}

async function answer(db: D1Database, q: { status?: "open" | "resolved"; monitor?: string; limit?: number }) {
  const rows = await listIncidents(db, { ...q, limit: q.limit ?? 100 });
  const notes = await notificationsFor(db, rows.map((r) => r.id));
  const now = Date.now();
  return { incidents: rows.map((r) => view(r, now, notes.get(r.id) ?? [])) };
}

export const incidents = new Hono<AppEnv>();
incidents.get("/", requireRole("viewer"), async (c) => {
  const q = validate(Query, c.req.query(), "query");
  return c.json(await answer(c.get("config").db, q));
});

export const monitorIncidents = new Hono<AppEnv>();
monitorIncidents.get("/:id/incidents", requireRole("viewer"), async (c) => {
  const q = validate(Query.omit({ monitor: true }), c.req.query(), "query");
  const id = c.req.param("id");
  if (!(await getMonitor(c.get("config").db, id))) throw new ApiError("not_found", `no monitor with id "${id}"`);
  return c.json(await answer(c.get("config").db, { ...q, monitor: id }));
});
