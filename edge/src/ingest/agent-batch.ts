// An agent's pushed batch, checked against what the agent may report, with results it pushed before dropped.
import { type IngestBatch, type MonitorSpec, timeRangeProblem } from "../../../contract/index.ts";
import { ApiError } from "../api/errors.ts";
import type { AgentRow } from "../db/agents.ts";
import { findIngested } from "../db/ingested.ts";
import type { StoredResult } from "../points/store.ts";

/** Whether `spec` is one this agent's location must run (the replica split is scheduling, not permission). */
function assignedTo(spec: MonitorSpec | undefined, location: string): boolean {
  return !!spec && spec.runner === "agent" && (spec.locations.length === 0 || spec.locations.includes(location));
}

export type TimeRange = { now: number; maxAgeMs: number; maxAheadMs: number };

/**
 * Throws 403 for results the agent may not report and 400 for results that do not fit their monitor,
 * or whose time is outside `range` (a time past it would freeze a monitor's state or break every read).
 */
export function checkBatch(agent: AgentRow, batch: IngestBatch, specs: Map<string, MonitorSpec>, range: TimeRange): void {
  const invalid: Array<{ path: string; message: string }> = [];
  const forbidden: Array<{ path: string; message: string }> = [];
  batch.results.forEach((r, i) => {
    const spec = specs.get(r.monitor);
    const late = timeRangeProblem(r.ts, range.now, range.maxAgeMs, range.maxAheadMs);
    if (late) invalid.push({ path: `results[${i}].ts`, message: late });
    if (r.location !== agent.location)
      invalid.push({ path: `results[${i}].location`, message: `must be this agent's location "${agent.location}"` });
    if (r.agent !== null && r.agent !== agent.id)
      forbidden.push({ path: `results[${i}].agent`, message: `names agent "${r.agent}", but the token is agent "${agent.id}"` });
    if (!assignedTo(spec, agent.location))
      forbidden.push({ path: `results[${i}].monitor`, message: `monitor "${r.monitor}" is not assigned to location "${agent.location}"` });
    else
      for (const block of ["http", "tcp", "icmp", "tls"] as const)
        if (r[block] !== undefined && block !== spec!.kind)
          invalid.push({ path: `results[${i}].${block}`, message: `monitor "${r.monitor}" is a ${spec!.kind} monitor` });
  });
  if (forbidden.length) {
    const names = [...new Set(forbidden.filter((f) => f.path.endsWith(".monitor")).map((f) => f.message.split('"')[1]))];
    throw new ApiError(
      "forbidden",
      names.length ? `results for monitors not assigned to this agent: ${names.join(", ")}` : "results name another agent",
      forbidden,
    );
  }
  if (invalid.length)
    throw new ApiError("invalid_input", `batch is invalid: ${invalid.length} problem${invalid.length === 1 ? "" : "s"}`, invalid);
}

/** The batch's results not ingested before (a result repeated inside one batch counts once), as stored results. */
export async function freshResults(
  db: D1Database,
  agent: AgentRow,
  batch: IngestBatch,
  specs: Map<string, MonitorSpec>,
): Promise<StoredResult[]> {
  const seen = await findIngested(
    db,
    agent.id,
    batch.results.map((r) => r.id),
  );
  const fresh: StoredResult[] = [];
  for (const r of batch.results) {
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    const spec = specs.get(r.monitor)!;
    fresh.push({
      ...r,
      agent: agent.id,
      kind: spec.kind,
      target: spec.target,
      ...(spec.kind === "http" ? { method: spec.http.method } : {}),
    });
  }
  return fresh;
}
