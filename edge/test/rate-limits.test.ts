// The rate limits through wrangler.toml's Rate Limiting bindings under Miniflare (no stub): each key gets its limit
// per period, then 429 with Retry-After and the error shape, while other keys pass; refusals are counted in /metrics.
import { createExecutionContext, env } from "cloudflare:test";
import { beforeAll, describe, expect, it, vi } from "vitest";
import worker from "../src/index.ts";
import { agentResult, agentToken, api, storedPoints, tokenFor } from "./helpers.ts";

// Hundreds of requests a test, on a shared machine.
vi.setConfig({ testTimeout: 120_000 });

/** wrangler.toml's [[ratelimits]]: requests per 60 s per key. */
const LIMIT = { failed_auth: 30, token: 600, agent: 600, public: 300, ping: 60 };

// The suite runs with RATE_LIMITS=off (vitest.config.ts); these requests reach the same Worker with the limits on.
const LIMITED = { ...env, RATE_LIMITS: "on", PUBLIC_STATUS: "true" };

type Sent = { status: number; headers: Headers; body: any };

async function send(
  path: string,
  o: { method?: string; token?: string; address?: string; body?: string; env?: Record<string, unknown> } = {},
): Promise<Sent> {
  const headers: Record<string, string> = {};
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
  if (o.address !== undefined) headers["cf-connecting-ip"] = o.address;
  if (o.body !== undefined) headers["content-type"] = "application/json";
  const req = new Request(`http://worker.test${path}`, { method: o.method ?? "GET", headers, body: o.body });
  const res = await worker.fetch(req, (o.env ?? LIMITED) as never, createExecutionContext());
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* an SVG or text */
  }
  return { status: res.status, headers: res.headers, body };
}

/**
 * Sends `one(i)` in rounds of `parallel` until an answer is 429; returns the answers before it and the 429. The
 * binding's windows are aligned to the clock, so a run that crosses a minute gets up to twice the limit through.
 */
async function untilRefused(limit: number, one: (i: number) => Promise<Sent>, parallel = 1): Promise<{ before: Sent[]; refused: Sent }> {
  const before: Sent[] = [];
  for (let i = 0; i < 2 * limit + 2 * parallel; i += parallel) {
    const round = await Promise.all(Array.from({ length: parallel }, (_, k) => one(i + k)));
    const refused = round.find((r) => r.status === 429);
    before.push(...round.filter((r) => r.status !== 429));
    if (refused) return { before, refused };
  }
  throw new Error(`no 429 after ${before.length} requests`);
}

function expectRefusal(r: Sent, limit: string) {
  expect(r.status).toBe(429);
  expect(r.headers.get("retry-after")).toBe("60");
  expect(r.body.error.code).toBe("rate_limited");
  expect(r.body.error.message).toContain(`rate limit "${limit}"`);
}

