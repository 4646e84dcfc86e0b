// The monitor state machine: pure. Results in, next state and the transition (if any) out.
import type { CheckError, MonitorStatus } from "../../../contract/index.ts";

/** What the threshold state machine keeps for one series of results (a monitor, or one location of it). */
export type SeriesState = {
  status: MonitorStatus;
  since: number;
  last_check_at: number | null;
  last_error: CheckError | null;
  last_latency_ms: number | null;
  consecutive_failures: number;
  consecutive_successes: number;
};

/** What alert rules remember between results, beside the series state. */
export type AlertMemory = {
  degraded: boolean;
  slow_streak: number;
  incident_id: string | null;
  cert_warned_for: number | null;
};

/** A monitor's whole state: its series (all locations together) and the alert memory. */
export type MonitorState = SeriesState & AlertMemory;

/** `tries`: a failure's failed tries in a row within its run (confirming retries; absent = 1), each counted toward the threshold. */
export type Observation = { ok: boolean; ts: number; latency_ms: number | null; error: CheckError | null; tries?: number };
export type Thresholds = { failure_threshold: number; success_threshold: number };
export type Transition = { from: MonitorStatus; to: MonitorStatus; at: number };

/**
 * Applies one result. A monitor goes `down` after `failure_threshold` consecutive failures (a
 * failure confirmed by retries counts each failed try, so the default 2 is met by one confirmed check)
 * (`pending` until then, from `up` or from the start), and `up` after `success_threshold`
 * consecutive successes. Paused monitors ignore results. Results older than the last one seen
 * are ignored for state, so a late agent batch cannot flip the state backwards.
 */
export function applyResult<S extends SeriesState>(prev: S, obs: Observation, t: Thresholds): { state: S; transition: Transition | null } {
  if (prev.status === "paused" || (prev.last_check_at !== null && obs.ts < prev.last_check_at)) return { state: prev, transition: null };
  const failures = obs.ok ? 0 : prev.consecutive_failures + (obs.tries ?? 1);
  const successes = obs.ok ? prev.consecutive_successes + 1 : 0;
  let status: MonitorStatus = prev.status;
  if (obs.ok) {
    if (prev.status !== "up" && successes >= t.success_threshold) status = "up";
    // A success that does not yet reach the threshold keeps a down monitor down, and a pending one pending.
  } else if (failures >= t.failure_threshold) status = "down";
  else if (prev.status === "up") status = "pending";
  const state: S = {
    ...prev,
    status,
    since: status === prev.status ? prev.since : obs.ts,
    last_check_at: obs.ts,
    last_error: obs.ok ? null : obs.error,
    last_latency_ms: obs.latency_ms,
    consecutive_failures: failures,
    consecutive_successes: successes,
  };
  return { state, transition: status === prev.status ? null : { from: prev.status, to: status, at: obs.ts } };
}

/** Applies results in time order; returns the final state and every transition on the way. */
export function applyResults<S extends SeriesState>(prev: S, observations: Observation[], t: Thresholds) {
  let state = prev;
  const transitions: Transition[] = [];
  for (const obs of [...observations].sort((a, b) => a.ts - b.ts)) {
    const r = applyResult(state, obs, t);
    state = r.state;
    if (r.transition) transitions.push(r.transition);
  }
  return { state, transitions };
}
