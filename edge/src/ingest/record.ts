// The path of a check result, wherever it ran (an edge tick or an agent's push): store the points,
// evaluate each monitor's results against its state, commit the new state, raise alert events.
import type { MonitorSpec } from "../../../contract/index.ts";
import type { AlertEvent } from "../alerts/events.ts";
import { inMaintenance, type MaintenanceWindow } from "../alerts/maintenance.ts";
import { evaluate, type RuleOutput } from "../alerts/rules.ts";
import { getIncidents, incidentStatement, loadLocationStates, saveLocationState } from "../db/alerting.ts";
import { loadMaintenance } from "../db/maintenance.ts";
import { upsertLatest } from "../db/latest.ts";
import type { MonitorState } from "../db/monitors.ts";
import { upsertRollups } from "../db/rollups.ts";
import { loadStates, saveState } from "../db/schedule.ts";
import type { Logger } from "../observability/log.ts";
import type { PointWriter, WriteOutcome } from "../points/outbox.ts";
import type { StoredResult } from "../points/store.ts";
import { rollupDeltas } from "../status/rollups.ts";
import { toEvents } from "./events.ts";
import { logFailedChecks } from "./failed-checks.ts";

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

type Evaluated = { spec: MonitorSpec; prev: MonitorState; locations: Map<string, unknown>; out: RuleOutput };

/**
 * Records `results`. Order is what makes a crash safe: points are durable (in the store or the
 * outbox) before state moves; state, rollups, latest results and `extra` commit in one D1 batch;
 * alert events are raised only from committed state.
 */
export async function recordResults(
  db: D1Database,
  writer: PointWriter,
  log: Logger,
  results: StoredResult[],
  specs: Map<string, MonitorSpec>,
  opts: RecordOptions,
): Promise<Recorded> {
  logFailedChecks(log, results);
  const written = await writer.write(results);
  const evaluated = await evaluateResults(db, results, specs, opts);
  await commitState(db, log, results, evaluated, opts);
  const events = await raiseAlerts(db, log, evaluated, opts.notify);
  return { ...written, events };
}

/** Each monitor's results through the alert rules, from its stored state (monitors deleted meanwhile are skipped: their points stay). */
async function evaluateResults(
  db: D1Database,
  results: StoredResult[],
  specs: Map<string, MonitorSpec>,
  opts: RecordOptions,
): Promise<Evaluated[]> {
  const byMonitor = new Map<string, StoredResult[]>();
  for (const r of results) (byMonitor.get(r.monitor) ?? byMonitor.set(r.monitor, []).get(r.monitor)!).push(r);
  const ids = [...byMonitor.keys()];
  const [states, locationStates, windows] = await Promise.all([
    loadStates(db, ids),
    loadLocationStates(db, ids),
    opts.maintenance ? Promise.resolve(opts.maintenance) : loadMaintenance(db),
  ]);
  const evaluated: Evaluated[] = [];
  for (const [monitor, list] of byMonitor) {
    const prev = states.get(monitor);
    const spec = specs.get(monitor);
    if (!prev || !spec) continue;
    const locations = locationStates.get(monitor) ?? new Map();
    const out = evaluate({
      spec,
      state: prev,
      locations,
      results: list,
      inMaintenance: (ts) => inMaintenance(windows, monitor, ts),
      certWarningDays: opts.certWarningDays,
    });
    evaluated.push({ spec, prev, locations, out });
  }
  return evaluated;
}

/** Rollups, latest results, monitor and location state, incidents and the caller's `extra`: one D1 batch. */
async function commitState(
  db: D1Database,
  log: Logger,
  results: StoredResult[],
  evaluated: Evaluated[],
  opts: RecordOptions,
): Promise<void> {
  const stmts: D1PreparedStatement[] = [...(opts.extra ?? []), ...upsertLatest(db, results), ...upsertRollups(db, rollupDeltas(results))];
  for (const { spec, prev, locations, out } of evaluated) {
    const monitor = spec.id;
    stmts.push(saveState(db, monitor, out.state, opts.hops?.has(monitor) ? opts.hops.get(monitor)! : null));
    for (const [location, s] of out.locations) if (s !== locations.get(location)) stmts.push(saveLocationState(db, monitor, location, s));
    for (const change of out.incidents) stmts.push(incidentStatement(db, monitor, change));
    if (out.state.status !== prev.status)
      log.info("monitor state changed", { monitor, from: prev.status, to: out.state.status, last_error: out.state.last_error });
  }
  if (stmts.length) await db.batch(stmts);
}

/** Alert events for what the rules noticed, handed to delivery (a failure to queue them is logged, never thrown). */
async function raiseAlerts(db: D1Database, log: Logger, evaluated: Evaluated[], notify: RecordOptions["notify"]): Promise<AlertEvent[]> {
  const noticed = evaluated.filter((e) => e.out.happenings.length);
  if (!noticed.length) return [];
  const incidentIds = noticed.flatMap((n) => n.out.happenings.flatMap((h) => (h.type === "down" || h.type === "up" ? [h.incident] : [])));
  const incidents = await getIncidents(db, incidentIds);
  const events = noticed.flatMap((n) => toEvents(n.spec, n.out.state, n.out.happenings, incidents));
  for (const e of events) log.info("alert event", { event: e.id, type: e.type, monitor: e.monitor.id });
  if (notify)
    await notify(events).catch((e: unknown) =>
      log.error("could not queue alert notifications", { error: e, events: events.map((x) => x.id) }),
    );
  return events;
}
