// What each invocation asked of D1, on its last log line: the request line (after the request's
// background work), "tick done", "check batch done" and "trim done", from the real runtime and D1.
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  env,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, inject, it, vi } from "vitest";
import type { Env } from "../src/config/env.ts";
import worker from "../src/index.ts";
import { queue, scheduled } from "../src/scheduler/handlers.ts";
import { TRIM_CRON } from "../src/scheduler/crons.ts";
import { CLOSE_GRACE_MS } from "../src/status/rollups.ts";
import { agentToken, api } from "./helpers.ts";

const target = inject("countingUrl");
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** The tests' Worker logs at warn; these invocations log at info, where the final lines are. */
const infoEnv = { ...env, LOG_LEVEL: "info" } as unknown as Env;

/** One request through the Worker's fetch handler, with its own execution context, waiting for its background work. */
async function send(path: string, token: string = env.ADMIN_TOKEN) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`http://worker.test${path}`, { headers: { authorization: `Bearer ${token}` } }) as never,
    infoEnv,
    ctx,
  );
  await res.text();
  await waitOnExecutionContext(ctx);
  return { status: res.status, id: res.headers.get("x-request-id") };
}

let lines: Array<Record<string, any>> = [];
beforeEach(async () => {
  lines = [];
  const keep = (line: unknown) => {
    if (typeof line !== "string" || !line.startsWith("{")) return;
    try {
      lines.push(JSON.parse(line));
    } catch {
      /* not a log line */
    }
  };
  vi.spyOn(console, "log").mockImplementation(keep);
  vi.spyOn(console, "warn").mockImplementation(keep);
  await env.DB.batch([
    env.DB.prepare("DELETE FROM state_packs"),
    env.DB.prepare("DELETE FROM counters WHERE name = 'edge_tick'"),
    env.DB.prepare("DELETE FROM monitors"),
  ]);
});
afterEach(() => vi.restoreAllMocks());

