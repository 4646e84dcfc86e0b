// Alert rules, pure: results in; per-location states, the monitor's state, its incident and the
// things worth telling someone (down, up, degraded, certificate) out. Delivery is elsewhere.
import type { CheckError, MonitorSpec, MonitorStatus } from "../../../contract/index.ts";
import type { MonitorState } from "./state.ts";
import type { StoredResult } from "../points/store.ts";
import { applyResult, type SeriesState } from "./state.ts";

export type Happening =
  | { type: "down"; at: number; incident: string; cause: string; error: CheckError | null }
  | { type: "up"; at: number; incident: string }
  | { type: "degraded"; at: number; latency_ms: number; threshold_ms: number; checks: number }
  | { type: "certificate"; at: number; days_left: number; expires_at: number; issuer: string | null; warning_days: number };

export type IncidentChange =
  | { op: "open"; id: string; at: number; cause: string; error: CheckError | null }
  | { op: "error"; id: string; error: CheckError | null }
  | { op: "resolve"; id: string; at: number };

export type RuleInput = {
  spec: MonitorSpec;
  state: MonitorState;
  locations: Map<string, SeriesState>;
  /** This monitor's results, any order. */
  results: StoredResult[];
  inMaintenance: (ts: number) => boolean;
  certWarningDays: number;
};

export type RuleOutput = {
  state: MonitorState;
  locations: Map<string, SeriesState>;
  incidents: IncidentChange[];
  happenings: Happening[];
};

/** Incident ids are deterministic, so a result batch evaluated twice opens one incident. */
export const incidentId = (monitor: string, openedAt: number) => `inc_${monitor}_${openedAt}`;

/** Locations the monitor runs from: the edge, its listed locations, or those that reported. */
function locationCount(spec: MonitorSpec, locations: Map<string, SeriesState>): number {
  if (spec.runner === "edge") return 1;
  return Math.max(spec.locations.length, locations.size, 1);
}

export function quorumOf(spec: MonitorSpec, n: number): number {
  return Math.min(spec.quorum ?? Math.floor(n / 2) + 1, n);
}

const freshLocation = (since: number): SeriesState => ({
  status: "pending",
  since,
  last_check_at: null,
  last_error: null,
  last_latency_ms: null,
  consecutive_failures: 0,
  consecutive_successes: 0,
});

const sameError = (a: CheckError | null, b: CheckError | null) => a?.kind === b?.kind && a?.message === b?.message;

export function evaluate(input: RuleInput): RuleOutput {
  const { spec } = input;
  let state = { ...input.state };
  const locations = new Map(input.locations);
  const incidents: IncidentChange[] = [];
  const happenings: Happening[] = [];
  if (state.status === "paused") return { state, locations, incidents, happenings };

  for (const r of [...input.results].sort((a, b) => a.ts - b.ts)) {
    if (state.last_check_at !== null && r.ts < state.last_check_at) continue; // late: points kept, state not rewound
    const loc = locations.get(r.location) ?? freshLocation(r.ts);
    locations.set(r.location, applyResult(loc, r, spec).state);

    const n = locationCount(spec, locations);
    const q = quorumOf(spec, n);
    const down = [...locations.values()].filter((l) => l.status === "down").length;
    const up = [...locations.values()].filter((l) => l.status === "up").length;
    const measured: MonitorStatus = down >= q ? "down" : up > 0 ? "up" : "pending";
    const maintenance = input.inMaintenance(r.ts);
    const shown: MonitorStatus = maintenance ? "maintenance" : measured;
    const prevError = state.last_error;

    state = {
      ...state,
      status: shown,
      since: shown === state.status ? state.since : r.ts,
      last_check_at: r.ts,
      last_error: r.ok ? null : r.error,
      last_latency_ms: r.latency_ms,
      consecutive_failures: r.ok ? 0 : state.consecutive_failures + (r.tries ?? 1),
      consecutive_successes: r.ok ? state.consecutive_successes + 1 : 0,
    };

    // Incidents: opened when down (outside maintenance), resolved when up again.
    if (measured === "down" && !maintenance && state.incident_id === null) {
      const id = incidentId(spec.id, r.ts);
      const l = locations.get(r.location)!;
      const cause = n > 1 ? `${down} of ${n} locations down (quorum ${q})` : `${l.consecutive_failures} consecutive failures`;
      state.incident_id = id;
      incidents.push({ op: "open", id, at: r.ts, cause, error: r.error });
      happenings.push({ type: "down", at: r.ts, incident: id, cause, error: r.error });
    } else if (measured === "up" && state.incident_id !== null) {
      incidents.push({ op: "resolve", id: state.incident_id, at: r.ts });
      happenings.push({ type: "up", at: r.ts, incident: state.incident_id });
      state.incident_id = null;
    } else if (state.incident_id !== null && !r.ok && !sameError(prevError, r.error))
      // The incident's latest error, written only when it changes: a long outage repeating one error writes nothing per check.
      incidents.push({ op: "error", id: state.incident_id, error: r.error });

    // Degraded: successful checks slower than the threshold, N in a row.
    if (r.ok && spec.latency_threshold_ms !== null && r.latency_ms !== null) {
      if (r.latency_ms > spec.latency_threshold_ms) {
        state.slow_streak += 1;
        if (state.slow_streak >= spec.degraded_after && !state.degraded) {
          state.degraded = true;
          if (!maintenance)
            happenings.push({
              type: "degraded",
              at: r.ts,
              latency_ms: r.latency_ms,
              threshold_ms: spec.latency_threshold_ms,
              checks: state.slow_streak,
            });
        }
      } else {
        state.slow_streak = 0;
        state.degraded = false;
      }
    }

    // Certificate: once per certificate (its expiry) when fewer days are left than the warning.
    const warn = spec.certificate_warning_days ?? input.certWarningDays;
    const tls = r.tls;
    if (
      tls &&
      tls.days_left !== null &&
      tls.expires_at !== null &&
      tls.days_left < warn &&
      state.cert_warned_for !== tls.expires_at &&
      !maintenance
    ) {
      state.cert_warned_for = tls.expires_at;
      happenings.push({
        type: "certificate",
        at: r.ts,
        days_left: tls.days_left,
        expires_at: tls.expires_at,
        issuer: tls.issuer,
        warning_days: warn,
      });
    }
  }
  return { state, locations, incidents, happenings };
}
