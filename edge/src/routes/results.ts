// POST /api/v1/results: agents push batches of results; answered 202 once they are durable.
import { Hono } from "hono";
import { IngestBatch, MAX_BATCH_RESULTS, type MonitorSpec } from "../../../contract/index.ts";
import { requireRole } from "../auth.ts";
import { limitBody, readJson, validate } from "../body.ts";
import type { AppEnv } from "../context.ts";
import { findAgentByToken, touchAgent, type AgentRow } from "../db/agents.ts";
import { upsertLatest } from "../db/latest.ts";
import { specsByIds } from "../db/monitors.ts";
import { ApiError } from "../errors.ts";
import type { StoredResult } from "../points/store.ts";
import { recordResults } from "../results.ts";
import { notifier } from "../alerts/notify.ts";
import { logFailedChecks, pointWriter } from "../scheduler/tick.ts";
import type { Context } from "hono";

export const MAX_BATCH_BYTES = 1024 * 1024;

export const results = new Hono<AppEnv>();

export async function callingAgent(c: Context<AppEnv>): Promise<AgentRow> {
  const tokenId = c.get("principal").tokenId;
  const agent = tokenId ? await findAgentByToken(c.get("config").db, tokenId) : null;
  if (!agent) throw new ApiError("forbidden", "this agent token has no agent registration; register the agent with POST /api/v1/agents");
  return agent;
}

/** Whether `spec` is one this agent's location must run (the replica split is scheduling, not permission). */
function assignedTo(spec: MonitorSpec | undefined, location: string): boolean {
  return !!spec && spec.runner === "agent" && (spec.locations.length === 0 || spec.locations.includes(location));
}

results.post("/", requireRole("agent"), limitBody(MAX_BATCH_BYTES), async (c) => {
  const agent = await callingAgent(c);
  const body = await readJson(c);
  const count = (body as { results?: unknown })?.results;
  if (Array.isArray(count) && count.length > MAX_BATCH_RESULTS)
    throw new ApiError("payload_too_large", `a batch holds at most ${MAX_BATCH_RESULTS} results; this one has ${count.length}`);
  const batch = validate(IngestBatch, body, "batch");
  const db = c.get("config").db;
  const specs = await specsByIds(db, [...new Set(batch.results.map((r) => r.monitor))]);

  const invalid: Array<{ path: string; message: string }> = [];
  const forbidden: Array<{ path: string; message: string }> = [];
  batch.results.forEach((r, i) => {
    const spec = specs.get(r.monitor);
    if (r.location !== agent.location) invalid.push({ path: `results[${i}].location`, message: `must be this agent's location "${agent.location}"` });
    if (r.agent !== null && r.agent !== agent.id) forbidden.push({ path: `results[${i}].agent`, message: `names agent "${r.agent}", but the token is agent "${agent.id}"` });
    if (!assignedTo(spec, agent.location)) forbidden.push({ path: `results[${i}].monitor`, message: `monitor "${r.monitor}" is not assigned to location "${agent.location}"` });
    else
      for (const block of ["http", "tcp", "icmp", "tls"] as const)
        if (r[block] !== undefined && block !== spec!.kind)
          invalid.push({ path: `results[${i}].${block}`, message: `monitor "${r.monitor}" is a ${spec!.kind} monitor` });
  });
  if (forbidden.length) {
    const names = [...new Set(forbidden.filter((f) => f.path.endsWith(".monitor")).map((f) => f.message.split('"')[1]))];
    throw new ApiError("forbidden", names.length ? `results for monitors not assigned to this agent: ${names.join(", ")}` : "results name another agent", forbidden);
  }
  if (invalid.length) throw new ApiError("invalid_input", `batch is invalid: ${invalid.length} problem${invalid.length === 1 ? "" : "s"}`, invalid);

  const now = Date.now();
  const seen = new Set(
    (
      await db
        .prepare("SELECT id FROM ingested_results WHERE id IN (SELECT value FROM json_each(?1))")
        .bind(JSON.stringify(batch.results.map((r) => r.id)))
        .all<{ id: string }>()
    ).results.map((r) => r.id),
  );
  const fresh: StoredResult[] = [];
  for (const r of batch.results) {
    if (seen.has(r.id)) continue;
    seen.add(r.id); // a result repeated inside one batch counts once
    const spec = specs.get(r.monitor)!;
    fresh.push({ ...r, agent: agent.id, kind: spec.kind, target: spec.target, ...(spec.kind === "http" ? { method: spec.http.method } : {}) });
  }
  const log = c.get("log").child({ agent: agent.id, location: agent.location });
  const extra = [touchAgent(db, agent.id, now, { version: batch.version, backlog: batch.backlog }), ...upsertLatest(db, fresh)];
  if (fresh.length)
    extra.push(
      db
        .prepare("INSERT INTO ingested_results (id, monitor, received_at) SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), ?2 FROM json_each(?1)")
        .bind(JSON.stringify(fresh.map((r) => [r.id, r.monitor])), now),
    );
  logFailedChecks(log, fresh);
  try {
    await recordResults(db, pointWriter({ config: c.get("config"), log, fetch: (i, init) => fetch(i, init) }), log, fresh, specs, {
      extra,
      certWarningDays: c.get("config").certWarningDays,
      notify: notifier(db, log, { waitUntil: (p) => c.executionCtx.waitUntil(p) }),
    });
  } catch (e) {
    // The same batch arriving twice at once: the other request stored it; this one must not double count.
    if (/UNIQUE constraint failed: ingested_results/.test(String(e)))
      throw new ApiError("conflict", "this batch is being stored by a concurrent request; retry it", [], { "retry-after": "1" });
    throw e;
  }
  log.info("results ingested", { accepted: fresh.length, duplicates: batch.results.length - fresh.length, backlog: batch.backlog ?? null });
  return c.json({ accepted: fresh.length, duplicates: batch.results.length - fresh.length }, 202);
});