async function line(msg: string, match: (l: Record<string, any>) => boolean = () => true, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = lines.find((l) => l.msg === msg && match(l));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no "${msg}" line; saw ${lines.map((l) => l.msg).join(", ")}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const D1_FIELDS = { d1_statements: expect.any(Number), d1_rows_read: expect.any(Number), d1_rows_written: expect.any(Number) };

describe("the request line", () => {
  it("carries the request's D1 totals next to its usual fields", async () => {
    const r = await send("/api/v1/monitors");
    expect(r.status).toBe(200);
    const l = await line("request", (x) => x.request_id === r.id);
    expect(l).toMatchObject({ method: "GET", path: "/api/v1/monitors", status: 200, role: "admin", ...D1_FIELDS });
    expect(l.d1_statements).toBeGreaterThan(0);
    expect(l.d1_rows_written).toBe(0);
  });

  it("waits for the request's background work, so the token's last use is counted", async () => {
    const token = await agentToken(`meter-${crypto.randomUUID().slice(0, 8)}`);
    // An agent token on an admin route: refused right after the lookup, while the token's first use is
    // still being stamped in the background (waitUntil). A second use within five minutes asks nothing more of D1.
    const first = await send("/api/v1/monitors", token);
    const second = await send("/api/v1/monitors", token);
    expect([first.status, second.status]).toEqual([403, 403]);
    const a = await line("request", (x) => x.request_id === first.id);
    const b = await line("request", (x) => x.request_id === second.id);
    expect(a).toMatchObject({ status: 403, d1_statements: 2, d1_rows_written: 1 }); // the lookup, the stamp
    expect(b).toMatchObject({ status: 403, d1_statements: 1, d1_rows_written: 0 }); // the lookup
    expect(a).not.toHaveProperty("background_timeout");
  });
});

describe("a heartbeat ping", () => {
  it("costs a few D1 rows: the key lookup, the pack, the points; /start and a paused monitor's ping less", async () => {
    const r = await api("POST", "/api/v1/monitors", { body: { id: "hb-cost", kind: "heartbeat", interval_s: 3600 } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const path = new URL(r.body.ping_url).pathname;
    const ping = async (suffix = "") => {
      const res = await send(`${path}${suffix}`, "");
      expect(res.status).toBe(200);
      return line("request", (x) => x.request_id === res.id);
    };
    lines = [];
    await ping(); // the first: pending → up, a state change
    const steady = await ping(); // the usual one: up stays up
    const start = await ping("/start");
    expect((await api("PATCH", "/api/v1/monitors/hb-cost", { body: { enabled: false } })).status).toBe(200);
    const paused = await ping();
    // Measured: a steady ping writes 2 rows with the embedded store (its state pack and its points row) and reads
    // about a dozen (the key, the pack twice, the open hour's rollups); these bounds leave a little room.
    expect(steady).toMatchObject({ path: "/ping/:key", ...D1_FIELDS });
    expect(steady.d1_rows_written).toBeLessThanOrEqual(4);
    expect(steady.d1_rows_read).toBeLessThanOrEqual(20);
    expect(start.d1_rows_written).toBeLessThanOrEqual(1);
    expect(paused.d1_rows_written).toBe(0);
    // The key is the ping's credential: no log line holds it (the request line names the route instead).
    const key = path.split("/")[2]!;
    expect(lines.length).toBeGreaterThan(4);
    expect(JSON.stringify(lines)).not.toContain(key);
    expect(start.path).toBe("/ping/:key/start");
  });
});

describe("the cron and queue lines", () => {
  it("puts the tick's totals on tick done and the queue batch's on check batch done", async () => {
    for (const id of ["meter-1", "meter-2"]) {
      const r = await api("POST", "/api/v1/monitors", { body: { id, kind: "http", target: `${target}/hit/${id}`, timeout_ms: 5000 } });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    const t = Math.floor(Date.now() / MINUTE) * MINUTE + MINUTE;
    await scheduled(createScheduledController({ scheduledTime: t, cron: "* * * * *" }), infoEnv, createExecutionContext());
    const tick = await line("tick done");
    expect(tick).toMatchObject({ checks: 2, ...D1_FIELDS });
    expect(tick.d1_rows_written).toBeGreaterThan(0);
    expect(tick.d1_rows_read).toBeGreaterThan(0);

    const ctx = createExecutionContext();
    const batch = createMessageBatch("uptime-checks", [
      // The next minute's batch: the tick ran meter-1 in its own minute already.
      { id: "m1", timestamp: new Date(), attempts: 1, body: { ids: ["meter-1"], scheduled_time: t + MINUTE } },
    ]);
    await queue(batch as never, infoEnv, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["m1"]);
    const done = await line("check batch done");
    expect(done).toMatchObject({ queue: "uptime-checks", checks: 1, ...D1_FIELDS });
    expect(done.d1_rows_written).toBeGreaterThan(0);
  });

  it("writes a row per pack of monitors in a tick, not rows per check", async () => {
    // 20 monitors: one state pack. The tick writes its minute, the pack, and the pack's row of points.
    for (let i = 0; i < 20; i++) {
      const id = `rows-${String(i).padStart(2, "0")}`;
      const r = await api("POST", "/api/v1/monitors", { body: { id, kind: "http", target: `${target}/hit/${id}`, timeout_ms: 5000 } });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    const t = Math.floor(Date.now() / MINUTE) * MINUTE + MINUTE;
    await scheduled(createScheduledController({ scheduledTime: t, cron: "* * * * *" }), infoEnv, createExecutionContext());
    const tick = await line("tick done");
    expect(tick.checks).toBe(20);
    // Before state packs: about 11 rows per check (cursor, state, location state, latest, 2 rollups, point and its 3 indexes).
    expect(tick.d1_rows_written).toBeLessThanOrEqual(4);
    // Specs and state come from the pack row: reads do not grow with checks (before: about 22 per check).
    expect(tick.d1_rows_read).toBeLessThanOrEqual(20);
  });

  it("writes nothing per heartbeat monitor while its jobs call in, and a row per pack when their deadlines pass", async () => {
    // 40 heartbeats (two packs), each pinged once: the tick reads their state from the packs it reads anyway.
    const pingedFrom = Date.now();
    for (let i = 0; i < 40; i++) {
      const r = await api("POST", "/api/v1/monitors", {
        body: { id: `hb-rows-${String(i).padStart(2, "0")}`, kind: "heartbeat", interval_s: 600, heartbeat: { grace_s: 0 } },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect((await api("GET", new URL(r.body.ping_url).pathname, { token: null })).status).toBe(200);
    }
    const tickAt = async (t: number) => {
      lines = [];
      await scheduled(createScheduledController({ scheduledTime: t, cron: "* * * * *" }), infoEnv, createExecutionContext());
      return line("tick done");
    };
    const pingedTo = Date.now();
    const t = Math.floor(Date.now() / MINUTE) * MINUTE + MINUTE;
    const quiet = await tickAt(t);
    expect(quiet).toMatchObject({ checks: 0, missed: 0 });
    expect(quiet.d1_rows_written).toBeLessThanOrEqual(2); // claiming the minute, as a tick with no monitors
    expect(quiet.d1_rows_read).toBeLessThanOrEqual(10);
    // Ten minutes on, every job is late: one missed result each, and 40 incidents open (an outage costs its incidents).
    expect(await tickAt(t + 11 * MINUTE)).toMatchObject({ checks: 0, missed: 40, events: 40 });
    // Still silent, within the period: nothing more is written.
    const after = await tickAt(t + 12 * MINUTE);
    expect(after).toMatchObject({ missed: 0 });
    expect(after.d1_rows_written).toBeLessThanOrEqual(2);
    // A period later, still silent: 40 more missed results, written per pack (state, embedded points), plus the minute.
    // Recording results also closes each open hour that ended CLOSE_GRACE_MS ago (the pings' hour, or the first missed
    // results' hour) into its hourly and daily rollup rows: two more rows per pack for each hour this tick closes,
    // which happens when the test runs late in an hour.
    const againAt = t + 21 * MINUTE + 1000;
    const hours = new Set([pingedFrom, pingedTo, t + 11 * MINUTE].map((ts) => Math.floor(ts / HOUR) * HOUR));
    const closing = [...hours].filter((h) => h + HOUR + CLOSE_GRACE_MS > t + 11 * MINUTE && h + HOUR + CLOSE_GRACE_MS <= againAt).length;
    const again = await tickAt(againAt);
    expect(again).toMatchObject({ missed: 40, events: 0 });
    expect(again.d1_rows_written).toBeLessThanOrEqual(6 + 2 * 2 * closing);
  });

  it("puts the daily trim's totals on trim done", async () => {
    await scheduled(createScheduledController({ scheduledTime: Date.now(), cron: TRIM_CRON }), infoEnv, createExecutionContext());
    const trim = await line("trim done");
    expect(trim).toMatchObject({ cron: TRIM_CRON, complete: true, ...D1_FIELDS });
    // One DELETE per rule at least, each after its PRAGMA table_info.
    expect(trim.d1_statements).toBeGreaterThanOrEqual(2 * Object.keys(trim.deleted).length);
  });
});
