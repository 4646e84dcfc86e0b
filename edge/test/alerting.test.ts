// Alerting through the real tick and ingest paths: incidents, quorum, maintenance, reminders.
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, inject, it } from "vitest";
import type { AlertEvent } from "../src/alerts/events.ts";
import type { Env } from "../src/config/env.ts";
import { runTick, type Runtime } from "../src/scheduler/tick.ts";
import { api, tickRuntime } from "./helpers.ts";

const target = inject("countingUrl");
const MINUTE = 60_000;
let events: AlertEvent[];
let clock: number;

// The real notifier (the notification outbox; the tick's delivery step sends), recording what passed.
function runtime(vars: Partial<Env> = {}): Runtime {
  return tickRuntime({ clock: () => clock, events: () => events, vars });
}
const setStatus = (name: string, code: number) => fetch(`${target}/control/status/${name}/${code}`, { method: "POST" });
const types = () => events.map((e) => `${e.type}:${e.monitor.id}`);

beforeEach(async () => {
  events = [];
  clock = Math.floor(Date.now() / MINUTE) * MINUTE + MINUTE;
  await env.DB.batch([
    env.DB.prepare("DELETE FROM state_packs"),
    env.DB.prepare("DELETE FROM counters WHERE name = 'edge_tick'"),
    env.DB.prepare("DELETE FROM monitors"),
    env.DB.prepare("DELETE FROM incidents"),
    env.DB.prepare("DELETE FROM maintenance_windows"),
  ]);
  await fetch(`${target}/control/reset`, { method: "POST" });
});

