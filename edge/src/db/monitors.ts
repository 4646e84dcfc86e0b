// Monitors and their current state in D1. The spec is stored as validated JSON; columns index it.
import { toRfc3339, type CheckError, type MonitorSpec, type MonitorStatus } from "../../../contract/index.ts";
import type { SeriesState } from "../alerts/state.ts";

/** What alert rules remember between results (migration 0005). */
export type AlertMemory = {
  degraded: boolean;
  slow_streak: number;
  incident_id: string | null;
  cert_warned_for: number | null;
};

export type MonitorState = SeriesState & AlertMemory & { next_due_at: number };

export type StoredMonitor = { spec: MonitorSpec; created_at: number; updated_at: number; state: MonitorState };

type Row = {
  spec: string;
  created_at: number;
  updated_at: number;
  status: MonitorStatus | null;
  since: number | null;
  last_check_at: number | null;
  last_error: string | null;
  last_latency_ms: number | null;
  consecutive_failures: number | null;
  consecutive_successes: number | null;
  next_due_at: number | null;
  degraded: number | null;
  slow_streak: number | null;
  incident_id: string | null;
  cert_warned_for: number | null;
};

const SELECT = `SELECT m.spec, m.created_at, m.updated_at, s.status, s.since, s.last_check_at, s.last_error,
  s.last_latency_ms, s.consecutive_failures, s.consecutive_successes, s.next_due_at,
  s.degraded, s.slow_streak, s.incident_id, s.cert_warned_for
  FROM monitors m LEFT JOIN monitor_state s ON s.monitor_id = m.id`;

function fromRow(r: Row): StoredMonitor {
  const spec = JSON.parse(r.spec) as MonitorSpec;
  return {
    spec,
    created_at: r.created_at,
    updated_at: r.updated_at,
    state: {
      status: r.status ?? (spec.enabled ? "pending" : "paused"),
      since: r.since ?? r.created_at,
      last_check_at: r.last_check_at,
      last_error: r.last_error ? (JSON.parse(r.last_error) as CheckError) : null,
      last_latency_ms: r.last_latency_ms,
      consecutive_failures: r.consecutive_failures ?? 0,
      consecutive_successes: r.consecutive_successes ?? 0,
      next_due_at: r.next_due_at ?? 0,
      degraded: r.degraded === 1,
      slow_streak: r.slow_streak ?? 0,
      incident_id: r.incident_id,
      cert_warned_for: r.cert_warned_for,
    },
  };
}

export async function listMonitors(db: D1Database): Promise<StoredMonitor[]> {
  const r = await db.prepare(`${SELECT} ORDER BY m.id`).all<Row>();
  return r.results.map(fromRow);
}

export async function getMonitor(db: D1Database, id: string): Promise<StoredMonitor | null> {
  const r = await db.prepare(`${SELECT} WHERE m.id = ?`).bind(id).first<Row>();
  return r ? fromRow(r) : null;
}

/** A new (or just paused or resumed) monitor's state: what insertMonitor and updateMonitor store. */
export function initialState(spec: MonitorSpec, now: number): MonitorState {
  return {
    status: spec.enabled ? "pending" : "paused",
    since: now,
    last_check_at: null,
    last_error: null,
    last_latency_ms: null,
    consecutive_failures: 0,
    consecutive_successes: 0,
    next_due_at: now,
    degraded: false,
    slow_streak: 0,
    incident_id: null,
    cert_warned_for: null,
  };
}

/** The state updateMonitor leaves when a monitor is paused or resumed: status, since, counters and schedule reset. */
export function pausedOrResumed(s: MonitorState, spec: MonitorSpec, now: number): MonitorState {
  return {
    ...s,
    status: spec.enabled ? "pending" : "paused",
    since: now,
    consecutive_failures: 0,
    consecutive_successes: 0,
    next_due_at: now,
  };
}

/** Inserts a monitor and its initial state; returns false if the id is taken. */
export async function insertMonitor(db: D1Database, spec: MonitorSpec, now: number): Promise<boolean> {
  const status: MonitorStatus = spec.enabled ? "pending" : "paused";
  const results = await db.batch([
    db
      .prepare(
        `INSERT INTO monitors (id, spec, kind, runner, enabled, interval_s, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) ON CONFLICT (id) DO NOTHING`,
      )
      .bind(spec.id, JSON.stringify(spec), spec.kind, spec.runner, spec.enabled ? 1 : 0, spec.interval_s, now),
    db
      .prepare(
        `INSERT INTO monitor_state (monitor_id, status, since, next_due_at)
         SELECT ?1, ?2, ?3, ?3 WHERE changes() = 1`,
      )
      .bind(spec.id, status, now),
  ]);
  return (results[0]?.meta.changes ?? 0) > 0;
}

