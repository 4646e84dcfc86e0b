// Fault test across processes: the Worker under wrangler dev writes to a real InfluxDB; the server
// is stopped for several cron ticks and started again; every point must arrive exactly once.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain ESM helper without types
import { LOOPBACK_EGRESS_ALLOW, applyMigrations, startWorker } from "../scripts/lib/wrangler-dev.mjs";
import { startCountingTarget, type CountingTarget } from "./services/counting-target.ts";
import { apiClient } from "./services/http.ts";
import { createDatabase, influxQuery, startInflux, type InfluxServer } from "./services/influxdb.ts";

const TOKEN = "outage-test-admin-token-0123456789";
const DB = "uptime_outage";
const MINUTE = 60_000;

let influx: InfluxServer;
let target: CountingTarget;
let worker: { url: string; tick(t?: number): Promise<void>; stop(): Promise<void> };
let state: string;
const logs: string[] = [];

const api = apiClient(() => worker.url, TOKEN);

async function pointsInInflux(): Promise<{ count: number; ids: string[] }> {
  const r = (await influxQuery(influx.url, 'SELECT "check_id" FROM "http_response"', undefined, DB)) as any;
  const values: unknown[][] = r.results?.[0]?.series?.[0]?.values ?? [];
  return { count: values.length, ids: values.map((v) => String(v[1])) };
}

beforeAll(async () => {
  influx = await startInflux();
  await createDatabase(influx, DB);
  target = await startCountingTarget();
  state = mkdtempSync(path.join(tmpdir(), "ium-outage-"));
  await applyMigrations({ persistTo: state });
  worker = await startWorker({
    persistTo: state,
    vars: {
      ADMIN_TOKEN: TOKEN,
      EGRESS_ALLOW: LOOPBACK_EGRESS_ALLOW,
      INFLUX_URL: influx.url,
      INFLUX_DATABASE: DB,
      OUTBOX_BACKOFF_MAX_S: "1",
      LOG_LEVEL: "info",
    },
    onLine: (l: string) => logs.push(l),
  });
  for (const id of ["out-a", "out-b", "out-c"])
    expect((await api("POST", "/api/v1/monitors", { id, kind: "http", target: `${target.url}/hit/${id}` })).status).toBe(201);
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  await target?.close();
  await influx?.destroy();
  if (state) rmSync(state, { recursive: true, force: true });
});

describe("InfluxDB outage", () => {
  // The first minute boundary after the monitors were created, so they are due in it.
  let t0 = 0;
  beforeAll(() => {
    t0 = Math.floor(Date.now() / MINUTE) * MINUTE + MINUTE;
  });

  it("writes straight to InfluxDB while it is up", async () => {
    await worker.tick(t0);
    expect((await pointsInInflux()).count).toBe(3);
    const ready = await api("GET", "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body.outbox.depth).toBe(0);
  });

  it("keeps points in the outbox while InfluxDB is down, and says so in /readyz", async () => {
    await influx.stop();
    for (let i = 1; i <= 4; i++) await worker.tick(t0 + i * MINUTE);
    const ready = await api("GET", "/readyz");
    expect(ready.status).toBe(503);
    expect(ready.body.checks.point_store).toMatchObject({ store: "influxdb", ok: false });
    expect(ready.body.outbox).toMatchObject({ depth: 12, dropped: 0 });
    // Checks kept running and state kept moving while the store was down.
    expect(((await fetch(`${target.url}/control/stats`).then((r) => r.json())) as any).total).toBe(15);
    expect(logs.some((l) => l.includes("point store write failed"))).toBe(true);
  });

  it("delivers every queued point exactly once after InfluxDB comes back", async () => {
    await influx.start();
    await new Promise((r) => setTimeout(r, 1100)); // let the (1 s capped) backoff pass
    await worker.tick(t0 + 5 * MINUTE);
    await worker.tick(t0 + 6 * MINUTE);
    const { count, ids } = await pointsInInflux();
    expect(count).toBe(21); // 7 ticks × 3 monitors
    expect(new Set(ids).size).toBe(21);
    const ready = await api("GET", "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body.outbox.depth).toBe(0);
    const checks = await api("GET", `/api/v1/monitors/out-a/checks?from=${t0 - MINUTE}&to=${t0 + 7 * MINUTE}&limit=50`);
    expect(checks.body.checks).toHaveLength(7);
  });
});
