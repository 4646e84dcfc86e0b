// The path of a check result, wherever it ran (an edge tick or an agent's push): store the points,
// evaluate each monitor's results against its state, commit the new state, raise alert events.
import type { MonitorSpec } from "../../../contract/index.ts";
import type { AlertEvent } from "../alerts/events.ts";
import { inMaintenance, type MaintenanceWindow } from "../alerts/maintenance.ts";
import { evaluate, type RuleOutput } from "../alerts/rules.ts";
import { getIncidents, incidentStatement } from "../db/alerting.ts";
import { latestOf } from "../db/latest.ts";
import { loadMaintenance } from "../db/maintenance.ts";
import type { MonitorState } from "../alerts/state.ts";
import { readPacks, withPackRetry, writePack, type Member, type Pack } from "../db/packs.ts";
import { mergeRollups } from "../db/rollups.ts";
import { foldIntoPack } from "../status/rollups.ts";
import type { Logger } from "../observability/log.ts";
import type { PointWriter, WriteOutcome } from "../points/outbox.ts";
import type { StoredResult } from "../points/store.ts";
import { toEvents } from "./events.ts";
import { afterResult } from "./heartbeat.ts";
import { logFailedChecks } from "./failed-checks.ts";

export type Recorded = WriteOutcome & { events: AlertEvent[] };

/** A monitor as recording needs it: its spec and the pack holding its state. */
export type Recording = { spec: MonitorSpec; pack: string };

export type RecordOptions = {
  /** Redirect hops each monitor's check followed (edge checks), for the scheduler's planning. */
  hops?: Map<string, number>;
  /** The tick minute edge checks ran in: stored as each one's last run, so no tick runs it again. */
  ranAt?: number;
  /** Packs the caller read already (the tick); the rest are read here. */
  packs?: Map<string, Pack>;
  /** Statements to commit in the same D1 transaction as rollups and state (e.g. ingest dedupe). */
  extra?: D1PreparedStatement[];
  /** Hands alert events to delivery once state is committed. */
  notify?: (events: AlertEvent[]) => Promise<void>;
  certWarningDays: number;
  maintenance?: MaintenanceWindow[];
  /**
   * Results to leave out of state and rollups after all, judged against each monitor's member as last read (their
   * points stay): the tick's missed heartbeat deadlines that a ping, landing meanwhile, answered.
   */
  skip?: (r: StoredResult, member: Member) => boolean;
};

type Evaluated = { spec: MonitorSpec; prev: MonitorState; out: RuleOutput; results: StoredResult[] };

/**
 * Records `results`. Order is what makes a crash safe: points are durable (in the store or the
 * outbox) before state moves; the packs' new state, rollups and `extra` commit in one D1 batch;
 * alert events are raised only from committed state. A pack another writer changed meanwhile fails
 * that batch as a whole; the results are then evaluated again against the pack as it now is.
 */
export async function recordResults(
  db: D1Database,
  writer: PointWriter,
  log: Logger,
  results: StoredResult[],
  monitors: Map<string, Recording>,
  opts: RecordOptions,
): Promise<Recorded> {
  logFailedChecks(log, results);
  // Each result says its monitor's pack: the embedded store keeps a pack's points together.
  const written = await writer.write(results.map((r) => ({ ...r, pack: monitors.get(r.monitor)?.pack })));
  const windows = opts.maintenance ?? (await loadMaintenance(db));
  const keys = [...new Set(results.flatMap((r) => monitors.get(r.monitor)?.pack ?? []))];
  let packs = opts.packs ?? new Map<string, Pack>();
  const evaluated = await withPackRetry(async (attempt) => {
    if (attempt > 1 || keys.some((k) => !packs.has(k))) packs = await readPacks(db, keys);
    const list = evaluateResults(results, monitors, packs, windows, opts);
    await commitState(db, log, results, list, packs, opts);
    return list;
  });
  const events = await raiseAlerts(db, log, evaluated, opts.notify);
  return { ...written, events };
}

/**
 * Each monitor's results through the alert rules, from its member in `packs`, which this updates in
 * place (monitors deleted meanwhile have no member and are skipped: their points stay).
 */
function evaluateResults(
  results: StoredResult[],
  monitors: Map<string, Recording>,
  packs: Map<string, Pack>,
  windows: MaintenanceWindow[],
  opts: RecordOptions,
): Evaluated[] {
  const byMonitor = new Map<string, StoredResult[]>();
  for (const r of results) (byMonitor.get(r.monitor) ?? byMonitor.set(r.monitor, []).get(r.monitor)!).push(r);
  const evaluated: Evaluated[] = [];
  for (const [monitor, all] of byMonitor) {
    const rec = monitors.get(monitor);
    const member = rec && packs.get(rec.pack)?.members.get(monitor);
    if (!rec || !member) continue;
    const list = opts.skip ? all.filter((r) => !opts.skip!(r, member)) : all;
    if (list.length === 0) continue;
    const out = evaluate({
      spec: rec.spec,
      state: member.state,
      locations: new Map(Object.entries(member.locations)),
      results: list,
      inMaintenance: (ts) => inMaintenance(windows, monitor, ts),
      certWarningDays: opts.certWarningDays,
    });
    const latest = { ...member.latest };
    for (const l of latestOf(list)) {
      const seen = latest[l.location];
      if (seen && seen.ts > l.ts) continue;
      latest[l.location] = { ...l, tls_expires_at: l.tls_expires_at ?? seen?.tls_expires_at ?? null };
    }
    packs.get(rec.pack)!.members.set(monitor, {
      ...member,
      state: out.state,
      locations: Object.fromEntries(out.locations),
      latest,
      ...(opts.hops?.has(monitor) ? { hops: opts.hops.get(monitor)! } : {}),
      ...(list.some((r) => r.heartbeat) ? { hb: list.reduce((hb, r) => (r.heartbeat ? afterResult(hb, r) : hb), member.hb) } : {}),
      ...(opts.ranAt !== undefined && rec.spec.runner === "edge" ? { ran: Math.max(member.ran ?? 0, opts.ranAt) } : {}),
    });
    evaluated.push({ spec: rec.spec, prev: member.state, out, results: list });
  }
  return evaluated;
}

/** Rollups, the touched packs, incidents and the caller's `extra`: one D1 batch. */
async function commitState(
  db: D1Database,
  log: Logger,
  results: StoredResult[],
  evaluated: Evaluated[],
  packs: Map<string, Pack>,
  opts: RecordOptions,
): Promise<void> {
  const touched = new Set(evaluated.map((e) => e.spec.id));
  // Only the results evaluated (opts.skip may have left some out) count in rollups.
  const kept = new Set(evaluated.flatMap((e) => e.results));
  const stmts: D1PreparedStatement[] = [...(opts.extra ?? [])];
  const now = Date.now();
  for (const pack of packs.values()) {
    const mine = results.filter((r) => touched.has(r.monitor) && pack.members.has(r.monitor) && kept.has(r));
    if (mine.length === 0) continue;
    // Rollups: counted into the pack's open hours; hours that closed (and late results) merge into their rows.
    stmts.push(...(await mergeRollups(db, pack.key, foldIntoPack(pack, mine, now))), writePack(db, pack));
  }
  for (const { spec, prev, out } of evaluated) {
    for (const change of out.incidents) stmts.push(incidentStatement(db, spec.id, change));
    if (out.state.status !== prev.status)
      log.info("monitor state changed", { monitor: spec.id, from: prev.status, to: out.state.status, last_error: out.state.last_error });
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
