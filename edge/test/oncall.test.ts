// On-call channels (PagerDuty Events v2, Opsgenie, Telegram, email) on real D1 through the outbox to a real local
// receiver (test/services/webhook-receiver.ts): a page opens on down and closes on up by the same key; 5xx retried, 4xx dead.
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, inject, it } from "vitest";
import { KEY, OPTIONS } from "../src/alerts/channels/testdata.ts";
import { deliverDue, enqueue, type DeliveryDeps } from "../src/alerts/delivery.ts";
import type { AlertEvent } from "../src/alerts/events.ts";
import { createLogger } from "../src/observability/log.ts";
import { api } from "./helpers.ts";

const receiver = inject("receiverUrl");
const T0 = 1_764_216_060_000;
const S = 1000;

type Answer = { status: number; headers?: Record<string, string>; body?: string };
type Received = { method: string; path: string; headers: Record<string, string>; body: string };

async function script(hook: string, answers: Answer[]) {
  expect((await fetch(`${receiver}/control/script/${hook}`, { method: "PUT", body: JSON.stringify({ answers }) })).status).toBe(200);
}
async function received(hook: string): Promise<Received[]> {
  return ((await (await fetch(`${receiver}/control/requests/${hook}`)).json()) as { requests: Received[] }).requests;
}

let clock = T0;
const deps = (): DeliveryDeps => ({
  db: env.DB,
  fetch: (input, init) => fetch(input, init),
  now: () => clock,
  log: createLogger("error"),
  random: () => 0.5,
  timeoutMs: 2000,
});
const uid = (p: string) => `${p}-${crypto.randomUUID().slice(0, 8)}`;