async function refusedCount(limit: string): Promise<number> {
  const text = (await api("GET", "/metrics")).body as string;
  const m = new RegExp(`^uptime_rate_limited_total\\{limit="${limit}"\\} (\\d+)$`, "m").exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

const addr = () => `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
const refusals: Record<string, number> = { failed_auth: 0, token: 0, agent: 0, public: 0, ping: 0 };
const countedBefore: Record<string, number> = {};

beforeAll(async () => {
  for (const l of Object.keys(refusals)) countedBefore[l] = await refusedCount(l);
});

describe("failed authentication, per client address", () => {
  const attacker = "203.0.113.66";

  it(`answers bad tokens 401 up to the limit (${LIMIT.failed_auth}), then 429; another address still gets 401`, async () => {
    const { before, refused } = await untilRefused(LIMIT.failed_auth, (i) =>
      send("/api/v1/monitors", { token: `bad-token-${i}`, address: attacker }),
    );
    expect(before.length).toBeGreaterThanOrEqual(LIMIT.failed_auth);
    expect(new Set(before.map((r) => r.status))).toEqual(new Set([401]));
    expectRefusal(refused, "failed_auth");
    refusals.failed_auth++;
    expect((await send("/api/v1/monitors", { token: "bad-token-x", address: "203.0.113.67" })).status).toBe(401);
  });

  it("refuses the address's further token requests before any lookup, a valid token's too, and counts them", async () => {
    const valid = await send("/api/v1/monitors", { token: env.ADMIN_TOKEN, address: attacker });
    expectRefusal(valid, "failed_auth");
    expectRefusal(await send("/api/v1/monitors", { token: "bad-again", address: attacker }), "failed_auth");
    refusals.failed_auth += 2;
    // Requests without a token that fail count too: unauthenticated probing is failed authentication.
    const anonymous = await untilRefused(LIMIT.failed_auth, () => send("/api/v1/monitors", { address: "203.0.113.68" }));
    expect(new Set(anonymous.before.map((r) => r.status))).toEqual(new Set([401]));
    expectRefusal(anonymous.refused, "failed_auth");
    refusals.failed_auth++;
  });
});

describe("per token", () => {
  it(`lets one token make ${LIMIT.token} requests a minute, then 429 for it while another token passes`, async () => {
    const [hammer, other] = [await tokenFor("viewer"), await tokenFor("viewer")];
    const address = addr();
    const { before, refused } = await untilRefused(
      LIMIT.token,
      () => send("/api/v1/monitors/no-such-monitor", { token: hammer, address }),
      10,
    );
    expect(before.length).toBeGreaterThanOrEqual(LIMIT.token);
    expect(new Set(before.map((r) => r.status))).toEqual(new Set([404]));
    expectRefusal(refused, "token");
    refusals.token++;
    // The same address with another token: the limit is the token's.
    expect((await send("/api/v1/monitors/no-such-monitor", { token: other, address })).status).toBe(404);
    expectRefusal(await send("/api/v1/monitors/no-such-monitor", { token: hammer, address: addr() }), "token");
    refusals.token++;
  });
});

describe("per agent", () => {
  it(`lets one agent push ${LIMIT.agent} times a minute, then 429 without storing, while another agent's push is stored`, async () => {
    const location = `rl-${crypto.randomUUID().slice(0, 6)}`;
    const monitor = `rl-mon-${crypto.randomUUID().slice(0, 6)}`;
    const created = await api("POST", "/api/v1/monitors", {
      body: { id: monitor, kind: "tcp", target: "127.0.0.1:5432", interval_s: 10, locations: [location] },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const busy = await agentToken(`rl-busy-${crypto.randomUUID().slice(0, 6)}`, location);
    const calm = await agentToken(`rl-calm-${crypto.randomUUID().slice(0, 6)}`, location);
    const { before, refused } = await untilRefused(
      LIMIT.agent,
      () => send("/api/v1/results", { method: "POST", token: busy, body: "{}" }),
      10,
    );
    expect(before.length).toBeGreaterThanOrEqual(LIMIT.agent);
    expect(new Set(before.map((r) => r.status))).toEqual(new Set([400]));
    expectRefusal(refused, "agent");
    // A real batch from the limited agent is refused whole: nothing stored, so the agent keeps it and sends it again.
    const kept = agentResult(monitor, location);
    const push = await send("/api/v1/results", { method: "POST", token: busy, body: JSON.stringify({ results: [kept] }) });
    expectRefusal(push, "agent");
    refusals.agent += 2;
    const stored = agentResult(monitor, location);
    const other = await send("/api/v1/results", { method: "POST", token: calm, body: JSON.stringify({ results: [stored] }) });
    expect(other.status, JSON.stringify(other.body)).toBe(202);
    const keys = (await storedPoints(env.DB, monitor)).map((p) => p.key);
    expect(keys.some((k) => k.endsWith(stored.id))).toBe(true);
    expect(keys.some((k) => k.endsWith(kept.id))).toBe(false);
  });
});

