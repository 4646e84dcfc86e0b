// The egress policy in the real Worker with real D1: http checks and alert deliveries to metadata, link-local,
// private and obfuscated addresses are refused before any request, as literals and at a redirect hop.
// The edge test project allows loopback (vitest.config.ts, EGRESS_ALLOW) for its local targets, so these
// tests aim at categories it does not allow. Every fetch goes through a guard that refuses anything but
// loopback itself: even where the policy failed, no packet would leave for 169.254.169.254 or 10.0.0.1.
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, inject, it } from "vitest";
import { Monitor } from "../../contract/index.ts";
import { deliverDue, enqueue, sendTest, type DeliveryDeps } from "../src/alerts/delivery.ts";
import type { AlertEvent } from "../src/alerts/events.ts";
import type { Channel } from "../src/alerts/channels/index.ts";
import { runCheck } from "../src/checks/index.ts";
import { parseConfig } from "../src/config/config.ts";
import type { Env } from "../src/config/env.ts";
import { insertChannel } from "../src/db/channels.ts";
import { listNotifications } from "../src/db/notifications.ts";
import { createLogger } from "../src/observability/log.ts";
import { runTick, type Runtime } from "../src/scheduler/tick.ts";
import { api } from "./helpers.ts";

const targets = inject("targetsUrl");
const MINUTE = 60_000;

/** A fetch that lets requests to loopback through and records, and refuses, every other. */
function guardedFetch() {
  const requested: string[] = [];
  const escaped: string[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    requested.push(url.href);
    if (url.hostname !== "127.0.0.1") {
      escaped.push(url.href);
      throw new TypeError(`test guard: refused to send a request to ${url.href}`);
    }
    return fetch(input, init);
  }) as typeof fetch;
  return { fetch: fetcher, requested, escaped };
}

function runtime(fetcher: typeof fetch): Runtime {
  const r = parseConfig(env as unknown as Env);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return { config: r.config, log: createLogger("error"), fetch: fetcher, queue: r.config.queue };
}

