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

/** Notifications sent for an incident, if the notifications table exists (alert delivery). */
async function notificationsFor(db: D1Database, ids: string[]): Promise<Map<string, unknown[]>> {
  const out = new Map<string, unknown[]>();
  if (!ids.length) return out;
  try {
    const r = await db
      .prepare(
        `SELECT n.event_id, n.channel_id, n.status, n.attempts, n.delivered_at, n.event_type
         FROM notifications n WHERE n.incident_id IN (SELECT value FROM json_each(?1)) ORDER BY n.created_at`,
      )
      .bind(JSON.stringify(ids))
      .all<{ event_id: string; channel_id: string; status: string; attempts: number; delivered_at: number | null; event_type: string; incident_id?: string }>();
    for (const row of r.results) {
      const incident = /^evt_(inc_.+)_(down|up|reminder)/.exec(row.event_id)?.[1];
      if (!incident) continue;
      (out.get(incident) ?? out.set(incident, []).get(incident)!).push({
        event: row.event_id,
        type: row.event_type,
        channel: row.channel_id,
        status: row.status,
        attempts: row.attempts,
        delivered_at: toRfc3339(row.delivered_at),
      });
    }
  } catch {
    /* delivery not set up: no notifications to list */
  }
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
