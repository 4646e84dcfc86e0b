// The point outbox on real D1 with real InfluxDB servers: unreachable → queued durably, bounded with
// counted drops, backoff without subrequests, and a flush that lands every point exactly once.
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, inject, it } from "vitest";
import { getCounters } from "../src/db/counters.ts";
import { createLogger } from "../src/observability/log.ts";
import { InfluxPointStore } from "../src/points/influx.ts";
import { OUTBOX_COUNTERS, PointWriter, backoffMs } from "../src/points/outbox.ts";
import type { StoredResult } from "../src/points/store.ts";
import { freshDatabase, influxOpen } from "./points-influx.ts";

const refused = inject("refusedUrl" as never) as string;

const result = (i: number): StoredResult => ({
  id: `ob-${i}`,
  monitor: "outbox-mon",
  ts: 1_764_216_000_000 + i * 60_000,
  ok: true,
  latency_ms: 12.5,
  location: "edge",
  agent: null,
  error: null,
  http: { status: 200, content_length: 2 },
  kind: "http",
  target: "https://outbox.example.test/",
});

let lines: Array<{ level: string; msg: string; [k: string]: unknown }>;
let clock: number;

function writer(url: string, database = "nowhere", maxPoints = 5) {
  const store = new InfluxPointStore({ url: url.replace(/\/$/, ""), database, retentionPolicy: null, auth: null }, fetch);
  const log = createLogger("info", {}, (_l, line) => lines.push(JSON.parse(line)));
  return new PointWriter(store, env.DB, log, { maxPoints, flushBatch: 100, backoffMaxMs: 600_000, now: () => clock, random: () => 1 });
}

beforeEach(async () => {
  lines = [];
  clock = 1_000_000;
  await env.DB.batch([env.DB.prepare("DELETE FROM point_outbox"), env.DB.prepare("DELETE FROM counters")]);
});

describe("point outbox", () => {
  it("keeps points the store did not acknowledge, then backs off without trying", async () => {
    const w = writer(refused);
    const first = await w.write([result(1), result(2)]);
    expect(first).toMatchObject({ stored: 0, queued: 2, dropped: 0, subrequests: 1 });
    expect(await w.depth()).toBe(2);
    expect(lines.find((l) => l.msg.includes("write failed"))).toMatchObject({
      level: "warn",
      consecutive_failures: 1,
      retry_in_ms: 15_000,
    });
    // Within the backoff: straight to the outbox, no subrequest spent.
    clock += 1_000;
    expect(await w.write([result(3)])).toMatchObject({ queued: 1, subrequests: 0 });
    expect((await w.flush()).subrequests).toBe(0);
    // After it, a failed flush doubles the wait.
    clock += 15_000;
    expect(await w.flush()).toMatchObject({ delivered: 0, remaining: 3, subrequests: 1 });
    const c = await getCounters(env.DB, [OUTBOX_COUNTERS.failures, OUTBOX_COUNTERS.nextAttempt]);
    expect(c).toEqual({ [OUTBOX_COUNTERS.failures]: 2, [OUTBOX_COUNTERS.nextAttempt]: clock + 30_000 });
  });

  it("is bounded: the oldest points are dropped, counted and logged", async () => {
    const w = writer(refused, "nowhere", 5);
    await w.write([1, 2, 3].map(result));
    clock += 100_000_000;
    const r = await w.write([4, 5, 6, 7].map(result));
    expect(r).toMatchObject({ queued: 4, dropped: 2 });
    expect(await w.depth()).toBe(5);
    const kept = await env.DB.prepare("SELECT result FROM point_outbox ORDER BY seq").all<{ result: string }>();
    expect(kept.results.map((k) => JSON.parse(k.result).id)).toEqual(["ob-3", "ob-4", "ob-5", "ob-6", "ob-7"]);
    expect((await getCounters(env.DB, [OUTBOX_COUNTERS.dropped]))[OUTBOX_COUNTERS.dropped]).toBe(2);
    expect(lines.find((l) => l.msg.includes("outbox full"))).toMatchObject({ level: "error", dropped: 2, max_points: 5 });
  });

  it("flushes to a reachable InfluxDB and every point lands exactly once", async () => {
    const cfg = await freshDatabase(influxOpen(), "outbox");
    await writer(refused, "nowhere", 100).write([1, 2, 3, 4].map(result));
    clock += 1_000_000;
    const w = writer(cfg.url, cfg.database, 100);
    expect(await w.flush()).toMatchObject({ delivered: 4, remaining: 0, subrequests: 1 });
    // A flush delivered twice (e.g. overlapping invocations) must not duplicate points.
    await w.store.write([1, 2].map(result));
    const checks = await w.store.checks({ monitor: "outbox-mon", kind: "http", from: 0, to: Date.now(), limit: 100 });
    expect(checks.map((c) => c.id).sort()).toEqual(["ob-1", "ob-2", "ob-3", "ob-4"]);
    const c = await getCounters(env.DB, [OUTBOX_COUNTERS.failures, OUTBOX_COUNTERS.nextAttempt, OUTBOX_COUNTERS.delivered]);
    expect(c).toEqual({ [OUTBOX_COUNTERS.failures]: 0, [OUTBOX_COUNTERS.nextAttempt]: 0, [OUTBOX_COUNTERS.delivered]: 4 });
  });

  it("backoff doubles from 15 s to the cap, with jitter of at most half", () => {
    expect([1, 2, 3, 4, 10].map((n) => backoffMs(n, 600_000, () => 1))).toEqual([15_000, 30_000, 60_000, 120_000, 600_000]);
    expect(backoffMs(1, 600_000, () => 0)).toBe(7_500);
    expect(backoffMs(3, 20_000, () => 1)).toBe(20_000);
  });
});
