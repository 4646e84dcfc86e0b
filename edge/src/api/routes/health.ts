// /healthz (the isolate answers) and /readyz (configuration valid, D1 and the point store reachable, outbox depth).
import { Hono } from "hono";
import type { AppEnv } from "../context.ts";
import { getCounters } from "../../db/counters.ts";
import { pingDb, readOutbox } from "../../db/observability.ts";
import { createPointStore } from "../../points/index.ts";
import { OUTBOX_COUNTERS } from "../../points/outbox.ts";

export const healthz = new Hono<AppEnv>();
healthz.get("/healthz", (c) => c.json({ status: "ok" }));

type Probe = { ok: boolean; latency_ms: number; error?: string };

async function probe(fn: () => Promise<unknown>): Promise<Probe> {
  const started = Date.now();
  try {
    await fn();
    return { ok: true, latency_ms: Date.now() - started };
  } catch (e) {
    return { ok: false, latency_ms: Date.now() - started, error: e instanceof Error ? e.message : String(e) };
  }
}

export const readyz = new Hono<AppEnv>();
readyz.get("/readyz", async (c) => {
  const config = c.get("config");
  const store = createPointStore(config, fetch);
  const [d1, points] = await Promise.all([probe(() => pingDb(config.db)), probe(() => store.ping())]);
  let outbox: { depth: number | null; max: number; dropped: number | null } = { depth: null, max: config.outboxMaxPoints, dropped: null };
  if (d1.ok) {
    const [depth, counters] = await Promise.all([readOutbox(config.db), getCounters(config.db, [OUTBOX_COUNTERS.dropped])]);
    outbox = { depth: depth.depth, max: config.outboxMaxPoints, dropped: counters[OUTBOX_COUNTERS.dropped]! };
  }
  const ready = d1.ok && points.ok;
  if (!ready) c.get("log").warn("not ready", { d1, point_store: points });
  return c.json(
    { status: ready ? "ready" : "unavailable", checks: { d1, point_store: { store: store.name, ...points } }, outbox },
    ready ? 200 : 503,
  );
});
