// Alert delivery on real D1 to a real local receiver (test/services/webhook-receiver.ts), with the
// clock driven through the retry schedule: exactly-once, signatures, 410, Retry-After, ordering.
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, inject, it } from "vitest";
import { DOWN, DOWN_BODIES, DOWN_HEADERS, KEY, OPTIONS, verifyWebhook } from "../src/alerts/channels/testdata.ts";
import { CHANNELS, CHANNEL_KINDS, type ChannelKind } from "../src/alerts/channels/index.ts";
import { deliverDue, deliverNow, enqueue, notificationCounts, type DeliveryDeps } from "../src/alerts/delivery.ts";
import type { AlertEvent } from "../src/alerts/events.ts";
import { parseConfig } from "../src/config/config.ts";
import type { Env } from "../src/config/env.ts";
import { createLogger } from "../src/observability/log.ts";
import { runTick } from "../src/scheduler/tick.ts";
import { api } from "./helpers.ts";

const receiver = inject("receiverUrl");
const S = 1000;
const M = 60 * S;
const H = 60 * M;
const T0 = 1_764_216_060_000;

type Answer = { status: number; headers?: Record<string, string>; body?: string; delay_ms?: number };
type Received = { method: string; path: string; headers: Record<string, string>; body: string; at: number };

async function script(hook: string, answers: Answer[], then: Answer = { status: 200 }) {
  const r = await fetch(`${receiver}/control/script/${hook}`, { method: "PUT", body: JSON.stringify({ answers, then }) });
  expect(r.status).toBe(200);
}
async function received(hook: string): Promise<Received[]> {
  return ((await (await fetch(`${receiver}/control/requests/${hook}`)).json()) as { requests: Received[] }).requests;
}

let clock = T0;
const sleeps: number[] = [];
const deps = (extra: Partial<DeliveryDeps> = {}): DeliveryDeps => ({
  db: env.DB,
  fetch: (input, init) => fetch(input, init),
  now: () => clock,
  log: createLogger("error"),
  random: () => 0.5,
  timeoutMs: 2000,
  sleep: async (ms) => {
    sleeps.push(ms);
    clock += ms;
  },
  ...extra,
});

const uid = (p: string) => `${p}-${crypto.randomUUID().slice(0, 8)}`;