async function lastError(id: string): Promise<{ kind: string; message: string } | null> {
  const r = await api("GET", `/api/v1/monitors/${id}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.state.last_error;
}

beforeEach(async () => {
  await env.DB.batch([
    env.DB.prepare("DELETE FROM state_packs"),
    env.DB.prepare("DELETE FROM counters WHERE name = 'edge_tick'"),
    env.DB.prepare("DELETE FROM monitors"),
  ]);
});

describe("edge http checks", () => {
  it("refuses metadata, link-local, private and IPv4-mapped targets, however written, without a request", async () => {
    const cases = [
      ["metadata", "http://169.254.169.254/latest/meta-data/", "169.254.169.254", /cloud metadata service address/],
      ["metadata-hex", "http://0xa9fea9fe/latest/meta-data/", "169.254.169.254", /cloud metadata service address/],
      ["metadata-int", "http://2852039166/", "169.254.169.254", /cloud metadata service address/],
      ["metadata-mapped", "http://[::ffff:169.254.169.254]/", "::ffff:a9fe:a9fe", /cloud metadata service address/],
      ["metadata-v6", "http://[fd00:ec2::254]/", "fd00:ec2::254", /cloud metadata service address/],
      ["link-local", "http://169.254.1.1:8080/", "169.254.1.1", /link-local address/],
      ["private", "http://10.0.0.1/", "10.0.0.1", /private address \(10\.0\.0\.0\/8/],
      ["private-short", "http://10.1/", "10.0.0.1", /private address/],
    ] as const;
    for (const [id, target] of cases) {
      const r = await api("POST", "/api/v1/monitors", { body: { id, kind: "http", target, timeout_ms: 2000 } });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    const guard = guardedFetch();
    const report = await runTick(runtime(guard.fetch), Date.now() + MINUTE);
    expect(report.checks).toBe(cases.length);
    expect(guard.escaped).toEqual([]);
    expect(guard.requested).toEqual([]);
    expect(report.subrequests).toBe(0);
    for (const [id, , address, category] of cases) {
      const error = await lastError(id);
      expect(error?.kind, id).toBe("other");
      expect(error?.message, id).toContain(`${address} is refused by the edge's egress policy: it is `);
      expect(error?.message, id).toMatch(category);
      expect(error?.message, id).toMatch(/to allow it, add it to EGRESS_ALLOW .*; no request was made$/);
    }
  });

  it("refuses a redirect to the metadata address at the hop: the allowed target is asked, the metadata address never", async () => {
    const first = `${targets}/redirect?to=${encodeURIComponent("http://169.254.169.254/latest/meta-data/iam/")}`;
    const r = await api("POST", "/api/v1/monitors", { body: { id: "hop", kind: "http", target: first, timeout_ms: 2000 } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const guard = guardedFetch();
    await runTick(runtime(guard.fetch), Date.now() + MINUTE);
    expect(guard.escaped).toEqual([]);
    expect(guard.requested).toEqual([first]); // the first hop only; the policy refused the second before fetch
    const error = await lastError("hop");
    expect(error).toEqual({
      kind: "other",
      message: expect.stringMatching(
        /^GET http:\/\/169\.254\.169\.254\/latest\/meta-data\/iam\/ \(redirect 1\): 169\.254\.169\.254 is refused by the edge's egress policy: .*; no request was made$/,
      ),
    });
  });

  it("still checks what EGRESS_ALLOW allows (the test project allows loopback)", async () => {
    const r = await api("POST", "/api/v1/monitors", { body: { id: "allowed", kind: "http", target: `${targets}/status/200` } });
    expect(r.status).toBe(201);
    const guard = guardedFetch();
    await runTick(runtime(guard.fetch), Date.now() + MINUTE);
    expect(guard.requested).toEqual([`${targets}/status/200`]);
    expect(await lastError("allowed")).toBeNull();
  });

  it("without EGRESS_ALLOW, refuses http://0x7f000001/ as the loopback address 127.0.0.1", async () => {
    const { edgePolicy } = await import("../../contract/egress.ts");
    const port = new URL(targets).port;
    const spec = Monitor.parse({ id: "hex-loopback", kind: "http", target: `http://0x7f000001:${port}/status/200` });
    const guard = guardedFetch();
    const outcome = await runCheck(spec, { fetch: guard.fetch, now: () => performance.now(), egress: edgePolicy() });
    expect(guard.requested).toEqual([]);
    expect(outcome).toMatchObject({ ok: false, error: { kind: "other" } });
    expect(outcome.error?.message).toMatch(
      new RegExp(
        `^GET http://127\\.0\\.0\\.1:${port}/status/200: 127\\.0\\.0\\.1 is refused by the edge's egress policy: it is a loopback address`,
      ),
    );
  });
});

