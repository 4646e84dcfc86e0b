// Read endpoints: recent checks, uptime over a window, and the status summary built from rollups.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/api/app.ts";
import { parseConfig } from "../src/config/config.ts";
import type { Env } from "../src/config/env.ts";
import { createLogger } from "../src/observability/log.ts";
import type { StoredResult } from "../src/points/store.ts";
import { recordResults } from "../src/ingest/record.ts";
import { monitorsByIds } from "../src/db/monitors.ts";
import { DAY, HOUR, floorTo } from "../src/status/rollups.ts";
import { pointWriter } from "../src/ingest/writer.ts";
import { api } from "./helpers.ts";

const now = Date.now();
const ID = "hist-web";
const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;

// [offset before now, ok, latency]
const SEED: Array<[number, boolean, number | null]> = [
  [1 * HOUR, true, 10], // A
  [2 * HOUR, false, null], // B
  [30 * HOUR, true, 30], // C
  [3 * DAY, true, null], // D: up, but no latency measured
  [10 * DAY, false, 5], // E: failed with a latency
  [40 * DAY, true, 70], // F
  [100 * DAY, false, null], // G: beyond 90 days
];

const results: StoredResult[] = SEED.map(([ago, ok, latency], i) => ({
  id: `hist-${i}`,
  monitor: ID,
  ts: now - ago,
  ok,
  latency_ms: latency,
  location: "edge",
  agent: null,
  error: ok ? null : { kind: "status", message: "got 503 Service Unavailable, expected 2xx" },
  http: { status: ok ? 200 : 503, content_length: 10 },
  kind: "http",
  target: "https://hist.example.test/",
}));

beforeAll(async () => {
  expect(
    (
      await api("POST", "/api/v1/monitors", {
        body: { id: ID, name: "History", group: "Web", kind: "http", target: "https://hist.example.test/" },
      })
    ).status,
  ).toBe(201);
  // The history predates this test's monitor: say it was created before its oldest result (reads start at created_at).
  await env.DB.prepare("UPDATE monitors SET created_at = ?2 WHERE id = ?1")
    .bind(ID, now - 200 * DAY)
    .run();
  const r = parseConfig(env as unknown as Env);
  if (!r.ok) throw new Error("bad test config");
  const rt = { config: r.config, log: createLogger("warn"), fetch, queue: r.config.queue };
  const spec = (await api("GET", `/api/v1/monitors/${ID}`)).body;
  const pack = (await monitorsByIds(r.config.db, [ID])).get(ID)!.pack;
  await recordResults(r.config.db, pointWriter(rt), rt.log, results, new Map([[ID, { spec, pack }]]), { certWarningDays: 14 });
});

describe("GET /api/v1/monitors/:id/checks", () => {
  it("returns results newest first within the window, limited", async () => {
    const r = await api("GET", `/api/v1/monitors/${ID}/checks?from=${now - 200 * DAY}&to=${now + 1}&limit=3`);
    expect(r.status).toBe(200);
    expect(r.body.checks.map((c: any) => c.id)).toEqual(["hist-0", "hist-1", "hist-2"]);
    expect(r.body.checks[1]).toEqual({
      id: "hist-1",
      monitor: ID,
      ts: new Date(now - 2 * HOUR).toISOString(),
      ok: false,
      latency_ms: null,
      location: "edge",
      agent: null,
      error: { kind: "status", message: "got 503 Service Unavailable, expected 2xx" },
      http: { status: 503, content_length: 10 },
    });
  });
  it("defaults to the last 24 hours and accepts RFC 3339", async () => {
    expect((await api("GET", `/api/v1/monitors/${ID}/checks`)).body.checks.map((c: any) => c.id)).toEqual(["hist-0", "hist-1"]);
    const from = new Date(now - 31 * HOUR).toISOString();
    expect((await api("GET", `/api/v1/monitors/${ID}/checks?from=${from}`)).body.checks).toHaveLength(3);
  });
  it("names bad parameters", async () => {
    const cases: Array<[string, string]> = [
      ["from=yesterday", "from"],
      ["limit=0", "limit"],
      ["limit=abc", "limit"],
      ["colour=red", "colour"],
      [`from=${now}&to=${now - 1}`, "from"],
    ];
    for (const [qs, path] of cases) {
      const r = await api("GET", `/api/v1/monitors/${ID}/checks?${qs}`);
      expect(r.status, qs).toBe(400);
      expect(
        r.body.error.issues.map((i: any) => i.path),
        qs,
      ).toContain(path);
    }
    expect((await api("GET", "/api/v1/monitors/nope/checks")).status).toBe(404);
  });
});