async function edgeMonitor(id: string, extra: Record<string, unknown> = {}) {
  const r = await api("POST", "/api/v1/monitors", {
    body: { id, kind: "http", target: `${target}/hit/${id}`, timeout_ms: 3000, ...extra },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
}

async function ticks(rt: Runtime, n: number) {
  for (let i = 0; i < n; i++) {
    await runTick(rt, clock);
    clock += MINUTE;
  }
}

describe("incidents", () => {
  it("opens one incident with cause and errors, sends down once and up once", async () => {
    await edgeMonitor("inc-web");
    const rt = runtime();
    await ticks(rt, 1);
    await setStatus("inc-web", 503);
    // Paged at the first failing tick: the check and its two retries fail, three failures count (threshold 2).
    await ticks(rt, 1);
    expect(types()).toEqual(["monitor.down:inc-web"]);
    await ticks(rt, 3);
    expect(types()).toEqual(["monitor.down:inc-web"]);
    const open = await api("GET", "/api/v1/incidents?status=open");
    expect(open.body.incidents).toHaveLength(1);
    const inc = open.body.incidents[0];
    expect(inc).toMatchObject({ monitor: "inc-web", status: "open", cause: "3 consecutive failures", resolved_at: null });
    expect(inc.first_error.kind).toBe("status");
    expect(inc.first_error.message).toMatch(/503/);
    expect(events[0]!.id).toBe(`evt_${inc.id}_down`);
    await setStatus("inc-web", 200);
    await ticks(rt, 2);
    expect(types()).toEqual(["monitor.down:inc-web", "monitor.up:inc-web"]);
    const mine = await api("GET", "/api/v1/monitors/inc-web/incidents");
    expect(mine.body.incidents[0]).toMatchObject({ id: inc.id, status: "resolved", duration_s: 240 });
    expect(events[1]!.incident).toMatchObject({ id: inc.id, resolved_at: expect.any(Number) });
  });

  it("validates its query", async () => {
    expect((await api("GET", "/api/v1/incidents?status=closed")).status).toBe(400);
    expect((await api("GET", "/api/v1/incidents?limit=0")).status).toBe(400);
    expect((await api("GET", "/api/v1/monitors/nope/incidents")).status).toBe(404);
  });
});

describe("maintenance", () => {
  it("a monitor in a maintenance window shows maintenance, opens no incident and sends nothing", async () => {
    await edgeMonitor("mw-web");
    const rt = runtime();
    const w = await api("POST", "/api/v1/maintenance", {
      body: {
        id: "upgrade",
        name: "DB upgrade",
        kind: "once",
        monitors: ["mw-web"],
        starts_at: clock - MINUTE,
        ends_at: clock + 10 * MINUTE,
      },
    });
    expect(w.status, JSON.stringify(w.body)).toBe(201);
    expect(w.body.active).toBe(true);
    await setStatus("mw-web", 503);
    await ticks(rt, 4);
    expect(events).toEqual([]);
    expect((await api("GET", "/api/v1/monitors/mw-web")).body.state.status).toBe("maintenance");
    expect((await api("GET", "/api/v1/incidents")).body.incidents).toEqual([]);
  });

  it("validates windows and manages them", async () => {
    const bad = await api("POST", "/api/v1/maintenance", {
      body: { id: "x", name: "x", kind: "weekly", days: ["mon"], start: "9:00", duration_min: 60, time_zone: "Nowhere/Land" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: any) => i.path).sort()).toEqual(["start", "time_zone"]);
    const weekly = {
      id: "sat",
      name: "Saturday patching",
      kind: "weekly",
      days: ["sat"],
      start: "02:00",
      duration_min: 120,
      time_zone: "Europe/Berlin",
    };
    expect((await api("POST", "/api/v1/maintenance", { body: weekly })).status).toBe(201);
    expect((await api("POST", "/api/v1/maintenance", { body: weekly })).status).toBe(409);
    expect((await api("GET", "/api/v1/maintenance")).body.maintenance.map((m: any) => m.id)).toEqual(["sat"]);
    expect((await api("PUT", "/api/v1/maintenance/sat", { body: { ...weekly, duration_min: 30 } })).body.duration_min).toBe(30);
    expect((await api("DELETE", "/api/v1/maintenance/sat")).status).toBe(204);
    expect((await api("GET", "/api/v1/maintenance/sat")).status).toBe(404);
  });
});

describe("reminders", () => {
  it("reminds every remind_every_s while down, each reminder once", async () => {
    await edgeMonitor("rem-web", { remind_every_s: 300 });
    const rt = runtime();
    await setStatus("rem-web", 503);
    await ticks(rt, 1); // down at the first tick (a confirmed failure)
    expect(types()).toEqual(["monitor.down:rem-web"]);
    await ticks(rt, 4); // 4 minutes after opening: not yet
    expect(events.filter((e) => e.type === "monitor.reminder")).toHaveLength(0);
    await ticks(rt, 1); // 5 minutes
    await runTick(rt, clock - MINUTE); // the same tick again: no second reminder
    const reminders = events.filter((e) => e.type === "monitor.reminder");
    expect(reminders.map((e) => e.details.reminder)).toEqual([1]);
    expect(reminders[0]!.id).toMatch(/^evt_inc_rem-web_\d+_reminder_1$/);
    await ticks(rt, 5);
    expect(events.filter((e) => e.type === "monitor.reminder").map((e) => e.details.reminder)).toEqual([1, 2]);
  });

  it("sends none by default (REMIND_EVERY_S=0)", async () => {
    await edgeMonitor("quiet-web");
    const rt = runtime();
    await setStatus("quiet-web", 503);
    await ticks(rt, 12);
    expect(types()).toEqual(["monitor.down:quiet-web"]);
  });
});

describe("location quorum through agent ingest", () => {
  const register = async (id: string, location: string) =>
    (await api("POST", "/api/v1/agents", { body: { id, location } })).body.token as string;
  const push = (token: string, location: string, ok: boolean, ts: number) =>
    api("POST", "/api/v1/results", {
      token,
      body: {
        results: [
          {
            id: `q${crypto.randomUUID().slice(0, 12)}`,
            monitor: "q-db",
            ts,
            ok,
            latency_ms: ok ? 1 : null,
            location,
            error: ok ? null : { kind: "refused", message: "connection refused" },
            tcp: { port: 5432 },
          },
        ],
      },
    });

  it("two locations, one failing: no incident; both failing: one incident", async () => {
    expect(
      (
        await api("POST", "/api/v1/monitors", {
          body: { id: "q-db", kind: "tcp", target: "db:5432", interval_s: 30, locations: ["qa", "qb"] },
        })
      ).status,
    ).toBe(201);
    const a = await register(`qa-${crypto.randomUUID().slice(0, 4)}`, "qa");
    const b = await register(`qb-${crypto.randomUUID().slice(0, 4)}`, "qb");
    const t = Date.now() - 250_000; // within the clock skew ingest allows before the monitor was created
    for (let i = 0; i < 4; i++) {
      expect((await push(a, "qa", true, t + i * 30_000)).status).toBe(202);
      expect((await push(b, "qb", false, t + i * 30_000 + 1)).status).toBe(202);
    }
    expect((await api("GET", "/api/v1/incidents")).body.incidents).toEqual([]);
    for (let i = 4; i < 8; i++) {
      await push(a, "qa", false, t + i * 30_000);
      await push(b, "qb", false, t + i * 30_000 + 1);
    }
    const inc = (await api("GET", "/api/v1/incidents")).body.incidents;
    expect(inc).toHaveLength(1);
    expect(inc[0].cause).toBe("2 of 2 locations down (quorum 2)");
  });
});

describe("end to end: checks → rules → channel → receiver", () => {
  const receiver = inject("receiverUrl" as never) as string;
  const received = async (hook: string) =>
    (
      (await (await fetch(`${receiver}/control/requests/${hook}`)).json()) as {
        requests: Array<{ headers: Record<string, string>; body: string }>;
      }
    ).requests;

  async function webhook(monitor: string) {
    const hook = `e2e-${monitor}`;
    const r = await api("POST", "/api/v1/channels", {
      body: { id: hook, name: "ops", kind: "webhook", url: `${receiver}/hook/${hook}`, monitors: [monitor] },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return { hook, secret: r.body.secret as string };
  }

  beforeEach(async () => {
    await env.DB.batch([env.DB.prepare("DELETE FROM channels"), env.DB.prepare("DELETE FROM alert_events")]);
  });

  it("one signed down and one up per incident, listed on the incident", async () => {
    const { verifyWebhook } = await import("../src/alerts/channels/testdata.ts");
    await edgeMonitor("e2e-web");
    const { hook, secret } = await webhook("e2e-web");
    const rt = runtime();
    await ticks(rt, 1);
    await setStatus("e2e-web", 503);
    await ticks(rt, 5);
    await setStatus("e2e-web", 200);
    await ticks(rt, 3);
    const got = await received(hook);
    expect(got.map((r) => JSON.parse(r.body).type)).toEqual(["monitor.down", "monitor.up"]);
    for (const r of got) expect(await verifyWebhook(secret, r.headers, r.body, Number(r.headers["webhook-timestamp"]))).toBe(true);
    const inc = (await api("GET", "/api/v1/monitors/e2e-web/incidents")).body.incidents[0];
    expect(inc.notifications.map((n: any) => `${n.type}:${n.status}`)).toEqual(["monitor.down:delivered", "monitor.up:delivered"]);
  });

  it("a flapping target with thresholds 2/2 sends an exact number of notifications", async () => {
    // Without confirmation, so each tick is one request and the thresholds count checks.
    await edgeMonitor("flap-web", { failure_threshold: 2, success_threshold: 2, confirm_failures: false });
    const { hook } = await webhook("flap-web");
    const rt = runtime();
    // up, down, up, down …: never two failures in a row — then down, down, up, up twice over.
    const pattern = [200, 503, 200, 503, 200, 503, 200, 503, 503, 200, 200, 503, 503, 200, 200];
    for (const code of pattern) {
      await setStatus("flap-web", code);
      await ticks(rt, 1);
    }
    expect((await received(hook)).map((r) => JSON.parse(r.body).type)).toEqual([
      "monitor.down",
      "monitor.up",
      "monitor.down",
      "monitor.up",
    ]);
  });

  it("a maintenance window sends nothing", async () => {
    await edgeMonitor("mw2-web");
    const { hook } = await webhook("mw2-web");
    await api("POST", "/api/v1/maintenance", {
      body: { id: "mw2", name: "mw2", kind: "once", starts_at: clock - MINUTE, ends_at: clock + 30 * MINUTE },
    });
    await setStatus("mw2-web", 503);
    await ticks(runtime(), 5);
    expect(await received(hook)).toEqual([]);
  });
});
