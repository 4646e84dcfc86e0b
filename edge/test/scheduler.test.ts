// The cron scheduler in the real runtime: due monitors checked once per interval, at most 6 in
// flight, batches within the subrequest budget fanned out through the real CHECKS_QUEUE.
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, inject, it } from "vitest";
import { parseConfig } from "../src/config/config.ts";
import type { Env } from "../src/config/env.ts";
import { createLogger } from "../src/observability/log.ts";
import { phaseOf } from "../src/scheduler/slots.ts";
import { runTick, type Runtime } from "../src/scheduler/tick.ts";
import { api } from "./helpers.ts";

const target = inject("countingUrl");
const MINUTE = 60_000;

async function control(path: string) {
  await fetch(`${target}/control/${path}`, { method: "POST" });
}
async function stats(): Promise<{ hits: Record<string, number>; max_in_flight: number; total: number }> {
  return (await fetch(`${target}/control/stats`)).json();
}

function runtime(vars: Partial<Env> = {}): Runtime {
  const r = parseConfig({ ...(env as unknown as Env), ...vars });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return { config: r.config, log: createLogger("warn"), fetch: (i, init) => fetch(i, init), queue: r.config.queue };
}

async function createMonitors(prefix: string, n: number, extra: Record<string, unknown> = {}, ms = 0) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `${prefix}-${String(i).padStart(3, "0")}`;
    const r = await api("POST", "/api/v1/monitors", {
      body: { id, kind: "http", target: `${target}/hit/${id}?ms=${ms}`, timeout_ms: 5000, ...extra },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    ids.push(id);
  }
  return ids;
}

async function checkedCount(ids: string[]) {
  const r = await env.DB.prepare(
    `SELECT COUNT(*) AS n FROM monitors m JOIN state_packs p ON p.pack = m.pack
     WHERE m.id IN (SELECT value FROM json_each(?)) AND json_extract(p.body, '$.members.' || json_quote(m.id) || '.state.last_check_at') IS NOT NULL`,
  )
    .bind(JSON.stringify(ids))
    .first<{ n: number }>();
  return r!.n;
}