describe("GET /api/v1/monitors/:id/uptime", () => {
  it("computes uptime as the share of up results, latency over successful checks", async () => {
    const from = now - 5 * DAY;
    const r = await api("GET", `/api/v1/monitors/${ID}/uptime?from=${from}&to=${now + 1}&bucket=1d`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ monitor: ID, checks: 4, up: 3, uptime: 0.75, avg_latency_ms: 20, no_data: false, bucket: "1d" });
    const starts = r.body.buckets.map((b: any) => Date.parse(b.start));
    expect(starts[0]).toBe(floorTo(from, DAY));
    expect(r.body.buckets.reduce((s: number, b: any) => s + b.checks, 0)).toBe(4);
    for (const b of r.body.buckets) if (b.checks === 0) expect(b).toMatchObject({ uptime: null, avg_latency_ms: null });
  });
  it("says so when a window has no data instead of inventing 100%", async () => {
    const r = await api("GET", `/api/v1/monitors/${ID}/uptime?from=${now - 90 * DAY}&to=${now - 50 * DAY}`);
    expect(r.body).toMatchObject({ checks: 0, up: 0, uptime: null, avg_latency_ms: null, no_data: true, buckets: [] });
  });
  it("refuses unknown buckets and windows with too many buckets", async () => {
    expect((await api("GET", `/api/v1/monitors/${ID}/uptime?bucket=2h`)).status).toBe(400);
    const r = await api("GET", `/api/v1/monitors/${ID}/uptime?from=${now - 4 * 366 * DAY}&bucket=1h`);
    expect(r.status).toBe(400);
    expect(r.body.error.issues[0].path).toBe("bucket");
  });
  it("refuses query times outside five years back and a day ahead, or past what a Date holds, naming the field", async () => {
    for (const [q, path] of [
      ["from=0", "from"],
      [`to=${now + 2 * DAY}`, "to"],
      ["from=8640000000000001", "from"],
      ["to=99999999999999999999", "to"],
      ["from=9999-12-31T23:59:59Z", "from"],
    ] as const) {
      const r = await api("GET", `/api/v1/monitors/${ID}/checks?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error.issues.map((i: { path: string }) => i.path)).toEqual([path]);
    }
  });
});

describe("GET /api/v1/status", () => {
  it("gives 24h/7d/30d/90d uptime and 90 daily buckets from rollups", async () => {
    const r = await api("GET", "/api/v1/status");
    expect(r.status).toBe(200);
    const m = r.body.monitors.find((x: any) => x.id === ID);
    expect(m).toMatchObject({ id: ID, name: "History", group: "Web", kind: "http", status: "up", latency_ms: 10 });
    expect(m.uptime["24h"]).toBe(0.5);
    expect(m.uptime["7d"]).toBe(0.75);
    expect(m.uptime["30d"]).toBe(0.6);
    expect(m.uptime["90d"]).toBeCloseTo(4 / 6, 12);
    // Days are parallel arrays: index 0 is `from`, index 89 is today (UTC).
    expect(m.days.checks).toHaveLength(90);
    expect(m.days.up).toHaveLength(90);
    expect(m.days.from).toBe(new Date(floorTo(now, DAY) - 89 * DAY).toISOString().slice(0, 10));
    expect(m.days.checks.reduce((s: number, n: number) => s + n, 0)).toBe(6);
    const fIndex = 89 - (floorTo(now, DAY) - floorTo(now - 40 * DAY, DAY)) / DAY;
    expect([m.days.checks[fIndex], m.days.up[fIndex]]).toEqual([1, 1]);
    const empty = m.days.checks.map((c: number, i: number) => [c, m.days.up[i]]).filter(([c]: number[]) => c === 0);
    expect(empty.length).toBeGreaterThan(80);
    for (const [, up] of empty) expect(up).toBe(0);
  });
  it("agrees with the point store over the same windows", async () => {
    const status = (await api("GET", "/api/v1/status")).body.monitors.find((x: any) => x.id === ID);
    const from = floorTo(now, DAY) - 29 * DAY;
    const fromStore = await api("GET", `/api/v1/monitors/${ID}/uptime?from=${from}&to=${now + 1}`);
    expect(fromStore.body.uptime).toBe(status.uptime["30d"]);
  });
  it("is public only with PUBLIC_STATUS=true", async () => {
    expect((await api("GET", "/api/v1/status", { token: null })).status).toBe(401);
    const res = await createApp().request("/api/v1/status", {}, { ...(env as unknown as Env), PUBLIC_STATUS: "true" }, ctx);
    expect(res.status).toBe(200);
  });
});
