// GET /metrics: Prometheus text exposition of monitors, agents and outboxes. Public with PUBLIC_STATUS=true (without
// agents), else a status token or above (a status token sees the public view); a viewer's or higher brings the agents back.
import { Hono } from "hono";
import { notificationCounts } from "../../alerts/delivery.ts";
import { seesPublicView, statusOrPublic } from "../auth.ts";
import type { AppEnv } from "../context.ts";
import { listAgents } from "../../db/agents.ts";
import { getCounters } from "../../db/counters.ts";
import { readLatest } from "../../db/latest.ts";
import { listMonitors } from "../../db/monitors.ts";
import { readOutbox, readUptimeWindows } from "../../db/observability.ts";
import { CONTENT_TYPE, exposition } from "../../observability/metrics.ts";
import { OUTBOX_COUNTERS } from "../../points/outbox.ts";
import { DEAD_LETTER_COUNTER } from "../../scheduler/messages.ts";
import { AUDIT_WRITE_FAILURES } from "../audit.ts";
import { RATE_LIMIT_NAMES } from "../../config/rate-limits.ts";
import { rateLimitedCounter } from "../rate-limit.ts";

export const metrics = new Hono<AppEnv>();

metrics.get("/metrics", statusOrPublic(), async (c) => {
  const config = c.get("config");
  const db = config.db;
  const now = Date.now();
  const publicView = seesPublicView(c);
  const [monitors, latest, uptime, agents, counters, outbox, notifications] = await Promise.all([
    listMonitors(db),
    readLatest(db),
    readUptimeWindows(db, now),
    publicView ? Promise.resolve(null) : listAgents(db),
    getCounters(db, [
      OUTBOX_COUNTERS.dropped,
      OUTBOX_COUNTERS.delivered,
      DEAD_LETTER_COUNTER,
      AUDIT_WRITE_FAILURES,
      ...RATE_LIMIT_NAMES.map(rateLimitedCounter),
    ]),
    readOutbox(db),
    notificationCounts(db),
  ]);
  const body = exposition({
    now,
    monitors: monitors.map((m) => ({
      id: m.spec.id,
      name: m.spec.name,
      group: m.spec.group,
      kind: m.spec.kind,
      runner: m.spec.runner,
      status: m.state.status,
    })),
    latest,
    uptime,
    agents,
    pointStore: config.influx ? "influxdb" : "embedded",
    outbox: {
      depth: outbox.depth,
      capacity: config.outboxMaxPoints,
      oldest_enqueued_at: outbox.oldest_enqueued_at,
      dropped: counters[OUTBOX_COUNTERS.dropped]!,
      delivered: counters[OUTBOX_COUNTERS.delivered]!,
    },
    notifications: { pending: notifications.pending, dead: notifications.dead },
    deadLetteredBatches: counters[DEAD_LETTER_COUNTER]!,
    auditWriteFailures: counters[AUDIT_WRITE_FAILURES]!,
    rateLimited: Object.fromEntries(RATE_LIMIT_NAMES.map((l) => [l, counters[rateLimitedCounter(l)]!])),
  });
  return c.body(body, 200, { "content-type": CONTENT_TYPE, "cache-control": "no-store" });
});
