// The scheduler's D1 queries: claim due edge monitors atomically, load specs, save states.
import type { MonitorSpec } from "../../../contract/index.ts";
import type { MonitorState } from "./monitors.ts";

export type Claimed = { spec: MonitorSpec; last_hops: number };

/** Seconds of slack: a monitor due up to this long after the tick's time runs in this tick. */
export const DUE_SLACK_MS = 1000;

/**
 * Claims every enabled edge monitor due at `scheduledTime` by moving its cursor one interval past
 * the tick's minute, in one statement, so overlapping or repeated ticks cannot claim it twice.
 */
export async function claimDue(db: D1Database, scheduledTime: number): Promise<Claimed[]> {
  const minute = Math.floor(scheduledTime / 60_000) * 60_000;
  const claimed = await db
    .prepare(
      `UPDATE monitor_state SET next_due_at = ?1 + (SELECT interval_s * 1000 FROM monitors m WHERE m.id = monitor_state.monitor_id)
       WHERE next_due_at <= ?2 AND monitor_id IN (SELECT id FROM monitors WHERE runner = 'edge' AND enabled = 1)
       RETURNING monitor_id`,
    )
    .bind(minute, scheduledTime + DUE_SLACK_MS)
    .all<{ monitor_id: string }>();
  return loadForRun(
    db,
    claimed.results.map((r) => r.monitor_id),
  );
}

/** Specs and planned cost of the given monitors that are still enabled edge monitors, in id order. */
export async function loadForRun(db: D1Database, ids: string[]): Promise<Claimed[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .prepare(
      `SELECT m.spec, s.last_hops FROM monitors m JOIN monitor_state s ON s.monitor_id = m.id
       WHERE m.id IN (SELECT value FROM json_each(?1)) AND m.runner = 'edge' AND m.enabled = 1 ORDER BY m.id`,
    )
    .bind(JSON.stringify(ids))
    .all<{ spec: string; last_hops: number }>();
  return rows.results.map((r) => ({ spec: JSON.parse(r.spec) as MonitorSpec, last_hops: r.last_hops }));
}

export async function loadStates(db: D1Database, ids: string[]): Promise<Map<string, MonitorState>> {
  const out = new Map<string, MonitorState>();
  if (ids.length === 0) return out;
  const rows = await db
    .prepare(
      `SELECT monitor_id, status, since, last_check_at, last_error, last_latency_ms, consecutive_failures, consecutive_successes, next_due_at,
         degraded, slow_streak, incident_id, cert_warned_for
       FROM monitor_state WHERE monitor_id IN (SELECT value FROM json_each(?1))`,
    )
    .bind(JSON.stringify(ids))
    .all<Omit<MonitorState, "last_error" | "degraded"> & { monitor_id: string; last_error: string | null; degraded: number }>();
  for (const r of rows.results) {
    const { monitor_id, ...s } = r;
    out.set(monitor_id, { ...s, degraded: s.degraded === 1, last_error: s.last_error ? JSON.parse(s.last_error) : null });
  }
  return out;
}

/** Saves the result-driven part of a state (never the scheduler's cursor). */
export function saveState(db: D1Database, id: string, s: MonitorState, lastHops: number | null): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE monitor_state SET status = ?2, since = ?3, last_check_at = ?4, last_error = ?5, last_latency_ms = ?6,
         consecutive_failures = ?7, consecutive_successes = ?8, last_hops = COALESCE(?9, last_hops),
         degraded = ?10, slow_streak = ?11, incident_id = ?12, cert_warned_for = ?13
       WHERE monitor_id = ?1`,
    )
    .bind(
      id,
      s.status,
      s.since,
      s.last_check_at,
      s.last_error ? JSON.stringify(s.last_error) : null,
      s.last_latency_ms,
      s.consecutive_failures,
      s.consecutive_successes,
      lastHops,
      s.degraded ? 1 : 0,
      s.slow_streak,
      s.incident_id,
      s.cert_warned_for,
    );
}
