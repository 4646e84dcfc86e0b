// POST /api/v1/results: agents push batches of results; answered 202 once they are durable.
import { Hono, type Context } from "hono";
import { IngestBatch, MAX_BATCH_RESULTS } from "../../../../contract/index.ts";
import { notifier } from "../../alerts/notify.ts";
import { requireRole } from "../auth.ts";
import { limitBody, readJson, validate } from "../body.ts";
import type { AppEnv } from "../context.ts";
import { findAgentByToken, touchAgent, type AgentRow } from "../../db/agents.ts";
import { isDuplicateIngest, markIngested } from "../../db/ingested.ts";
import { monitorsByIds } from "../../db/monitors.ts";
import { ApiError } from "../errors.ts";
import { checkBatch, freshResults } from "../../ingest/agent-batch.ts";
import { recordResults } from "../../ingest/record.ts";
import { pointWriter } from "../../ingest/writer.ts";

export const MAX_BATCH_BYTES = 1024 * 1024;

export const results = new Hono<AppEnv>();

export async function callingAgent(c: Context<AppEnv>): Promise<AgentRow> {
  const tokenId = c.get("principal").tokenId;
  const agent = tokenId ? await findAgentByToken(c.get("config").db, tokenId) : null;
  if (!agent) throw new ApiError("forbidden", "this agent token has no agent registration; register the agent with POST /api/v1/agents");
  return agent;
}

results.post("/", requireRole("agent"), limitBody(MAX_BATCH_BYTES), async (c) => {
  const agent = await callingAgent(c);
  const body = await readJson(c);
  const count = (body as { results?: unknown })?.results;
  if (Array.isArray(count) && count.length > MAX_BATCH_RESULTS)
    throw new ApiError("payload_too_large", `a batch holds at most ${MAX_BATCH_RESULTS} results; this one has ${count.length}`);
  const batch = validate(IngestBatch, body, "batch");
  const config = c.get("config");
  const db = config.db;
  const monitors = await monitorsByIds(db, [...new Set(batch.results.map((r) => r.monitor))]);
  const specs = new Map([...monitors].map(([id, m]) => [id, m.spec]));
  const now = Date.now();
  checkBatch(agent, batch, specs, { now, maxAgeMs: config.resultMaxAgeMs, maxAheadMs: config.resultMaxAheadMs });
  // Results from before the monitor was created (less the clock skew allowed) belong to a deleted
  // monitor of the same id: answered, not recorded.
  const current = batch.results.filter((r) => r.ts >= monitors.get(r.monitor)!.created_at - config.resultMaxAheadMs);
  const stale = batch.results.length - current.length;
  const fresh = await freshResults(db, agent, { ...batch, results: current }, specs);

  const log = c.get("log").child({ agent: agent.id, location: agent.location });
  const extra = [
    touchAgent(db, agent.id, now, { version: batch.version, backlog: batch.backlog }),
    ...(fresh.length ? [markIngested(db, fresh, now)] : []),
  ];
  try {
    await recordResults(db, pointWriter({ config, log, fetch: (i, init) => fetch(i, init) }), log, fresh, monitors, {
      extra,
      certWarningDays: config.certWarningDays,
      notify: notifier(db, log, { waitUntil: (p) => c.executionCtx.waitUntil(p) }),
    });
  } catch (e) {
    // The same batch arriving twice at once: the other request stored it; this one must not double count.
    if (isDuplicateIngest(e))
      throw new ApiError("conflict", "this batch is being stored by a concurrent request; retry it", [], { "retry-after": "1" });
    throw e;
  }
  const duplicates = current.length - fresh.length;
  log.info("results ingested", { accepted: fresh.length, duplicates, stale, backlog: batch.backlog ?? null });
  return c.json({ accepted: fresh.length, duplicates, stale }, 202);
});