/** A channel through the API, sending to its own receiver path; returns its id, path and secret. */
async function channel(kind: ChannelKind, extra: Record<string, unknown> = {}) {
  const id = uid(kind);
  const hook = id;
  const r = await api("POST", "/api/v1/channels", { body: { id, kind, url: `${receiver}/hook/${hook}`, ...extra } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { id, hook, secret: r.body.secret as string | undefined };
}

function down(monitor: string, incident: string, at = T0): AlertEvent {
  return {
    id: `evt_${incident}_down`,
    type: "monitor.down",
    timestamp: at,
    monitor: { id: monitor, name: `Monitor ${monitor}`, group: null, kind: "http", status: "down", target: "https://example.com/" },
    incident: {
      id: incident,
      monitor,
      opened_at: at,
      resolved_at: null,
      cause: "2 consecutive failures",
      first_error: null,
      last_error: { kind: "status", message: "HTTP 500" },
    },
    details: {},
  };
}
function up(d: AlertEvent, at: number): AlertEvent {
  return {
    ...d,
    id: d.id.replace(/_down$/, "_up"),
    type: "monitor.up",
    timestamp: at,
    monitor: { ...d.monitor, status: "up" },
    incident: { ...d.incident!, resolved_at: at },
  };
}
function reminder(d: AlertEvent, at: number, n: number): AlertEvent {
  return { ...d, id: d.id.replace(/_down$/, `_reminder_${n}`), type: "monitor.reminder", timestamp: at, details: { reminder: n } };
}

async function notifications(query: string) {
  const r = await api("GET", `/api/v1/notifications?${query}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.notifications as any[];
}

beforeEach(async () => {
  clock = T0;
  sleeps.length = 0;
  await env.DB.batch([
    env.DB.prepare("DELETE FROM notifications"),
    env.DB.prepare("DELETE FROM alert_events"),
    env.DB.prepare("DELETE FROM channels"),
  ]);
});

describe("retries", () => {
  it("503 to the first three attempts, then 200: delivered exactly once, on schedule, signed", async () => {
    const ch = await channel("webhook");
    await script(ch.hook, [{ status: 503, body: "busy" }, { status: 503 }, { status: 503 }]);
    const ev = down("api", uid("inc"));
    expect(await enqueue(env.DB, ev)).toBe(1);

    const steps: Array<[number, Partial<Record<string, number>>]> = [
      [0, { attempted: 1, retrying: 1 }],
      [5 * S - 1, { attempted: 0 }], // not yet due
      [1, { attempted: 1, retrying: 1 }], // 5 s after the first
      [5 * M - 1, { attempted: 0 }],
      [1, { attempted: 1, retrying: 1 }], // 5 min after the second
      [30 * M, { attempted: 1, delivered: 1 }], // 30 min after the third
      [10 * H, { attempted: 0 }], // and never again
    ];
    const sentAt: number[] = [];
    for (const [advance, expected] of steps) {
      clock += advance;
      const report = await deliverDue(deps(), 10);
      expect(report).toMatchObject(expected);
      if (report.attempted) sentAt.push(clock);
    }

    const got = await received(ch.hook);
    expect(got).toHaveLength(4);
    for (const [i, req] of got.entries()) {
      expect(req.method).toBe("POST");
      expect(req.headers["webhook-id"]).toBe(ev.id);
      expect(req.headers["webhook-timestamp"]).toBe(String(Math.floor(sentAt[i]! / 1000)));
      expect(req.body).toBe(got[0]!.body);
      expect(await verifyWebhook(ch.secret!, req.headers, req.body, Math.floor(sentAt[i]! / 1000))).toBe(true);
    }
    expect(JSON.parse(got[0]!.body)).toMatchObject({
      id: ev.id,
      type: "monitor.down",
      timestamp: "2025-11-27T04:01:00.000Z",
      monitor: { id: "api" },
    });

    const [n] = await notifications(`channel=${ch.id}`);
    expect(n).toMatchObject({
      status: "delivered",
      reason: null,
      next_attempt_at: null,
      event: { id: ev.id, type: "monitor.down", monitor: "api" },
    });
    expect(n.attempts.map((a: any) => [a.n, a.status, a.error])).toEqual([
      [1, 503, "HTTP 503"],
      [2, 503, "HTTP 503"],
      [3, 503, "HTTP 503"],
      [4, 200, null],
    ]);
    expect(n.attempts.map((a: any) => Date.parse(a.at))).toEqual(sentAt);
    // What the receiver answered is its text, kept apart from ours.
    expect(n.attempts[0].untrusted_receiver_answer).toBe("busy");
  });

  it("gives up after the 8th attempt and keeps the notification dead-lettered", async () => {
    const ch = await channel("slack");
    await script(ch.hook, [], { status: 500 });
    await enqueue(env.DB, down("api", uid("inc")));
    const waits = [0, 5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 10 * H];
    for (const w of waits) {
      clock += w;
      expect((await deliverDue(deps(), 10)).attempted).toBe(1);
    }
    clock += 24 * H;
    expect((await deliverDue(deps(), 10)).attempted).toBe(0);
    expect(await received(ch.hook)).toHaveLength(8);
    const [n] = await notifications(`channel=${ch.id}&status=dead`);
    expect(n.reason).toBe("gave up after 8 attempts; last: HTTP 500");
    expect(n.attempts).toHaveLength(8);
    expect(await notificationCounts(env.DB)).toMatchObject({ pending: 0, dead: 1 });
  });

  it("honours Retry-After (seconds or an HTTP date) when longer than the schedule", async () => {
    const a = await channel("discord");
    const b = await channel("teams");
    const c = await channel("ntfy");
    await script(a.hook, [{ status: 429, headers: { "retry-after": "120" } }]);
    await script(b.hook, [{ status: 503, headers: { "retry-after": new Date(T0 + 10 * M).toUTCString() } }]);
    await script(c.hook, [{ status: 503, headers: { "retry-after": "1" } }]);
    await enqueue(env.DB, down("api", uid("inc")));

    expect(await deliverDue(deps(), 10)).toMatchObject({ attempted: 3, retrying: 3 });
    const next = Object.fromEntries((await notifications("status=pending")).map((n) => [n.channel, Date.parse(n.next_attempt_at) - T0]));
    expect(next).toEqual({ [a.id]: 120 * S, [b.id]: 10 * M, [c.id]: 5 * S });

    clock = T0 + 5 * S;
    expect(await deliverDue(deps(), 10)).toMatchObject({ attempted: 1, delivered: 1 }); // only ntfy: 1 s < 5 s
    clock = T0 + 120 * S;
    expect(await deliverDue(deps(), 10)).toMatchObject({ attempted: 1, delivered: 1 });
    clock = T0 + 10 * M;
    expect(await deliverDue(deps(), 10)).toMatchObject({ attempted: 1, delivered: 1 });
    for (const ch of [a, b, c]) expect(await received(ch.hook)).toHaveLength(2);
  });

  it("times out a receiver that does not answer, and retries it", async () => {
    const ch = await channel("webhook");
    await script(ch.hook, [{ status: 200, delay_ms: 1500 }]);
    await enqueue(env.DB, down("api", uid("inc")));
    expect(await deliverDue(deps({ timeoutMs: 300 }), 10)).toMatchObject({ attempted: 1, retrying: 1 });
    const [n] = await notifications(`channel=${ch.id}`);
    expect(n.attempts[0]).toMatchObject({ status: null, error: "no answer within 300 ms" });
    clock += 5 * S;
    expect(await deliverDue(deps(), 10)).toMatchObject({ delivered: 1 });
  });

  it("does not pile requests on a channel that just failed: its other notifications wait for the retry", async () => {
    const ch = await channel("webhook");
    await script(ch.hook, [{ status: 503 }]);
    for (const m of ["m1", "m2", "m3"]) await enqueue(env.DB, down(m, uid("inc")));
    expect(await deliverDue(deps(), 10)).toMatchObject({ attempted: 1, retrying: 1, waiting: 2 });
    clock += 5 * S;
    expect(await deliverDue(deps(), 10)).toMatchObject({ attempted: 3, delivered: 3 });
    expect(await received(ch.hook)).toHaveLength(4);
  });
});

describe("410 Gone", () => {
  it("disables the channel, dead-letters what it had pending, and PATCH re-enables it", async () => {
    const ch = await channel("webhook");
    const other = await channel("slack");
    await script(ch.hook, [{ status: 410, body: "hook removed" }]);
    for (const m of ["m1", "m2", "m3"]) await enqueue(env.DB, down(m, uid("inc")));
    const report = await deliverDue(deps(), 10);
    expect(report).toMatchObject({ attempted: 4, delivered: 3, dead: 3 });
    expect(await received(ch.hook)).toHaveLength(1);

    const got = await api("GET", `/api/v1/channels/${ch.id}`);
    expect(got.body).toMatchObject({ enabled: false, disabled_reason: `the receiver answered 410 Gone on ${new Date(T0).toISOString()}` });
    const dead = await notifications(`channel=${ch.id}&status=dead`);
    expect(dead).toHaveLength(3);
    expect(dead.map((n) => n.reason)).toEqual(Array(3).fill("channel disabled: receiver answered 410 Gone"));
    expect(dead.map((n) => n.attempts.length).sort()).toEqual([0, 0, 1]);
    expect(await notifications(`channel=${other.id}&status=delivered`)).toHaveLength(3);

    // Disabled: new events skip it; nothing more is sent to it.
    expect(await enqueue(env.DB, down("m4", uid("inc")))).toBe(1);
    clock += H;
    await deliverDue(deps(), 10);
    expect(await received(ch.hook)).toHaveLength(1);

    const patched = await api("PATCH", `/api/v1/channels/${ch.id}`, { body: { enabled: true } });
    expect(patched.body).toMatchObject({ enabled: true, disabled_reason: null });
    expect(await enqueue(env.DB, down("m5", uid("inc")))).toBe(2);
    expect(await deliverDue(deps(), 10)).toMatchObject({ delivered: 2 });
    expect(await received(ch.hook)).toHaveLength(2);
  });
});

describe("exactly once", () => {
  it("the same event enqueued twice makes one delivery per channel, also with overlapping senders", async () => {
    const a = await channel("webhook");
    const b = await channel("ntfy");
    await script(a.hook, [], { status: 200, delay_ms: 200 });
    await script(b.hook, [], { status: 200, delay_ms: 200 });
    const ev = down("api", uid("inc"));
    expect(await enqueue(env.DB, ev)).toBe(2);
    expect(await enqueue(env.DB, ev)).toBe(0);
    const reports = await Promise.all([deliverDue(deps(), 10), deliverDue(deps(), 10), deliverNow(deps())]);
    expect(reports.reduce((n, r) => n + r.attempted, 0)).toBe(2);
    expect(await enqueue(env.DB, ev)).toBe(0); // a retried rule run after delivery
    clock += H;
    await deliverDue(deps(), 10);
    expect(await received(a.hook)).toHaveLength(1);
    expect(await received(b.hook)).toHaveLength(1);
    expect(await notificationCounts(env.DB)).toMatchObject({ pending: 0, delivered: 2, dead: 0, skipped: 0 });
  });

  it("sends to the channels whose monitors and events match, and to no other", async () => {
    const all = await channel("webhook");
    const onlyApi = await channel("webhook", { monitors: ["api"] });
    const onlyDb = await channel("webhook", { monitors: ["db"] });
    const onlyUp = await channel("webhook", { events: ["up"] });
    const off = await channel("webhook", { enabled: false });
    expect(await enqueue(env.DB, down("api", uid("inc")))).toBe(2);
    await deliverDue(deps(), 10);
    expect((await received(all.hook)).length).toBe(1);
    expect((await received(onlyApi.hook)).length).toBe(1);
    for (const ch of [onlyDb, onlyUp, off]) expect(await received(ch.hook)).toHaveLength(0);
  });

  it("never sends more than maxRequests requests", async () => {
    const ch = await channel("webhook");
    for (const m of ["m1", "m2", "m3", "m4", "m5"]) await enqueue(env.DB, down(m, uid("inc")));
    expect(await deliverDue(deps(), 2)).toMatchObject({ attempted: 2 });
    expect(await deliverDue(deps(), 0)).toMatchObject({ attempted: 0 });
    expect(await received(ch.hook)).toHaveLength(2);
    expect((await notificationCounts(env.DB)).pending).toBe(3);
  });
});

describe("ordering", () => {
  it("skips a recovery when this channel never got the down", async () => {
    const ch = await channel("webhook", { events: ["up"] });
    const d = down("api", uid("inc"));
    expect(await enqueue(env.DB, d)).toBe(0);
    expect(await enqueue(env.DB, up(d, T0 + M))).toBe(1);
    expect(await deliverDue(deps(), 10)).toMatchObject({ attempted: 0, skipped: 1 });
    expect(await received(ch.hook)).toHaveLength(0);
    const [n] = await notifications(`channel=${ch.id}&status=skipped`);
    expect(n).toMatchObject({ reason: "down not sent", event: { type: "monitor.up" }, attempts: [] });
  });

  it("skips a recovery whose down was dead-lettered", async () => {
    const ch = await channel("webhook");
    await script(ch.hook, [], { status: 400 });
    const d = down("api", uid("inc"));
    await enqueue(env.DB, d);
    for (const w of [0, 5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 10 * H]) {
      clock += w;
      await deliverDue(deps(), 10);
    }
    await script(ch.hook, [], { status: 200 });
    await enqueue(env.DB, up(d, clock));
    expect(await deliverDue(deps(), 10)).toMatchObject({ attempted: 0, skipped: 1 });
    expect((await received(ch.hook)).map((r) => JSON.parse(r.body).type)).toEqual(Array(8).fill("monitor.down"));
  });

  it("holds a recovery while its down is being retried, then sends both in order", async () => {
    const ch = await channel("discord");
    await script(ch.hook, [{ status: 502 }, { status: 502 }]);
    const d = down("api", uid("inc"));
    await enqueue(env.DB, d);
    expect(await deliverDue(deps(), 10)).toMatchObject({ attempted: 1, retrying: 1 });
    clock += 2 * S;
    await enqueue(env.DB, up(d, clock));
    expect(await deliverDue(deps(), 10)).toMatchObject({ attempted: 0, waiting: 1 });
    clock = T0 + 5 * S;
    expect(await deliverDue(deps(), 10)).toMatchObject({ attempted: 1, retrying: 1 }); // the down again; the up still waits
    clock += 5 * M;
    expect(await deliverDue(deps(), 10)).toMatchObject({ attempted: 2, delivered: 2 });
    const bodies = (await received(ch.hook)).map((r) => JSON.parse(r.body).content as string);
    expect(bodies).toEqual(["🔴 Monitor api is down", "🔴 Monitor api is down", "🔴 Monitor api is down", "✅ Monitor api is up again"]);
  });

  it("sends a down and its recovery enqueued together in order", async () => {
    const ch = await channel("ntfy");
    const d = down("api", uid("inc"));
    await enqueue(env.DB, up(d, T0 + M));
    await enqueue(env.DB, d);
    expect(await deliverDue(deps(), 10)).toMatchObject({ delivered: 2 });
    expect((await received(ch.hook)).map((r) => r.headers.title)).toEqual(["Monitor api is down", "Monitor api is up again"]);
  });

  it("sends reminders only while the incident is open", async () => {
    const ch = await channel("slack");
    const d = down("api", uid("inc"));
    await enqueue(env.DB, d);
    await enqueue(env.DB, reminder(d, T0 + H, 1));
    expect(await deliverDue(deps(), 10)).toMatchObject({ delivered: 2 });
    await script(ch.hook, [{ status: 503 }]);
    await enqueue(env.DB, reminder(d, T0 + 2 * H, 2));
    expect(await deliverDue(deps(), 10)).toMatchObject({ retrying: 1 });
    await enqueue(env.DB, up(d, T0 + 2 * H + S));
    clock += 5 * S;
    expect(await deliverDue(deps(), 10)).toMatchObject({ delivered: 1, skipped: 1 });
    const texts = (await received(ch.hook)).map((r) => JSON.parse(r.body).text);
    expect(texts).toEqual([
      "🔴 Monitor api is down",
      "🔁 Monitor api is still down",
      "🔁 Monitor api is still down",
      "✅ Monitor api is up again",
    ]);
    const [skipped] = await notifications(`channel=${ch.id}&status=skipped`);
    expect(skipped).toMatchObject({ reason: "incident resolved", event: { type: "monitor.reminder" } });
  });
});

describe("formats through the real receiver", () => {
  it("each kind's request arrives byte for byte", async () => {
    const chans = new Map<ChannelKind, Awaited<ReturnType<typeof channel>>>();
    for (const kind of CHANNEL_KINDS)
      chans.set(kind, await channel(kind, { ...(CHANNELS[kind].credential ? { secret: KEY } : {}), ...OPTIONS[kind] }));
    expect(await enqueue(env.DB, DOWN)).toBe(CHANNEL_KINDS.length);
    clock = T0 + 1234;
    expect(await deliverDue(deps(), 10)).toMatchObject({ delivered: CHANNEL_KINDS.length });
    for (const kind of CHANNEL_KINDS) {
      const ch = chans.get(kind)!;
      const [req, ...more] = await received(ch.hook);
      expect(more).toHaveLength(0);
      expect(req!.method).toBe("POST");
      expect(req!.body, kind).toBe(DOWN_BODIES[kind]);
      expect(req!.headers["user-agent"]).toBe("infra-uptime-monitor/0.1 (alert delivery)");
      for (const [k, v] of Object.entries(DOWN_HEADERS[kind]))
        if (!k.startsWith("webhook-signature"))
          expect(req!.headers[k], `${kind} ${k}`).toBe(k === "webhook-timestamp" ? String(Math.floor(clock / 1000)) : v);
      if (kind === "webhook") expect(await verifyWebhook(ch.secret!, req!.headers, req!.body, Math.floor(clock / 1000))).toBe(true);
    }
  });
});

describe("deliverNow (for waitUntil)", () => {
  it("retries a failed first attempt 5 s later within the same call", async () => {
    const ch = await channel("webhook");
    await script(ch.hook, [{ status: 503 }]);
    await enqueue(env.DB, down("api", uid("inc")));
    expect(await deliverNow(deps())).toMatchObject({ attempted: 2, retrying: 1, delivered: 1 });
    expect(sleeps).toEqual([5 * S]);
    expect(await received(ch.hook)).toHaveLength(2);
  });

  it("is bounded: it does not wait for the 5-minute step", async () => {
    const ch = await channel("webhook");
    await script(ch.hook, [], { status: 503 });
    await enqueue(env.DB, down("api", uid("inc")));
    expect(await deliverNow(deps(), { maxWaitMs: 15 * S })).toMatchObject({ attempted: 2, retrying: 2 });
    expect(sleeps).toEqual([5 * S]);
    expect(await deliverNow(deps(), { maxRequests: 0 })).toMatchObject({ attempted: 0 });
  });
});

describe("cron tick", () => {
  it("delivers due notifications after the checks, within the subrequests left", async () => {
    const r = parseConfig({ ...(env as unknown as Env), EDGE_SUBREQUEST_BUDGET: "4" });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    const rt = {
      config: r.config,
      log: createLogger("error"),
      fetch: (i: RequestInfo | URL, init?: RequestInit) => fetch(i, init),
      queue: r.config.queue,
      clock: () => clock,
    };
    const ch = await channel("webhook");
    for (const m of ["m1", "m2", "m3", "m4", "m5", "m6"]) await enqueue(env.DB, down(m, uid("inc")));
    const report = await runTick(rt, clock);
    expect(report.due).toBe(0); // no monitors here: the whole budget is left for notifications
    expect(report.notifications).toMatchObject({ attempted: 4, delivered: 4 });
    expect(report.subrequests).toBe(4);
    expect(await received(ch.hook)).toHaveLength(4);
    expect((await notificationCounts(env.DB)).pending).toBe(2);
  });
});

describe("GET /api/v1/notifications", () => {
  it("is for admins, and refuses unknown filters", async () => {
    const viewer = await api("POST", "/api/v1/tokens", { body: { name: uid("v"), role: "viewer" } });
    expect((await api("GET", "/api/v1/notifications", { token: viewer.body.token })).status).toBe(403);
    expect((await api("GET", "/api/v1/notifications", { token: null })).status).toBe(401);
    const bad = await api("GET", "/api/v1/notifications?status=lost&limit=0&colour=red");
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: any) => i.path).sort()).toEqual(["colour", "status"]);
    expect((await api("GET", "/api/v1/notifications?limit=0")).body.error.issues).toEqual([
      { path: "limit", message: "must be between 1 and 1000" },
    ]);
  });

  it("filters by status, channel and monitor, newest first", async () => {
    const a = await channel("webhook");
    const b = await channel("slack");
    await script(b.hook, [], { status: 500 });
    await enqueue(env.DB, down("m1", uid("inc")));
    await enqueue(env.DB, down("m2", uid("inc")));
    await deliverDue(deps(), 10);
    expect((await notifications(`status=delivered`)).map((n) => [n.channel, n.event.monitor])).toEqual([
      [a.id, "m2"],
      [a.id, "m1"],
    ]);
    expect((await notifications(`status=pending&channel=${b.id}&monitor=m1`)).map((n) => n.event.monitor)).toEqual(["m1"]);
    expect(await notifications(`limit=1`)).toHaveLength(1);
  });
});
