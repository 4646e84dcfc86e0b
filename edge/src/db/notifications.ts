// The notification outbox in D1: alert events, one notification per (event, channel), each attempt.
import type { Channel } from "../alerts/channels/types.ts";
import type { AlertEvent, EventName } from "../alerts/events.ts";
import { toRfc3339 } from "../../../contract/index.ts";
import { channelFromRow } from "./channels.ts";

export const NOTIFICATION_STATUSES = ["pending", "delivered", "dead", "skipped"] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

export function insertEvent(db: D1Database, event: AlertEvent, now: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO alert_events (id, type, monitor_id, incident_id, timestamp, payload, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    )
    .bind(event.id, event.type, event.monitor.id, event.incident?.id ?? null, event.timestamp, JSON.stringify(event), now);
}

/** One pending notification for each enabled channel that wants this event; existing ones are kept. */
export function insertForMatchingChannels(db: D1Database, event: AlertEvent, name: EventName, now: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO notifications (event_id, channel_id, created_at)
       SELECT ?1, c.id, ?4 FROM channels c
       WHERE c.enabled = 1
         AND (json_array_length(c.monitors) = 0 OR EXISTS (SELECT 1 FROM json_each(c.monitors) WHERE value = ?2))
         AND EXISTS (SELECT 1 FROM json_each(c.events) WHERE value = ?3)
       ON CONFLICT (event_id, channel_id) DO NOTHING`,
    )
    .bind(event.id, event.monitor.id, name, now);
}

export function insertForChannel(db: D1Database, eventId: string, channelId: string, now: number): D1PreparedStatement {
  return db
    .prepare("INSERT INTO notifications (event_id, channel_id, created_at) VALUES (?, ?, ?) ON CONFLICT (event_id, channel_id) DO NOTHING")
    .bind(eventId, channelId, now);
}

export async function notificationIdFor(db: D1Database, eventId: string, channelId: string): Promise<number | null> {
  const r = await db
    .prepare("SELECT id FROM notifications WHERE event_id = ? AND channel_id = ?")
    .bind(eventId, channelId)
    .first<{ id: number }>();
  return r?.id ?? null;
}

/** Marks up to `limit` due, unheld notifications as held by `claim` until `until`; returns how many. */
export async function claimDue(db: D1Database, now: number, limit: number, claim: string, until: number): Promise<number> {
  const r = await db
    .prepare(
      `UPDATE notifications SET claim = ?1, claimed_until = ?2
       WHERE id IN (SELECT id FROM notifications
                    WHERE status = 'pending' AND next_attempt_at <= ?3 AND claimed_until <= ?3
                    ORDER BY next_attempt_at, id LIMIT ?4)`,
    )
    .bind(claim, until, now, limit)
    .run();
  return r.meta.changes;
}

/** Holds one pending notification whatever its schedule (a channel test sends at once). */
export async function claimOne(db: D1Database, id: number, now: number, claim: string, until: number): Promise<boolean> {
  const r = await db
    .prepare("UPDATE notifications SET claim = ?2, claimed_until = ?3 WHERE id = ?1 AND status = 'pending' AND claimed_until <= ?4")
    .bind(id, claim, until, now)
    .run();
  return r.meta.changes > 0;
}

export type ClaimedNotification = { id: number; attempts: number; event: AlertEvent; channel: Channel };

/** What `claim` holds, oldest event first, with each channel as it is now. */
export async function loadClaimed(db: D1Database, claim: string): Promise<ClaimedNotification[]> {
  const [rows, channels] = await db.batch([
    db
      .prepare(
        `SELECT n.id, n.attempts, n.channel_id, e.payload FROM notifications n JOIN alert_events e ON e.id = n.event_id
         WHERE n.claim = ? ORDER BY e.timestamp, n.id`,
      )
      .bind(claim),
    db.prepare("SELECT * FROM channels WHERE id IN (SELECT channel_id FROM notifications WHERE claim = ?)").bind(claim),
  ]);
  const byId = new Map((channels!.results as Parameters<typeof channelFromRow>[0][]).map((r) => [r.id, channelFromRow(r)]));
  return (rows!.results as Array<{ id: number; attempts: number; channel_id: string; payload: string }>).flatMap((r) => {
    const channel = byId.get(r.channel_id);
    return channel ? [{ id: r.id, attempts: r.attempts, event: JSON.parse(r.payload) as AlertEvent, channel }] : [];
  });
}

/** This channel's "down" notification for an incident, if one was ever enqueued. */
export async function downFor(
  db: D1Database,
  channelId: string,
  incidentId: string,
): Promise<{ status: NotificationStatus; next_attempt_at: number; claimed_until: number } | null> {
  return db
    .prepare(
      `SELECT n.status, n.next_attempt_at, n.claimed_until FROM notifications n JOIN alert_events e ON e.id = n.event_id
       WHERE n.channel_id = ? AND e.incident_id = ? AND e.type = 'monitor.down' LIMIT 1`,
    )
    .bind(channelId, incidentId)
    .first();
}

/** Resolved: its recovery was enqueued, or the incident record (alert rules' table) says so. */
export async function incidentResolved(db: D1Database, incidentId: string): Promise<boolean> {
  const r = await db
    .prepare(
      `SELECT EXISTS (SELECT 1 FROM alert_events WHERE incident_id = ?1 AND type = 'monitor.up')
           OR EXISTS (SELECT 1 FROM incidents WHERE id = ?1 AND resolved_at IS NOT NULL) AS resolved`,
    )
    .bind(incidentId)
    .first<{ resolved: number }>();
  return r?.resolved === 1;
}

export type AttemptRecord = { at: number; duration_ms: number; status: number | null; error: string | null };

/** Records an attempt (numbered after the last one) and counts it, whoever holds the row now. */
export function recordAttempt(db: D1Database, id: number, a: AttemptRecord): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `INSERT INTO notification_attempts (notification_id, n, at, duration_ms, status, error)
         SELECT ?1, COALESCE(MAX(n), 0) + 1, ?2, ?3, ?4, ?5 FROM notification_attempts WHERE notification_id = ?1`,
      )
      .bind(id, a.at, a.duration_ms, a.status, a.error),
    db.prepare("UPDATE notifications SET attempts = attempts + 1 WHERE id = ?").bind(id),
  ];
}

/** Ends a held notification: delivered, dead or skipped. */
export function finish(
  db: D1Database,
  id: number,
  claim: string,
  status: Exclude<NotificationStatus, "pending">,
  reason: string | null,
  now: number,
): D1PreparedStatement {
  return db
    .prepare(
      "UPDATE notifications SET status = ?3, reason = ?4, finished_at = ?5, claim = NULL, claimed_until = 0 WHERE id = ?1 AND claim = ?2",
    )
    .bind(id, claim, status, reason, now);
}

/** Releases a held notification to be tried again at `at` (after a failed attempt, or to wait its turn). */
export function releaseUntil(db: D1Database, id: number, claim: string, at: number): D1PreparedStatement {
  return db
    .prepare("UPDATE notifications SET next_attempt_at = ?3, claim = NULL, claimed_until = 0 WHERE id = ?1 AND claim = ?2")
    .bind(id, claim, at);
}

/** Every pending notification of a channel ends dead-lettered (the channel was disabled). */
export function deadLetterChannel(db: D1Database, channelId: string, reason: string, now: number): D1PreparedStatement {
  return db
    .prepare("UPDATE notifications SET status = 'dead', reason = ?2, finished_at = ?3 WHERE channel_id = ?1 AND status = 'pending'")
    .bind(channelId, reason, now);
}

/** When the next pending notification may be tried (epoch ms), or null when none is pending. */
export async function nextDueAt(db: D1Database): Promise<number | null> {
  const r = await db
    .prepare("SELECT MIN(MAX(next_attempt_at, claimed_until)) AS at FROM notifications WHERE status = 'pending'")
    .first<{ at: number | null }>();
  return r?.at ?? null;
}

export type NotificationRow = {
  id: number;
  event_id: string;
  channel_id: string;
  status: NotificationStatus;
  attempts: number;
  next_attempt_at: number;
  reason: string | null;
  created_at: number;
  finished_at: number | null;
  type: AlertEvent["type"];
  monitor_id: string;
  incident_id: string | null;
  timestamp: number;
};
export type AttemptRow = AttemptRecord & { notification_id: number; n: number };

export type NotificationFilter = { status?: NotificationStatus; channel?: string; monitor?: string; id?: number; limit: number };

/** Notifications newest first, each with its attempts in order. */
export async function listNotifications(
  db: D1Database,
  f: NotificationFilter,
): Promise<Array<NotificationRow & { attempt_list: AttemptRow[] }>> {
  const rows = (
    await db
      .prepare(
        `SELECT n.id, n.event_id, n.channel_id, n.status, n.attempts, n.next_attempt_at, n.reason, n.created_at, n.finished_at,
                e.type, e.monitor_id, e.incident_id, e.timestamp
         FROM notifications n JOIN alert_events e ON e.id = n.event_id
         WHERE (?1 IS NULL OR n.status = ?1) AND (?2 IS NULL OR n.channel_id = ?2) AND (?3 IS NULL OR e.monitor_id = ?3) AND (?4 IS NULL OR n.id = ?4)
         ORDER BY n.id DESC LIMIT ?5`,
      )
      .bind(f.status ?? null, f.channel ?? null, f.monitor ?? null, f.id ?? null, f.limit)
      .all<NotificationRow>()
  ).results;
  if (rows.length === 0) return [];
  const attempts = (
    await db
      .prepare("SELECT * FROM notification_attempts WHERE notification_id IN (SELECT value FROM json_each(?)) ORDER BY notification_id, n")
      .bind(JSON.stringify(rows.map((r) => r.id)))
      .all<AttemptRow>()
  ).results;
  const byId = new Map<number, AttemptRow[]>();
  for (const a of attempts) {
    const list = byId.get(a.notification_id);
    if (list) list.push(a);
    else byId.set(a.notification_id, [a]);
  }
  return rows.map((r) => ({ ...r, attempt_list: byId.get(r.id) ?? [] }));
}

export type NotificationCounts = Record<NotificationStatus, number> & { oldest_pending_at: number | null };

export async function countNotifications(db: D1Database): Promise<NotificationCounts> {
  const rows = (
    await db
      .prepare("SELECT status, COUNT(*) AS n, MIN(created_at) AS oldest FROM notifications GROUP BY status")
      .all<{ status: NotificationStatus; n: number; oldest: number }>()
  ).results;
  const out: NotificationCounts = { pending: 0, delivered: 0, dead: 0, skipped: 0, oldest_pending_at: null };
  for (const r of rows) {
    out[r.status] = r.n;
    if (r.status === "pending") out.oldest_pending_at = r.oldest;
  }
  return out;
}

/** The notifications of these incidents' events (down, up, reminders), per channel, with their outcome. */
export async function incidentNotifications(db: D1Database, ids: string[]): Promise<Map<string, unknown[]>> {
  const out = new Map<string, unknown[]>();
  if (!ids.length) return out;
  const r = await db
    .prepare(
      `SELECT e.incident_id, e.id AS event_id, e.type, n.channel_id, n.status, n.attempts, n.finished_at, n.reason
       FROM alert_events e JOIN notifications n ON n.event_id = e.id
       WHERE e.incident_id IN (SELECT value FROM json_each(?1)) ORDER BY e.timestamp, n.id`,
    )
    .bind(JSON.stringify(ids))
    .all<{
      incident_id: string;
      event_id: string;
      type: string;
      channel_id: string;
      status: string;
      attempts: number;
      finished_at: number | null;
      reason: string | null;
    }>();
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