/** Replaces a monitor's spec; pausing or resuming resets its state to paused or pending. */
export async function updateMonitor(db: D1Database, spec: MonitorSpec, wasEnabled: boolean, now: number): Promise<void> {
  const stmts = [
    db
      .prepare("UPDATE monitors SET spec = ?2, kind = ?3, runner = ?4, enabled = ?5, interval_s = ?6, updated_at = ?7 WHERE id = ?1")
      .bind(spec.id, JSON.stringify(spec), spec.kind, spec.runner, spec.enabled ? 1 : 0, spec.interval_s, now),
  ];
  if (wasEnabled !== spec.enabled)
    stmts.push(
      db
        .prepare(
          `UPDATE monitor_state SET status = ?2, since = ?3, consecutive_failures = 0, consecutive_successes = 0,
           next_due_at = ?3 WHERE monitor_id = ?1`,
        )
        .bind(spec.id, spec.enabled ? "pending" : "paused", now),
    );
  await db.batch(stmts);
}

/**
 * Deletes a monitor with everything D1 keeps of its history (rollups, latest results, incidents,
 * embedded points, per-location state), in one batch: a monitor created again under the same id
 * starts empty. Points in InfluxDB stay; reads start at the monitor's created_at (see history).
 */
export async function deleteMonitor(db: D1Database, id: string): Promise<boolean> {
  const r = await db.batch([
    db.prepare("DELETE FROM monitors WHERE id = ?1").bind(id),
    db.prepare("DELETE FROM monitor_state WHERE monitor_id = ?1").bind(id),
    db.prepare("DELETE FROM location_state WHERE monitor_id = ?1").bind(id),
    db.prepare("DELETE FROM rollups WHERE monitor = ?1").bind(id),
    db.prepare("DELETE FROM latest_results WHERE monitor = ?1").bind(id),
    db.prepare("DELETE FROM incidents WHERE monitor = ?1").bind(id),
    db.prepare("DELETE FROM points WHERE monitor = ?1").bind(id),
  ]);
  return (r[0]?.meta.changes ?? 0) > 0;
}

/** Every other monitor's target, kind, interval and request-body size: what the per-host budget sums. */
export async function targetLoads(
  db: D1Database,
  exceptId: string,
): Promise<Array<{ kind: string; target: string; interval_s: number; body_bytes: number }>> {
  const r = await db
    .prepare(
      `SELECT kind, json_extract(spec, '$.target') AS target, interval_s,
         COALESCE(length(CAST(json_extract(spec, '$.http.body') AS BLOB)), 0) AS body_bytes
       FROM monitors WHERE id != ?1 AND enabled = 1`,
    )
    .bind(exceptId)
    .all<{ kind: string; target: string; interval_s: number; body_bytes: number }>();
  return r.results;
}

/** The API's view of a monitor: its spec, timestamps in RFC 3339, and its state. */
export function monitorView(m: StoredMonitor) {
  const s = m.state;
  return {
    ...m.spec,
    created_at: toRfc3339(m.created_at),
    updated_at: toRfc3339(m.updated_at),
    state: {
      status: s.status,
      since: toRfc3339(s.since),
      last_check_at: toRfc3339(s.last_check_at),
      last_error: s.last_error,
      latency_ms: s.last_latency_ms,
      consecutive_failures: s.consecutive_failures,
      consecutive_successes: s.consecutive_successes,
      degraded: s.degraded,
      incident_id: s.incident_id,
    },
  };
}

/** Enabled agent monitors a location must run: those listing it, or listing no location at all. */
export async function monitorsForLocation(db: D1Database, location: string): Promise<Array<{ spec: MonitorSpec; updated_at: number }>> {
  const r = await db
    .prepare(
      `SELECT spec, updated_at FROM monitors WHERE runner = 'agent' AND enabled = 1
       AND (json_array_length(json_extract(spec, '$.locations')) = 0
            OR EXISTS (SELECT 1 FROM json_each(json_extract(spec, '$.locations')) WHERE value = ?1))
       ORDER BY id`,
    )
    .bind(location)
    .all<{ spec: string; updated_at: number }>();
  return r.results.map((x) => ({ spec: JSON.parse(x.spec) as MonitorSpec, updated_at: x.updated_at }));
}

/** Specs of the given monitors with when each was created, by id (missing ones are absent). */
export async function monitorsByIds(db: D1Database, ids: string[]): Promise<Map<string, { spec: MonitorSpec; created_at: number }>> {
  const out = new Map<string, { spec: MonitorSpec; created_at: number }>();
  if (ids.length === 0) return out;
  const r = await db
    .prepare("SELECT spec, created_at FROM monitors WHERE id IN (SELECT value FROM json_each(?1))")
    .bind(JSON.stringify(ids))
    .all<{ spec: string; created_at: number }>();
  for (const row of r.results) {
    const spec = JSON.parse(row.spec) as MonitorSpec;
    out.set(spec.id, { spec, created_at: row.created_at });
  }
  return out;
}

/** Specs of the given monitors, by id (missing ones are absent). */
export async function specsByIds(db: D1Database, ids: string[]): Promise<Map<string, MonitorSpec>> {
  const out = new Map<string, MonitorSpec>();
  for (const [id, m] of await monitorsByIds(db, ids)) out.set(id, m.spec);
  return out;
}
