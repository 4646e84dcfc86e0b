// Recording results, wherever they come from (edge checks or agents): points made durable first,
// then rollups and monitor state updated together in one D1 batch.
import type { MonitorSpec } from "../../contract/index.ts";
import { saveState, loadStates } from "./db/schedule.ts";
import type { Logger } from "./log.ts";
import type { PointWriter, WriteOutcome } from "./points/outbox.ts";
import type { StoredResult } from "./points/store.ts";
import { rollupDeltas, upsertRollups } from "./rollups.ts";
import { applyResults, type Transition } from "./state.ts";

export type Recorded = WriteOutcome & { transitions: Array<Transition & { monitor: string }> };

export async function recordResults(
  db: D1Database,
  writer: PointWriter,
  log: Logger,
  results: StoredResult[],
  specs: Map<string, MonitorSpec>,
  hops: Map<string, number> = new Map(),
  /** Statements to commit in the same D1 transaction as the rollups and state (e.g. ingest dedupe). */
  extra: D1PreparedStatement[] = [],
): Promise<Recorded> {
  const written = await writer.write(results);
  const byMonitor = new Map<string, StoredResult[]>();
  for (const r of results) {
    const list = byMonitor.get(r.monitor);
    if (list) list.push(r);
    else byMonitor.set(r.monitor, [r]);
  }
  const states = await loadStates(db, [...byMonitor.keys()]);
  const stmts: D1PreparedStatement[] = [...extra, ...upsertRollups(db, rollupDeltas(results))];
  const transitions: Recorded["transitions"] = [];
  for (const [monitor, list] of byMonitor) {
    const prev = states.get(monitor);
    const spec = specs.get(monitor);
    if (!prev || !spec) continue; // deleted meanwhile: its points are kept, it has no state to update
    const { state, transitions: t } = applyResults(prev, list, spec);
    stmts.push(saveState(db, monitor, state, hops.has(monitor) ? hops.get(monitor)! : null));
    for (const x of t) {
      transitions.push({ ...x, monitor });
      log.info("monitor state changed", { monitor, from: x.from, to: x.to, at: new Date(x.at).toISOString(), last_error: state.last_error });
    }
  }
  if (stmts.length) await db.batch(stmts);
  return { ...written, transitions };
}