describe("alert delivery", () => {
  const T0 = 1_764_216_060_000;
  const channel = (id: string, url: string): Channel => ({
    id,
    name: id,
    kind: "webhook",
    url,
    secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    rotation: null,
    options: {},
    monitors: [],
    events: ["down", "up"],
    enabled: true,
    disabled_reason: null,
    created_at: T0,
    updated_at: T0,
  });
  const down = (monitor: string): AlertEvent => ({
    id: `evt_inc_${monitor}_down`,
    type: "monitor.down",
    timestamp: T0,
    monitor: { id: monitor, name: monitor, group: null, kind: "http", status: "down", target: "https://example.com/" },
    incident: {
      id: `inc_${monitor}`,
      monitor,
      opened_at: T0,
      resolved_at: null,
      cause: "2 consecutive failures",
      first_error: null,
      last_error: { kind: "status", message: "HTTP 500" },
    },
    details: {},
  });
  const deps = (fetcher: typeof fetch): DeliveryDeps => ({
    db: env.DB,
    fetch: fetcher,
    now: () => T0,
    log: createLogger("error"),
    random: () => 0.5,
  });

  it("dead-letters a notification to a refused channel URL at once, with the reason, without a request", async () => {
    expect(await insertChannel(env.DB, channel("meta-hook", "http://169.254.169.254/hook"))).toBe(true);
    expect(await insertChannel(env.DB, channel("private-hook", "http://[::ffff:10.0.0.1]:8080/hook"))).toBe(true);
    expect(await enqueue(env.DB, down("db"), T0)).toBe(2);
    const guard = guardedFetch();
    const report = await deliverDue(deps(guard.fetch), 10);
    expect(guard.requested).toEqual([]);
    expect(report).toMatchObject({ attempted: 0, dead: 2, retrying: 0, delivered: 0 });
    const [meta] = await listNotifications(env.DB, { channel: "meta-hook", limit: 5 });
    expect(meta).toMatchObject({ status: "dead", attempts: 0, attempt_list: [] });
    expect(meta!.reason).toMatch(
      /^not sent: 169\.254\.169\.254 is refused by the edge's egress policy: it is a cloud metadata service address .*EGRESS_ALLOW.*; no request was made$/,
    );
    const [priv] = await listNotifications(env.DB, { channel: "private-hook", limit: 5 });
    expect(priv).toMatchObject({ status: "dead", attempts: 0 });
    expect(priv!.reason).toMatch(/^not sent: ::ffff:a00:1 is refused by the edge's egress policy: it is a private address/);
  });

  it("refuses a channel test (POST /channels/:id/test's path) to a refused URL", async () => {
    const ch = channel("test-hook", "http://0xa9fea9fe/hook");
    expect(await insertChannel(env.DB, ch)).toBe(true);
    const guard = guardedFetch();
    const { id, report } = await sendTest(deps(guard.fetch), ch);
    expect(guard.requested).toEqual([]);
    expect(report).toMatchObject({ attempted: 0, dead: 1 });
    const [n] = await listNotifications(env.DB, { id, limit: 1 });
    expect(n).toMatchObject({ status: "dead", reason: expect.stringMatching(/^not sent: 169\.254\.169\.254 is refused/) });
  });
});

describe("targets and channel URLs are stored normalised, and a channel the policy refuses is refused at create", () => {
  it("stores a monitor's target in one spelling", async () => {
    const cases = [
      [{ kind: "http", target: "HTTP://Example.TEST" }, "http://example.test/"],
      [{ kind: "http", target: "http://0x7f000001:8080/x" }, "http://127.0.0.1:8080/x"],
    ] as const;
    for (const [body, stored] of cases) {
      const id = `norm-${crypto.randomUUID().slice(0, 8)}`;
      const r = await api("POST", "/api/v1/monitors", { body: { id, ...body } });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body.target).toBe(stored);
    }
    const tcp = await api("POST", "/api/v1/monitors", { body: { id: "norm-tcp", kind: "tcp", target: "0x7f000001:22", interval_s: 10 } });
    expect(tcp.body.target).toBe("127.0.0.1:22");
    const bad = await api("POST", "/api/v1/monitors", { body: { id: "norm-bad", kind: "tcp", target: "db host:22", interval_s: 10 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path)).toEqual(["target"]);
  });

  it("answers 400 naming url when a channel's URL is one the policy refuses, at create and on change", async () => {
    const id = `ch-${crypto.randomUUID().slice(0, 8)}`;
    const refused = await api("POST", "/api/v1/channels", {
      body: { id, kind: "webhook", url: "http://169.254.169.254/latest/meta-data/" },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.issues[0].path).toBe("url");
    expect(refused.body.error.issues[0].message).toMatch(/169\.254\.169\.254/);
    expect((await api("GET", `/api/v1/channels/${id}`)).status).toBe(404);
    const ok = await api("POST", "/api/v1/channels", { body: { id, kind: "webhook", url: "https://hooks.example.test/a" } });
    expect(ok.status).toBe(201);
    const moved = await api("PATCH", `/api/v1/channels/${id}`, { body: { url: "http://10.0.0.7/hook" } });
    expect(moved.status).toBe(400);
    expect(moved.body.error.issues[0].path).toBe("url");
  });
});
