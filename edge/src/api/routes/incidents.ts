// /api/v1/incidents and /api/v1/monitors/:id/incidents: what went down, why, for how long.
import { Hono } from "hono";
import { z } from "zod";
import { toRfc3339 } from "../../../../contract/index.ts";
import { requireRole } from "../auth.ts";
import { validate } from "../body.ts";
import type { AppEnv, Role } from "../context.ts";
import { errorView } from "../redact.ts";
import { listIncidents, type IncidentRow } from "../../db/alerting.ts";
import { getMonitor } from "../../db/monitors.ts";
import { incidentNotifications } from "../../db/notifications.ts";
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

function view(i: IncidentRow, now: number, notifications: unknown[], role: Role) {
  return {
    id: i.id,
    monitor: i.monitor,
    status: i.resolved_at === null ? "open" : "resolved",
    opened_at: toRfc3339(i.opened_at),
    resolved_at: toRfc3339(i.resolved_at),
    duration_s: Math.round(((i.resolved_at ?? now) - i.opened_at) / 1000),
    cause: i.cause,
    first_error: errorView(i.first_error, role),
    last_error: errorView(i.last_error, role),
    reminders_sent: i.reminders_sent,
    notifications,
  };
}

async function answer(db: D1Database, q: { status?: "open" | "resolved"; monitor?: string; limit?: number }, role: Role) {
  const rows = await listIncidents(db, { ...q, limit: q.limit ?? 100 });
  const notes = await incidentNotifications(
    db,
    rows.map((r) => r.id),
  );
  const now = Date.now();
  return { incidents: rows.map((r) => view(r, now, notes.get(r.id) ?? [], role)) };
}

export const incidents = new Hono<AppEnv>();
incidents.get("/", requireRole("viewer"), async (c) => {
  const q = validate(Query, c.req.query(), "query");
  return c.json(await answer(c.get("config").db, q, c.get("principal").role));
});

export const monitorIncidents = new Hono<AppEnv>();
monitorIncidents.get("/:id/incidents", requireRole("viewer"), async (c) => {
  const q = validate(Query.omit({ monitor: true }), c.req.query(), "query");
  const id = c.req.param("id");
  if (!(await getMonitor(c.get("config").db, id))) throw new ApiError("not_found", `no monitor with id "${id}"`);
  return c.json(await answer(c.get("config").db, { ...q, monitor: id }, c.get("principal").role));
});