async function until(what: string, cond: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeEach(async () => {
  // Each test starts from no monitors, so a tick claims exactly what the test created.
  await env.DB.batch([
    env.DB.prepare("DELETE FROM state_packs"),
    env.DB.prepare("DELETE FROM counters WHERE name = 'edge_tick'"),
    env.DB.prepare("DELETE FROM monitors"),
  ]);
  await control("reset");
});

describe("cron tick", () => {
  it("checks every due monitor once, with at most 6 requests in flight", async () => {
    const ids = await createMonitors("a", 20, {}, 100);
    const now = Date.now();
    const report = await runTick(runtime({ EDGE_SUBREQUEST_BUDGET: "50" }), now);
    expect(report).toMatchObject({ due: 20, batches: 1, enqueued_batches: 0, checks: 20, stored: 20 });
    expect(report.max_in_flight).toBeLessThanOrEqual(6);
    expect(report.max_in_flight).toBe(6);
    const s = await stats();
    expect(s.max_in_flight).toBeLessThanOrEqual(6);
    expect(Object.keys(s.hits).sort()).toEqual(ids);
    for (const id of ids) expect(s.hits[id]).toBe(1);
    const m = await api("GET", `/api/v1/monitors/${ids[0]}`);
    expect(m.body.state).toMatchObject({ status: "up", last_error: null });
    expect(m.body.state.latency_ms).toBeGreaterThanOrEqual(100);
  });

  it("splits what does not fit the budget into batches and runs them through the queue", async () => {
    const ids = await createMonitors("q", 25);
    const report = await runTick(runtime({ EDGE_SUBREQUEST_BUDGET: "10" }), Date.now());
    // Embedded store: no subrequests reserved for writes; 1 of 10 kept for confirming failures: 9 a batch.
    expect(report).toMatchObject({ due: 25, batches: 3, enqueued_batches: 2, checks: 9 });
    expect(report.subrequests).toBeLessThanOrEqual(10);
    await until("the queued batches to run", async () => (await checkedCount(ids)) === 25);
    const s = await stats();
    for (const id of ids) expect(s.hits[id], id).toBe(1);
    expect(s.total).toBe(25);
  });

  it("runs a monitor once per interval: a repeated tick does nothing, a late tick is not skipped", async () => {
    const [id] = await createMonitors("i", 1);
    const rt = runtime();
    const t0 = Math.floor(Date.now() / MINUTE) * MINUTE + MINUTE; // a minute boundary after creation
    expect((await runTick(rt, t0)).checks).toBe(1);
    expect((await runTick(rt, t0)).checks).toBe(0); // the same tick delivered twice
    expect((await runTick(rt, t0 + 30_000)).checks).toBe(0); // overlapping, same minute
    expect((await runTick(rt, t0 + MINUTE + 40_000)).checks).toBe(1); // next minute's tick, 40 s late
    expect((await runTick(rt, t0 + 2 * MINUTE)).checks).toBe(1); // and the one after still runs
    expect((await stats()).hits[id!]).toBe(3);
  });

  it("honours interval_s: a 5-minute monitor runs at once, then on every fifth tick at its slot", async () => {
    const [id] = await createMonitors("five", 1, { interval_s: 300 });
    const rt = runtime();
    const t0 = Math.floor(Date.now() / MINUTE) * MINUTE + MINUTE;
    const ran: number[] = [];
    for (let i = 0; i < 12; i++) ran.push((await runTick(rt, t0 + i * MINUTE)).checks);
    const at = ran.flatMap((n, i) => (n === 1 ? [i] : []));
    expect(ran.every((n) => n === 0 || n === 1)).toBe(true);
    expect(at[0]).toBe(0);
    // The second run is the tick whose minute holds the monitor's slot (phase from its id), then every fifth.
    const slotMinute = (i: number) => (((phaseOf(id!, 300) - (t0 / 1000 + i * 60)) % 300) + 300) % 300 < 60;
    expect(at.slice(1).every(slotMinute)).toBe(true);
    expect(at.slice(2).map((k, i) => k - at[i + 1]!)).toEqual(at.slice(2).map(() => 5));
    expect(at.length).toBeGreaterThanOrEqual(3);
    expect((await stats()).hits[id!]).toBe(at.length);
  });

  it("runs a monitor whose pack holds no spec (written before packs held specs) from the monitors table", async () => {
    const [id] = await createMonitors("nospec", 1);
    await env.DB.prepare("UPDATE state_packs SET body = json_remove(body, '$.members.' || json_quote(?1) || '.spec')").bind(id).run();
    const report = await runTick(runtime(), Math.floor(Date.now() / MINUTE) * MINUTE + MINUTE);
    expect(report.checks).toBe(1);
    expect((await stats()).hits[id!]).toBe(1);
  });

  it("runs no check twice when a tick of the same minute comes again", async () => {
    const ids = await createMonitors("again", 3);
    const rt = runtime();
    const t = Math.floor(Date.now() / MINUTE) * MINUTE + MINUTE;
    expect((await runTick(rt, t)).checks).toBe(3);
    const again = await runTick(rt, t);
    expect(again.checks).toBe(0);
    expect(again.due).toBe(0);
    for (const id of ids) expect((await stats()).hits[id]).toBe(1);
  });

  it("skips paused monitors and agent monitors", async () => {
    const [paused] = await createMonitors("p", 1, { enabled: false });
    await api("POST", "/api/v1/monitors", { body: { id: "agent-tcp", kind: "tcp", target: "127.0.0.1:1", interval_s: 60 } });
    const report = await runTick(runtime(), Date.now() + MINUTE);
    expect(report.due).toBe(0);
    expect((await stats()).hits[paused!]).toBeUndefined();
  });

  it("confirms a failure with immediate retries, unless the monitor opts out", async () => {
    // One failed request: the retry passes, nothing counts.
    const [flaky] = await createMonitors("flaky", 1);
    await api("PATCH", `/api/v1/monitors/${flaky}`, { body: { target: `${target}/hit/${flaky}?fail=1` } });
    const [strict] = await createMonitors("strict", 1, { confirm_failures: false });
    await api("PATCH", `/api/v1/monitors/${strict}`, { body: { target: `${target}/hit/${strict}?fail=1` } });
    // Down for good: three tries, three failures counted, down (threshold 2) at the first failing tick.
    const [dead] = await createMonitors("dead", 1);
    await control(`status/${dead}/503`);
    await runTick(runtime(), Math.floor(Date.now() / MINUTE) * MINUTE + MINUTE);
    const s = await stats();
    expect(s.hits[flaky!]).toBe(2);
    expect(s.hits[strict!]).toBe(1);
    expect(s.hits[dead!]).toBe(3);
    expect((await api("GET", `/api/v1/monitors/${flaky}`)).body.state).toMatchObject({ status: "up", consecutive_failures: 0 });
    expect((await api("GET", `/api/v1/monitors/${strict}`)).body.state).toMatchObject({
      status: "pending",
      consecutive_failures: 1,
      last_error: { kind: "status" },
    });
    const m = (await api("GET", `/api/v1/monitors/${dead}`)).body.state;
    expect(m).toMatchObject({ status: "down", consecutive_failures: 3, last_error: { kind: "status" } });
    expect(m.last_error.message).toMatch(/\(confirmed by 2 immediate retries\)$/);
  });

  it("drives the state machine: pending → down after two failures → up again", async () => {
    const [id] = await createMonitors("s", 1, { confirm_failures: false });
    await control(`status/${id}/503`);
    const rt = runtime();
    const t0 = Math.floor(Date.now() / MINUTE) * MINUTE + MINUTE;
    await runTick(rt, t0);
    let m = await api("GET", `/api/v1/monitors/${id}`);
    expect(m.body.state).toMatchObject({ status: "pending", consecutive_failures: 1, last_error: { kind: "status" } });
    await runTick(rt, t0 + MINUTE);
    m = await api("GET", `/api/v1/monitors/${id}`);
    expect(m.body.state).toMatchObject({ status: "down", consecutive_failures: 2 });
    expect(m.body.state.last_error.message).toMatch(/503/);
    await control(`status/${id}/200`);
    await runTick(rt, t0 + 2 * MINUTE);
    m = await api("GET", `/api/v1/monitors/${id}`);
    expect(m.body.state).toMatchObject({ status: "up", consecutive_failures: 0, consecutive_successes: 1, last_error: null });
  });
});
