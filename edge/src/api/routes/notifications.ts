// /api/v1/notifications: the alert outbox for admins: what is pending, delivered, dead or skipped, with every attempt.
import { Hono } from "hono";
import { z } from "zod";
import { MonitorId, Slug, toRfc3339 } from "../../../../contract/index.ts";
import { requireRole } from "../auth.ts";
import { validate } from "../body.ts";
import type { AppEnv } from "../context.ts";
import { receiverAnswersApart } from "../redact.ts";
import { NOTIFICATION_STATUSES, listNotifications } from "../../db/notifications.ts";

export function notificationView(r: Awaited<ReturnType<typeof listNotifications>>[number]) {
  return {
    id: r.id,
    channel: r.channel_id,
    status: r.status,
    reason: r.reason,
    event: { id: r.event_id, type: r.type, timestamp: toRfc3339(r.timestamp), monitor: r.monitor_id, incident: r.incident_id },
    created_at: toRfc3339(r.created_at),
    next_attempt_at: r.status === "pending" ? toRfc3339(r.next_attempt_at) : null,
    finished_at: toRfc3339(r.finished_at),
    attempts: r.attempt_list.map((a) => ({ n: a.n, at: toRfc3339(a.at), status: a.status, error: a.error, duration_ms: a.duration_ms })),
  };
}

const NotificationsQuery = z
  .strictObject({
    status: z.enum(NOTIFICATION_STATUSES).optional(),
    channel: Slug.optional(),
    monitor: MonitorId.optional(),
    limit: z.string().regex(/^\d+$/, "must be a whole number").optional(),
  })
  .transform((q, ctx) => {
    const limit = q.limit === undefined ? 100 : Number(q.limit);
    if (limit < 1 || limit > 1000) ctx.addIssue({ code: "custom", path: ["limit"], message: "must be between 1 and 1000" });
    return { ...q, limit };
  });

export const notifications = new Hono<AppEnv>();
notifications.use("*", requireRole("admin"));

notifications.get("/", async (c) => {
  const q = validate(NotificationsQuery, c.req.query(), "query");
  const rows = await listNotifications(c.get("config").db, q);
  return c.json({ notifications: rows.map((r) => receiverAnswersApart(notificationView(r))) });
});