describe("the public status API and badges, per client address", () => {
  const crowd = "192.0.2.44";

  it(`answers an anonymous address ${LIMIT.public} times a minute, then 429; another address and a token still pass`, async () => {
    const { before, refused } = await untilRefused(LIMIT.public, () => send("/badge/no-such-monitor/status.svg", { address: crowd }), 10);
    expect(before.length).toBeGreaterThanOrEqual(LIMIT.public);
    expect(new Set(before.map((r) => r.status))).toEqual(new Set([404]));
    expectRefusal(refused, "public");
    expectRefusal(await send("/api/v1/status", { address: crowd }), "public");
    refusals.public += 2;
    expect((await send("/api/v1/status", { address: "192.0.2.45" })).status).toBe(200);
    // A token's requests count per token, not per address.
    expect((await send("/api/v1/status", { address: crowd, token: await tokenFor("viewer") })).status).toBe(200);
  });

  it("RATE_LIMITS chooses the limits: off, or a list without public, lets that address through", async () => {
    expectRefusal(await send("/api/v1/status", { address: crowd }), "public");
    refusals.public++;
    expect((await send("/api/v1/status", { address: crowd, env: { ...LIMITED, RATE_LIMITS: "off" } })).status).toBe(200);
    expect((await send("/api/v1/status", { address: crowd, env: { ...LIMITED, RATE_LIMITS: "failed_auth,token" } })).status).toBe(200);
    const bad = await send("/api/v1/status", { address: crowd, env: { ...LIMITED, RATE_LIMITS: "failed_auth,everything" } });
    expect(bad.status).toBe(503);
    expect(bad.body.error.issues[0]).toMatchObject({ path: "RATE_LIMITS" });
  });

  it("without its binding (an older wrangler.toml) a limit is not enforced, and /readyz warns an admin", async () => {
    const older = { ...LIMITED, RATE_LIMIT_PUBLIC: undefined };
    expect((await send("/api/v1/status", { address: crowd, env: older })).status).toBe(200);
    const ready = await send("/readyz", { token: env.ADMIN_TOKEN, env: older });
    expect(ready.body.rate_limits).toEqual(["failed_auth", "token", "agent", "ping"]);
    expect(ready.body.warnings).toEqual([expect.stringContaining("RATE_LIMIT_PUBLIC is missing")]);
    const full = await send("/readyz", { token: env.ADMIN_TOKEN });
    expect(full.body).toMatchObject({ rate_limits: ["failed_auth", "token", "agent", "public", "ping"], warnings: [] });
  });
});

describe("heartbeat pings", () => {
  const heartbeat = async () => {
    const r = await api("POST", "/api/v1/monitors", { body: { id: `rl-hb-${crypto.randomUUID().slice(0, 6)}`, kind: "heartbeat" } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return { id: r.body.id as string, path: new URL(r.body.ping_url).pathname };
  };

  it(`takes ${LIMIT.ping} pings a minute per monitor, from any address, then 429 without recording; another monitor still pings`, async () => {
    const busy = await heartbeat();
    const calm = await heartbeat();
    // Addresses change with every ping: the limit is the monitor's, so a job behind changing NAT is counted as one.
    const { before, refused } = await untilRefused(LIMIT.ping, () => send(`${busy.path}/0`, { address: addr() }), 5);
    expect(before.length).toBeGreaterThanOrEqual(LIMIT.ping);
    expect(new Set(before.map((r) => r.status))).toEqual(new Set([200]));
    expectRefusal(refused, "ping");
    refusals.ping++;
    const recorded = (await storedPoints(env.DB, busy.id)).length;
    expect(recorded).toBe(before.length);
    expectRefusal(await send(`${busy.path}/fail`, { method: "POST", body: "boom", address: addr() }), "ping");
    refusals.ping++;
    expect((await storedPoints(env.DB, busy.id)).length).toBe(recorded);
    expect((await send(calm.path, { address: addr() })).status).toBe(200);
  });

  it("counts unknown ping keys as failed authentication per address: guessing keys is refused after the limit", async () => {
    const guesser = "203.0.113.90";
    const { before, refused } = await untilRefused(LIMIT.failed_auth, (i) =>
      send(`/ping/${crypto.randomUUID().replaceAll("-", "")}${i}`, { address: guesser }),
    );
    expect(before.length).toBeGreaterThanOrEqual(LIMIT.failed_auth);
    expect(new Set(before.map((r) => r.status))).toEqual(new Set([404]));
    expectRefusal(refused, "failed_auth");
    // Refused before any lookup from then on, a valid key too; another address's valid ping goes through.
    const valid = await heartbeat();
    expectRefusal(await send(valid.path, { address: guesser }), "failed_auth");
    refusals.failed_auth += 2;
    expect((await send(valid.path, { address: "203.0.113.91" })).status).toBe(200);
  });
});

describe("/metrics", () => {
  it("counts every refusal in uptime_rate_limited_total by limit", async () => {
    // Refusals reach D1 in one write per isolate a second after the first of them.
    const deadline = Date.now() + 10_000;
    const grown = async () => {
      const out: Record<string, number> = {};
      for (const l of Object.keys(refusals)) out[l] = (await refusedCount(l)) - countedBefore[l]!;
      return out;
    };
    let counted = await grown();
    while (Object.keys(refusals).some((l) => counted[l]! < refusals[l]!) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      counted = await grown();
    }
    for (const l of Object.keys(refusals)) {
      expect(refusals[l], `the tests above saw no refusal by ${l}`).toBeGreaterThan(0);
      expect(counted[l], l).toBeGreaterThanOrEqual(refusals[l]!);
    }
  });
});