async function channel(kind: "pagerduty" | "opsgenie" | "telegram" | "email") {
  const id = uid(kind);
  const r = await api("POST", "/api/v1/channels", { body: { id, kind, url: `${receiver}/hook/${id}`, secret: KEY, ...OPTIONS[kind] } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return id;
}

function down(incident: string): AlertEvent {
  return {
    id: `evt_${incident}_down`,
    type: "monitor.down",
    timestamp: T0,
    monitor: { id: "api", name: "API", group: null, kind: "http", status: "down", target: "https://example.com/" },
    incident: {
      id: incident,
      monitor: "api",
      opened_at: T0,
      resolved_at: null,
      cause: "2 consecutive failures",
      first_error: null,
      last_error: { kind: "status", message: "HTTP 500" },
    },
    details: {},
  };
}
const up = (d: AlertEvent, at: number): AlertEvent => ({
  ...d,
  id: d.id.replace(/_down$/, "_up"),
  type: "monitor.up",
  timestamp: at,
  monitor: { ...d.monitor, status: "up" },
  incident: { ...d.incident!, resolved_at: at },
});

async function notifications(channel: string) {
  const r = await api("GET", `/api/v1/notifications?channel=${channel}`);
  expect(r.status).toBe(200);
  return r.body.notifications as Array<{ status: string; reason: string | null; event: { type: string } }>;
}

beforeEach(async () => {
  clock = T0;
  await env.DB.batch([
    env.DB.prepare("DELETE FROM notifications"),
    env.DB.prepare("DELETE FROM alert_events"),
    env.DB.prepare("DELETE FROM channels"),
  ]);
});

describe("pagerduty", () => {
  it("triggers on down and resolves on up with the same dedup_key; the routing key is never shown", async () => {
    const ch = await channel("pagerduty");
    const got = await api("GET", `/api/v1/channels/${ch}`);
    expect(got.body).toMatchObject({ kind: "pagerduty", secret_set: true });
    expect(JSON.stringify(got.body)).not.toContain(KEY);

    const inc = uid("inc");
    const d = down(inc);
    await enqueue(env.DB, d);
    expect(await deliverDue(deps(), 10)).toMatchObject({ delivered: 1 });
    clock += 60 * S;
    await enqueue(env.DB, up(d, clock));
    expect(await deliverDue(deps(), 10)).toMatchObject({ delivered: 1 });

    const [trigger, resolve, ...more] = await received(ch);
    expect(more).toHaveLength(0);
    expect(trigger!.path).toBe(`/hook/${ch}`);
    expect(trigger!.headers["content-type"]).toBe("application/json");
    expect(trigger!.body).toBe(
      `{"routing_key":"${KEY}","event_action":"trigger","dedup_key":"${inc}","payload":{"summary":"API is down","source":"https://example.com/",` +
        `"severity":"critical","timestamp":"2025-11-27T04:01:00.000Z","component":"api","class":"monitor.down","custom_details":{"Monitor":"API (api)",` +
        `"Target":"https://example.com/","Cause":"2 consecutive failures","Error":"status: HTTP 500","Time":"2025-11-27T04:01:00.000Z","Event":"evt_${inc}_down"}}}`,
    );
    expect(resolve!.body).toBe(`{"routing_key":"${KEY}","event_action":"resolve","dedup_key":"${inc}"}`);
  });

  it("retries a 500 through the outbox, and dead-letters a 400 at once (then skips its recovery)", async () => {
    const ch = await channel("pagerduty");
    await script(ch, [{ status: 500, body: "oops" }]);
    await enqueue(env.DB, down(uid("inc")));
    expect(await deliverDue(deps(), 10)).toMatchObject({ attempted: 1, retrying: 1 });
    clock += 5 * S;
    expect(await deliverDue(deps(), 10)).toMatchObject({ attempted: 1, delivered: 1 });
    const [first, second] = await received(ch);
    expect(second!.body).toBe(first!.body);

    await script(ch, [{ status: 400, body: '{"status":"invalid event","message":"Event object is invalid"}' }]);
    const d = down(uid("inc"));
    await enqueue(env.DB, d);
    expect(await deliverDue(deps(), 10)).toMatchObject({ attempted: 1, dead: 1 });
    await enqueue(env.DB, up(d, clock + S));
    clock += 10 * 60 * S;
    expect(await deliverDue(deps(), 10)).toMatchObject({ attempted: 0, skipped: 1 });
    const [skipped, dead] = await notifications(ch);
    // The receiver's words are shown apart from ours (untrusted_receiver_answer).
    expect(dead).toMatchObject({ status: "dead", reason: "HTTP 400 (not retried)" });
    expect(skipped).toMatchObject({ status: "skipped", reason: "down not sent" });
    expect(await received(ch)).toHaveLength(3);
  });

  it("refuses a channel without a routing key, and defaults the URL to the Events API", async () => {
    const r = await api("POST", "/api/v1/channels", { body: { id: uid("pd"), kind: "pagerduty" } });
    expect(r.status).toBe(400);
    expect(r.body.error.issues).toEqual([
      { path: "secret", message: "is required: the routing key of the service's Events API v2 integration" },
    ]);
    const ok = await api("POST", "/api/v1/channels", { body: { id: uid("pd"), kind: "pagerduty", secret: KEY } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body.url).toBe("https://events.pagerduty.com/v2/enqueue");
    expect(ok.body.secret).toBe(KEY); // shown this once, like a webhook's secret
    expect((await api("GET", `/api/v1/channels/${ok.body.id}`)).body.secret).toBeUndefined();
  });
});

describe("a kind's key", () => {
  it("is replaced by PATCH (rotate-secret answers 409) and the next request carries the new one", async () => {
    const ch = await channel("opsgenie");
    const rotate = await api("POST", `/api/v1/channels/${ch}/rotate-secret`, { body: {} });
    expect(rotate.status).toBe(409);
    expect(rotate.body.error.message).toBe(
      `channel "${ch}" is a opsgenie channel, which signs nothing: its secret is the API key of an Opsgenie API integration, ` +
        "replaced at once by a PATCH with the new secret",
    );
    const patched = await api("PATCH", `/api/v1/channels/${ch}`, { body: { secret: "new-genie-key" } });
    expect(patched.status).toBe(200);
    expect(JSON.stringify(patched.body)).not.toContain("new-genie-key");
    await enqueue(env.DB, down(uid("inc")));
    expect(await deliverDue(deps(), 10)).toMatchObject({ delivered: 1 });
    expect((await received(ch))[0]!.headers.authorization).toBe("GenieKey new-genie-key");
  });
});

describe("opsgenie", () => {
  it("creates on down and closes by the same alias on up, with the GenieKey header", async () => {
    const ch = await channel("opsgenie");
    const inc = uid("inc");
    const d = down(inc);
    await enqueue(env.DB, d);
    expect(await deliverDue(deps(), 10)).toMatchObject({ delivered: 1 });
    clock += 90 * S;
    await enqueue(env.DB, up(d, clock));
    expect(await deliverDue(deps(), 10)).toMatchObject({ delivered: 1 });

    const [create, close] = await received(ch);
    expect(create!.path).toBe(`/hook/${ch}/v2/alerts`);
    expect(create!.headers.authorization).toBe(`GenieKey ${KEY}`);
    expect(create!.body).toBe(
      `{"message":"API is down","alias":"${inc}","description":"Monitor: API (api)\\nTarget: https://example.com/\\nCause: 2 consecutive failures\\n` +
        `Error: status: HTTP 500\\nTime: 2025-11-27T04:01:00.000Z\\nEvent: evt_${inc}_down","tags":["uptime","monitor.down"],` +
        `"details":{"monitor":"api","event":"evt_${inc}_down","type":"monitor.down"},"entity":"api","source":"Infra Uptime Monitor","priority":"P1"}`,
    );
    expect(close!.path).toBe(`/hook/${ch}/v2/alerts/${inc}/close?identifierType=alias`);
    expect(close!.headers.authorization).toBe(`GenieKey ${KEY}`);
    expect(close!.body).toBe(
      `{"source":"Infra Uptime Monitor","note":"Monitor: API (api)\\nTarget: https://example.com/\\nDown for: 1m 30s\\n` +
        `Cause: 2 consecutive failures\\nTime: 2025-11-27T04:02:30.000Z\\nEvent: evt_${inc}_up"}`,
    );
  });

  it("retries a 503, and dead-letters a 422 at once", async () => {
    const ch = await channel("opsgenie");
    await script(ch, [{ status: 503 }, { status: 422, body: '{"message":"Request body is not processable"}' }]);
    await enqueue(env.DB, down(uid("inc")));
    expect(await deliverDue(deps(), 10)).toMatchObject({ attempted: 1, retrying: 1 });
    clock += 5 * S;
    expect(await deliverDue(deps(), 10)).toMatchObject({ attempted: 1, dead: 1 });
    expect(await received(ch)).toHaveLength(2);
    const [n] = await notifications(ch);
    expect(n).toMatchObject({ status: "dead", reason: "HTTP 422 (not retried)" });
  });
});

describe("telegram", () => {
  it("sends down and up to the chat through /bot<token>/sendMessage; the chat id is shown, the token never", async () => {
    const ch = await channel("telegram");
    const got = (await api("GET", `/api/v1/channels/${ch}`)).body;
    expect(got).toMatchObject({ kind: "telegram", chat_id: "-1001234567890", secret_set: true });
    expect(JSON.stringify(got)).not.toContain(KEY);
    const inc = uid("inc");
    const d = down(inc);
    await enqueue(env.DB, d);
    expect(await deliverDue(deps(), 10)).toMatchObject({ delivered: 1 });
    clock += 5 * S;
    await enqueue(env.DB, up(d, clock));
    expect(await deliverDue(deps(), 10)).toMatchObject({ delivered: 1 });
    const [first, second] = await received(ch);
    expect(first!.path).toBe(`/hook/${ch}/bot${KEY}/sendMessage`);
    expect(first!.body).toBe(
      '{"chat_id":"-1001234567890","text":"🔴 API is down\\n\\nMonitor: API (api)\\nTarget: https://example.com/\\nCause: 2 consecutive failures\\n' +
        `Error: status: HTTP 500\\nTime: 2025-11-27T04:01:00.000Z\\nEvent: evt_${inc}_down","link_preview_options":{"is_disabled":true}}`,
    );
    expect(JSON.parse(second!.body).text).toMatch(/^✅ API is up again\n\nMonitor: API \(api\)\n.*\nDown for: 5s\n/s);
  });

  it("retries a 429 and dead-letters a 403 (the bot was removed from the chat)", async () => {
    const ch = await channel("telegram");
    await script(ch, [
      { status: 429, headers: { "retry-after": "3" }, body: '{"ok":false,"error_code":429}' },
      { status: 403, body: '{"ok":false,"error_code":403,"description":"Forbidden: bot was kicked"}' },
    ]);
    await enqueue(env.DB, down(uid("inc")));
    expect(await deliverDue(deps(), 10)).toMatchObject({ attempted: 1, retrying: 1 });
    clock += 5 * S;
    expect(await deliverDue(deps(), 10)).toMatchObject({ attempted: 1, dead: 1 });
    const [n] = await notifications(ch);
    expect(n).toMatchObject({ status: "dead", reason: "HTTP 403 (not retried)" });
  });

  it("refuses a chat id that is neither a number nor an @username", async () => {
    const r = await api("POST", "/api/v1/channels", { body: { id: uid("tg"), kind: "telegram", secret: KEY, chat_id: "my chat" } });
    expect(r.status).toBe(400);
    expect(r.body.error.issues).toEqual([
      { path: "chat_id", message: "must be a chat's numeric id (e.g. -1001234567890) or a channel's @username" },
    ]);
  });
});

describe("email", () => {
  it("posts {from,to,subject,text} with the bearer key; a 500 is retried; PATCH changes the address", async () => {
    const ch = await channel("email");
    await script(ch, [{ status: 500 }]);
    const inc = uid("inc");
    await enqueue(env.DB, down(inc));
    expect(await deliverDue(deps(), 10)).toMatchObject({ attempted: 1, retrying: 1 });
    clock += 5 * S;
    expect(await deliverDue(deps(), 10)).toMatchObject({ attempted: 1, delivered: 1 });
    const [, sent] = await received(ch);
    expect(sent!.path).toBe(`/hook/${ch}`);
    expect(sent!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent!.body).toBe(
      '{"from":"uptime@example.net","to":["oncall@example.net"],"subject":"🔴 API is down","text":"Monitor: API (api)\\n' +
        `Target: https://example.com/\\nCause: 2 consecutive failures\\nError: status: HTTP 500\\nTime: 2025-11-27T04:01:00.000Z\\nEvent: evt_${inc}_down"}`,
    );

    const patched = await api("PATCH", `/api/v1/channels/${ch}`, { body: { to: "ops@example.net" } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body).toMatchObject({ from: "uptime@example.net", to: "ops@example.net", secret_set: true });
    await enqueue(env.DB, down(uid("inc")));
    expect(await deliverDue(deps(), 10)).toMatchObject({ delivered: 1 });
    expect(JSON.parse((await received(ch))[2]!.body).to).toEqual(["ops@example.net"]);
  });

  it("needs from, to and a URL: no mail API is assumed", async () => {
    const r = await api("POST", "/api/v1/channels", { body: { id: uid("em"), kind: "email", secret: KEY, to: "not an address" } });
    expect(r.status).toBe(400);
    expect(r.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(["from", "to", "url"]);
  });
});
