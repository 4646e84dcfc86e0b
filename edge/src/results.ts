// Recording results, wherever they come from (edge checks or agents): points made durable first,
// then rollups, per-location and monitor state and incidents in one D1 batch, then alert events.
import type { MonitorSpec } from "../../contract/index.ts";
import type { AlertEvent, IncidentView } from "./alerts/events.ts";
import { inMaintenance, type MaintenanceWindow } from "./alerts/maintenance.ts";
import { evaluate, type Happening } from "./alerts/rules.ts";
import { getIncidents, incidentStatement, loadLocationStates, loadMaintenance, saveLocationState, type IncidentRow } from "./db/alerting.ts";
import type { MonitorState } from "./db/monitors.ts";
import { loadStates, saveState } from "./db/schedule.ts";
import type { Logger } from "./log.ts";
import type { PointWriter, WriteOutcome } from "./points/outbox.ts";
import type { StoredResult } from "./points/store.ts";
import { rollupDeltas, upsertRollups } from "./rollups.ts";

export type Recorded = WriteOutcome & { events: AlertEvent[] };

export type RecordOptions = {
  /** Redirect hops each monitor's check followed (edge checks), for the scheduler's planning. */
  hops?: Map<string, number>;
  /** Statements to commit in the same D1 transaction as rollups and state (e.g. ingest dedupe). */
  extra?: D1PreparedStatement[];
  /** Hands alert events to delivery once state is committed. */
  notify?: (events: AlertEvent[]) => Promise<void>;
  certWarningDays: number;
  maintenance?: MaintenanceWindow[];
};

function incidentView(row: IncidentRow): IncidentView {
  const { id, monitor, opened_at, resolved_at, cause, first_error, last_error } = row;
  return { id, monitor, opened_at, resolved_at, cause, first_error, last_error };
}

/** Turns what the rules noticed into events with stable ids. */
export function toEvents(spec: MonitorSpec, state: MonitorState, happenings: Happening[], incidents: Map<string, IncidentRow>): AlertEvent[] {
  const monitor = { id: spec.id, name: spec.name, group: spec.group, kind: spec.kind, status: state.status, target: spec.target };
  return happenings.map((h): AlertEvent => {
    switch (h.type) {
      case "down":
      case "up": {
        const row = incidents.get(h.incident);
        const incident: IncidentView = row
          ? incidentView(row)
          : { id: h.incident, monitor: spec.id, opened_at: h.at, resolved_at: h.type === "up" ? h.at : null, cause: h.type === "down" ? h.cause : "", first_error: h.type === "down" ? h.error : null, last_error: null };
        return { id: `evt_${h.incident}_${h.type}`, type: `monitor.${h.type}`, timestamp: h.at, monitor, incident, details: {} };
      }
      case "degraded":
        return { id: `evt_degraded_${spec.id}_${h.at}`, type: "monitor.degraded", timestamp: h.at, monitor, incident: null, details: { latency_ms: h.latency_ms, threshold_ms: h.threshold_ms, checks: h.checks } };
      case "certificate":
        return {
          id: `evt_certificate_${spec.id}_${h.expires_at}`,
          type: "monitor.certificate",
          timestamp: h.at,
          monitor,
          incident: null,
          details: { days_left: h.days_left, expires_at: new Date(h.expires_at).toISOString(), issuer: h.issuer, warning_days: h.warning_days },
        };
    }
  });
}

export async function recordResults(
  db: D1Database,
  writer: PointWriter,
  log: Logger,
  results: StoredResult[],
  specs: Map<string, MonitorSpec>,
  opts: RecordOptions,
): Promise<Recorded> {
  const written = await writer.write(results);
  const byMonitor = new Map<string, StoredResult[]>();
  for (const r of results) (byMonitor.get(r.monitor) ?? byMonitor.set(r.monitor, []).get(r.monitor)!).push(r);
  const ids = [...byMonitor.keys()];
  const [states, locationStates, windows] = await Promise.all([
    loadStates(db, ids),
    loadLocationStates(db, ids),
    opts.maintenance ? Promise.resolve(opts.maintenance) : loadMaintenance(db),
  ]);
  const stmts: D1PreparedStatement[] = [...(opts.extra ?? []), ...upsertRollups(db, rollupDeltas(results))];
  const noticed: Array<{ spec: MonitorSpec; state: MonitorState; happenings: Happening[] }> = [];
  for (const [monitor, list] of byMonitor) {
    const prev = states.get(monitor);
    const spec = specs.get(monitor);
    if (!prev || !spec) continue; // deleted meanwhile: its points are kept, it has no state to update
    const out = evaluate({
      spec,
      state: prev,
      locations: locationStates.get(monitor) ?? new Map(),
      results: list,
      inMaintenance: (ts) => inMaintenance(windows, monitor, ts),
      certWarningDays: opts.certWarningDays,
    });
    stmts.push(saveState(db, monitor, out.state, opts.hops?.has(monitor) ? opts.hops.get(monitor)! : null));
    for (const [location, s] of out.locations) if (s !== locationStates.get(monitor)?.get(location)) stmts.push(saveLocationState(db, monitor, location, s));
    for (const change of out.incidents) stmts.push(incidentStatement(db, monitor, change));
    if (out.state.status !== prev.status)
      log.info("monitor state changed", { monitor, from: prev.status, to: out.state.status, last_error: out.state.last_error });
    if (out.happenings.length) noticed.push({ spec, state: out.state, happenings: out.happenings });
  }
  if (stmts.length) await db.batch(stmts);

  let events: AlertEvent[] = [];
  if (noticed.length) {
    const incidentIds = noticed.flatMap((n) => n.happenings.flatMap((h) => (h.type === "down" || h.type === "up" ? [h.incident] : [])));
    const incidents = await getIncidents(db, incidentIds);
    events = noticed.flatMap((n) => toEvents(n.spec, n.state, n.happenings, incidents));
    for (const e of events) log.info("alert event", { event: e.id, type: e.type, monitor: e.monitor.id });
    if (opts.notify)
      await opts.notify(events).catch((e: unknown) => log.error("could not queue alert notifications", { error: e, events: events.map((x) => x.id) }));
  }
  return { ...written, events };
}
