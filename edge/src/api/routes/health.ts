// /healthz (the isolate answers) and /readyz (configuration valid, D1 and the point store reachable, outbox depth).
// /readyz answers anyone, so without an admin's token it says only whether the Worker is ready: the
// detail names the point store's origin and carries its errors.
import { Hono } from "hono";
import { authenticate, roleAllows } from "../auth.ts";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { limitAnonymous, limitCaller, rateLimitReadiness } from "../rate-limit.ts";
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
  // A token is optional here; one that is sent is checked (401 when unknown), and only an admin's brings
  // the detail. With D1 down a stored token cannot be looked up: the caller gets the short answer.
  const principal = await authenticate(c).catch((e: unknown) => {
    if (e instanceof ApiError) throw e;
    return null;
  });
  if (principal) c.set("principal", principal);
  // Each probe costs a D1 query and a request to the point store: callers are limited like the API's.
  await (principal ? limitCaller(c, principal) : limitAnonymous(c));
  const detail = principal !== null && roleAllows(principal.role, "admin");
  const store = createPointStore(config, fetch);
  const [d1, points] = await Promise.all([probe(() => pingDb(config.db)), probe(() => store.ping())]);
  let outbox: { depth: number | null; max: number; dropped: number | null } = { depth: null, max: config.outboxMaxPoints, dropped: null };
  if (d1.ok && detail) {
    const [depth, counters] = await Promise.all([readOutbox(config.db), getCounters(config.db, [OUTBOX_COUNTERS.dropped])]);
    outbox = { depth: depth.depth, max: config.outboxMaxPoints, dropped: counters[OUTBOX_COUNTERS.dropped]! };
  }
  const ready = d1.ok && points.ok;
  if (!ready) c.get("log").warn("not ready", { d1, point_store: points });
  const status = ready ? "ready" : "unavailable";
  if (!detail) return c.json({ status }, ready ? 200 : 503);
  const { enforced, warnings } = rateLimitReadiness(config);
  return c.json(
    { status, checks: { d1, point_store: { store: store.name, ...points } }, outbox, rate_limits: enforced, warnings },
    ready ? 200 : 503,
  );
});
