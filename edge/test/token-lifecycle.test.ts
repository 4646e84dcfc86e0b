// Tokens that last no longer than they should: expiry and the maximum lifetime, rotation with a grace period
// (API and agent tokens), ADMIN_TOKEN rotation, last_used_at written at most every five minutes, and the
// `status` role, which reads the status API as the public does and nothing of the monitors' configuration.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Env } from "../src/config/env.ts";
import { findTokenByHash } from "../src/db/tokens.ts";
import { meterD1 } from "../src/db/meter.ts";
import { sha256Hex } from "../src/api/crypto.ts";
import worker from "../src/index.ts";
import { ADMIN, agentResult, agentToken, api, tokenFor } from "./helpers.ts";

const uid = (p: string) => `${p}-${crypto.randomUUID().slice(0, 8)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One request through the Worker's fetch handler with `vars` over the test bindings, waiting for its
 * background work (the token's last-use stamp). One env object per set of vars: the Worker validates
 * its configuration once per env object.
 */
function worker_(vars: Record<string, string> = {}) {
  const e = { ...(env as unknown as Env), ...vars } as Env;
  return async (method: string, path: string, opts: { token?: string | null; body?: unknown } = {}) => {
    const headers: Record<string, string> = {};
    const token = opts.token === undefined ? ADMIN : opts.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (opts.body !== undefined) headers["content-type"] = "application/json";
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request(`http://worker.test${path}`, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      }) as never,
      e,
      ctx,
    );
    const text = await res.text();
    await waitOnExecutionContext(ctx);
    let body: any = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body, text };
  };
}
const call = worker_();

const row = (id: string) => env.DB.prepare("SELECT * FROM api_tokens WHERE id = ?").bind(id).first<Record<string, any>>();
const listed = async (id: string) => (await api("GET", "/api/v1/tokens")).body.tokens.find((t: any) => t.id === id);
const ms = (rfc3339: string) => Date.parse(rfc3339);

async function create(body: Record<string, unknown>, c = call) {
  const r = await c("POST", "/api/v1/tokens", { body: { name: uid("t"), ...body } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; token: string; expires_at: string | null };
}

describe("expiry", () => {
  it("a token with expires_in_s works until then, and is refused afterwards with 401 saying it expired", async () => {
    const before = Date.now();
    const t = await create({ role: "viewer", expires_in_s: 600 });
    expect(ms(t.expires_at!)).toBeGreaterThanOrEqual(before + 600_000);
    expect(ms(t.expires_at!)).toBeLessThanOrEqual(Date.now() + 600_000);
    expect((await listed(t.id)).expires_at).toBe(t.expires_at);
    expect((await call("GET", "/api/v1/monitors", { token: t.token })).status).toBe(200);

    // Ten minutes later, as far as the Worker's clock can tell.
    await env.DB.prepare("UPDATE api_tokens SET expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1, t.id)
      .run();
    const r = await call("GET", "/api/v1/monitors", { token: t.token });
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe("unauthorized");
    expect(r.body.error.message).toMatch(/^the token ".+" expired at \d{4}-\d\d-\d\dT/);
  });

  it("a token without expires_in_s never expires when no maximum is set", async () => {
    const t = await create({ role: "viewer" });
    expect(t.expires_at).toBeNull();
    expect((await row(t.id))!.expires_at).toBeNull();
  });

  it("takes lifetimes from a minute to ten years, and refuses others naming expires_in_s", async () => {
    for (const expires_in_s of [60, 3650 * 86_400]) expect((await create({ role: "viewer", expires_in_s })).expires_at).not.toBeNull();
    for (const expires_in_s of [59, 3650 * 86_400 + 1, 1.5, "3600", null]) {
      const r = await api("POST", "/api/v1/tokens", { body: { name: "bounds", role: "viewer", expires_in_s } });
      expect(r.status, JSON.stringify(expires_in_s)).toBe(400);
      expect(r.body.error.issues.map((i: any) => i.path)).toEqual(["expires_in_s"]);
    }
  });

  it("a revoked token is refused with 401 at once, both its secrets during a rotation's grace", async () => {
    const t = await create({ role: "editor" });
    const r = await call("POST", `/api/v1/tokens/${t.id}/rotate`, { body: { grace_s: 3600 } });
    expect(r.status).toBe(200);
    for (const token of [t.token, r.body.token]) expect((await call("GET", "/api/v1/monitors", { token })).status).toBe(200);
    expect((await call("DELETE", `/api/v1/tokens/${t.id}`)).status).toBe(204);
    for (const token of [t.token, r.body.token]) {
      const refused = await call("GET", "/api/v1/monitors", { token });
      expect(refused.status).toBe(401);
      expect(refused.body.error.message).toBe("the token is unknown or has been revoked");
    }
  });
});

describe("TOKEN_MAX_LIFETIME_DAYS", () => {
  const capped = worker_({ TOKEN_MAX_LIFETIME_DAYS: "2" });
  const DAY = 86_400_000;

  it("gives tokens created without an expiry the maximum, and refuses a longer one with 400 naming the field", async () => {
    const before = Date.now();
    const t = await create({ role: "viewer" }, capped);
    expect(ms(t.expires_at!)).toBeGreaterThanOrEqual(before + 2 * DAY);
    expect(ms(t.expires_at!)).toBeLessThanOrEqual(Date.now() + 2 * DAY);

    const long = await capped("POST", "/api/v1/tokens", { body: { name: "too long", role: "viewer", expires_in_s: 2 * 86_400 + 1 } });
    expect(long.status).toBe(400);
    expect(long.body.error.issues).toEqual([{ path: "expires_in_s", message: "must be at most 172800 (TOKEN_MAX_LIFETIME_DAYS=2)" }]);

    const short = await create({ role: "viewer", expires_in_s: 3600 }, capped);
    expect(ms(short.expires_at!) - Date.now()).toBeLessThanOrEqual(3600_000);
  });

  it("applies to agent tokens and to rotations too", async () => {
    const before = Date.now();
    const a = await capped("POST", "/api/v1/agents", { body: { id: uid("capped"), location: "dc-capped" } });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    expect(ms(a.body.token_expires_at)).toBeGreaterThanOrEqual(before + 2 * DAY);
    expect((await row(a.body.token_id))!.expires_at).toBe(ms(a.body.token_expires_at));

    const rotated = await capped("POST", `/api/v1/tokens/${a.body.token_id}/rotate`, { body: { grace_s: 60 } });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    expect(ms(rotated.body.expires_at)).toBeGreaterThan(ms(a.body.token_expires_at));
    const long = await capped("POST", `/api/v1/tokens/${a.body.token_id}/rotate`, { body: { expires_in_s: 3 * 86_400 } });
    expect(long.status).toBe(400);
    expect(long.body.error.issues.map((i: any) => i.path)).toEqual(["expires_in_s"]);
  });

  it("is bounded", async () => {
    const r = await worker_({ TOKEN_MAX_LIFETIME_DAYS: "3651" })("GET", "/api/v1/tokens");
    expect(r.status).toBe(503);
    expect(r.body.error.issues).toEqual([{ path: "TOKEN_MAX_LIFETIME_DAYS", message: "must be at most 3650" }]);
  });
});

describe("rotation", () => {
  it("issues a new secret for the same token; the old one works during the grace and is refused after it", async () => {
    const t = await create({ role: "viewer" });
    const before = Date.now();
    const r = await call("POST", `/api/v1/tokens/${t.id}/rotate`, { body: { grace_s: 2 } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ id: t.id, role: "viewer", expires_at: null });
    expect(r.body.token).toMatch(/^ium_[A-Za-z0-9_-]{43}$/);
    expect(r.body.token).not.toBe(t.token);
    const until = ms(r.body.previous_expires_at);
    expect(until).toBeGreaterThanOrEqual(before + 2000);
    expect(ms(r.body.rotated_at)).toBeGreaterThanOrEqual(before);
    expect(await listed(t.id)).toMatchObject({ rotated_at: r.body.rotated_at, previous_expires_at: r.body.previous_expires_at });
    expect(JSON.stringify((await api("GET", "/api/v1/tokens")).body)).not.toContain(r.body.token);

    expect((await call("GET", "/api/v1/monitors", { token: t.token })).status).toBe(200);
    expect((await call("GET", "/api/v1/monitors", { token: r.body.token })).status).toBe(200);

    await sleep(Math.max(0, until - Date.now()) + 50);
    const old = await call("GET", "/api/v1/monitors", { token: t.token });
    expect(old.status).toBe(401);
    expect(old.body.error.message).toMatch(/^the token ".+" was rotated at .+; this, its previous secret, stopped working at /);
    expect((await call("GET", "/api/v1/monitors", { token: r.body.token })).status).toBe(200);
  });

  it("rotating again during a grace replaces the previous secret; grace_s 0 ends the old one at once", async () => {
    const t0 = await create({ role: "editor" });
    const r1 = await call("POST", `/api/v1/tokens/${t0.id}/rotate`, { body: { grace_s: 3600 } });
    const r2 = await call("POST", `/api/v1/tokens/${t0.id}/rotate`, { body: { grace_s: 3600 } });
    expect([r1.status, r2.status]).toEqual([200, 200]);
    const status = async (token: string) => (await call("GET", "/api/v1/monitors", { token })).status;
    expect([await status(t0.token), await status(r1.body.token), await status(r2.body.token)]).toEqual([401, 200, 200]);

    const r3 = await call("POST", `/api/v1/tokens/${t0.id}/rotate`, { body: { grace_s: 0 } });
    expect(r3.status).toBe(200);
    expect([await status(r2.body.token), await status(r3.body.token)]).toEqual([401, 200]);
  });

  it("takes the defaults from an empty body: an hour's grace", async () => {
    const t = await create({ role: "viewer" });
    const before = Date.now();
    const r = await call("POST", `/api/v1/tokens/${t.id}/rotate`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(ms(r.body.previous_expires_at)).toBeGreaterThanOrEqual(before + 3600_000);
    expect(ms(r.body.previous_expires_at)).toBeLessThanOrEqual(Date.now() + 3600_000);
  });

  it("never keeps the old secret beyond its own expiry", async () => {
    const t = await create({ role: "viewer", expires_in_s: 120 });
    const r = await call("POST", `/api/v1/tokens/${t.id}/rotate`, { body: { grace_s: 7 * 86_400, expires_in_s: 86_400 } });
    expect(r.status).toBe(200);
    expect(r.body.previous_expires_at).toBe(t.expires_at);
    expect(ms(r.body.expires_at) - Date.now()).toBeGreaterThan(86_000_000);
  });

  it("refuses a bad grace or body naming the field, and an unknown token with 404; is for admins only", async () => {
    const t = await create({ role: "viewer" });
    for (const [body, path] of [
      [{ grace_s: 7 * 86_400 + 1 }, "grace_s"],
      [{ grace_s: -1 }, "grace_s"],
      [{ grace_s: "60" }, "grace_s"],
      [{ expires_in_s: 1 }, "expires_in_s"],
      [{ extra: 1 }, "extra"],
    ] as const) {
      const r = await call("POST", `/api/v1/tokens/${t.id}/rotate`, { body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.issues.map((i: any) => i.path)).toEqual([path]);
    }
    expect((await call("POST", "/api/v1/tokens/tok_nope/rotate", { body: {} })).status).toBe(404);
    const editor = await tokenFor("editor");
    expect((await call("POST", `/api/v1/tokens/${t.id}/rotate`, { token: editor, body: {} })).status).toBe(403);
    // Nothing above changed the token.
    expect((await row(t.id))!.rotated_at).toBeNull();
  });

  it("lets an agent roll: results pushed with the old and the new secret are both taken, and its registration stays", async () => {
    const location = uid("dc-roll");
    const agentId = uid("roller");
    const reg = await api("POST", "/api/v1/agents", { body: { id: agentId, location } });
    expect(reg.status).toBe(201);
    const monitor = uid("rolled");
    const m = await api("POST", "/api/v1/monitors", {
      body: { id: monitor, kind: "tcp", target: "127.0.0.1:5432", runner: "agent", interval_s: 30, locations: [location] },
    });
    expect(m.status, JSON.stringify(m.body)).toBe(201);
    const push = (token: string) => call("POST", "/api/v1/results", { token, body: { results: [agentResult(monitor, location)] } });

    const r = await call("POST", `/api/v1/tokens/${reg.body.token_id}/rotate`, { body: { grace_s: 600 } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: reg.body.token_id, role: "agent", name: `agent ${agentId}` });
    for (const token of [reg.body.token, r.body.token]) {
      const p = await push(token);
      expect(p.status, JSON.stringify(p.body)).toBe(202);
      expect(p.body.accepted).toBe(1);
    }
    const assigned = await call("GET", "/api/v1/agents/me/assignments", { token: r.body.token });
    expect(assigned.status).toBe(200);
    expect(assigned.body.monitors.map((x: any) => x.id)).toEqual([monitor]);
    const agents = (await api("GET", "/api/v1/agents")).body.agents;
    expect(agents.find((a: any) => a.id === agentId)).toMatchObject({ location, token_id: reg.body.token_id });

    // Once the old secret's grace is over, only the new one pushes.
    await call("POST", `/api/v1/tokens/${reg.body.token_id}/rotate`, { body: { grace_s: 0 } });
    expect((await push(reg.body.token)).status).toBe(401);
    expect((await push(r.body.token)).status).toBe(401);
  });

  it("finds a token by either secret with one indexed read", async () => {
    for (let i = 0; i < 5; i++) await create({ role: "viewer" });
    const t = await create({ role: "viewer" });
    const r = await call("POST", `/api/v1/tokens/${t.id}/rotate`, { body: {} });
    const total = (await env.DB.prepare("SELECT COUNT(*) AS n FROM api_tokens").first<{ n: number }>())!.n;
    expect(total).toBeGreaterThan(5);
    for (const secret of [t.token, r.body.token]) {
      const meter = meterD1(env.DB);
      const found = await findTokenByHash(meter.db, await sha256Hex(secret));
      expect(found).toMatchObject({ id: t.id, current: secret === t.token ? 0 : 1 });
      expect(meter.totals()).toMatchObject({ statements: 1, rows_read: 1 });
    }
  });
});

describe("ADMIN_TOKEN rotation", () => {
  const OLD = "old-admin-token-0123456789";

  it("accepts ADMIN_TOKEN_PREVIOUS until ADMIN_TOKEN_PREVIOUS_UNTIL, and refuses it from then on", async () => {
    const until = Date.now() + 2000;
    const rolling = worker_({ ADMIN_TOKEN_PREVIOUS: OLD, ADMIN_TOKEN_PREVIOUS_UNTIL: new Date(until).toISOString() });
    expect((await rolling("GET", "/api/v1/tokens", { token: OLD })).status).toBe(200);
    expect((await rolling("GET", "/api/v1/tokens", { token: ADMIN })).status).toBe(200);
    // The deployment without it never knew the old token.
    expect((await call("GET", "/api/v1/tokens", { token: OLD })).status).toBe(401);

    await sleep(Math.max(0, until - Date.now()) + 50);
    const r = await rolling("GET", "/api/v1/tokens", { token: OLD });
    expect(r.status).toBe(401);
    expect(r.body.error.message).toMatch(
      /^this is the previous bootstrap admin token \(ADMIN_TOKEN_PREVIOUS\), refused since .+; use ADMIN_TOKEN$/,
    );
    expect((await rolling("GET", "/api/v1/tokens", { token: ADMIN })).status).toBe(200);
  });

  it("reports ADMIN_TOKEN_PREVIOUS without an end, or with a malformed one, as a configuration problem", async () => {
    const none = await worker_({ ADMIN_TOKEN_PREVIOUS: OLD })("GET", "/api/v1/tokens", { token: OLD });
    expect(none.status).toBe(503);
    expect(none.body.error.issues.map((i: any) => i.path)).toEqual(["ADMIN_TOKEN_PREVIOUS_UNTIL"]);
    const bad = await worker_({ ADMIN_TOKEN_PREVIOUS: OLD, ADMIN_TOKEN_PREVIOUS_UNTIL: "tomorrow" })("GET", "/api/v1/tokens");
    expect(bad.status).toBe(503);
    expect(bad.body.error.issues).toEqual([
      { path: "ADMIN_TOKEN_PREVIOUS_UNTIL", message: "must be an RFC 3339 time, e.g. 2026-03-01T12:00:00Z" },
    ]);
    const short = await worker_({ ADMIN_TOKEN_PREVIOUS: "short", ADMIN_TOKEN_PREVIOUS_UNTIL: "2030-01-01T00:00:00Z" })(
      "GET",
      "/api/v1/tokens",
    );
    expect(short.body.error.issues).toEqual([{ path: "ADMIN_TOKEN_PREVIOUS", message: "must be at least 16 characters" }]);
  });
});

describe("last_used_at", () => {
  it("is written at most once every five minutes per token, and listed", async () => {
    const t = await create({ role: "viewer" });
    expect((await listed(t.id)).last_used_at).toBeNull();
    const use = async () => expect((await call("GET", "/api/v1/status", { token: t.token })).status).toBe(200);
    const stamp = async () => (await row(t.id))!.last_used_at as number | null;

    const before = Date.now();
    await use();
    const first = await stamp();
    expect(first).toBeGreaterThanOrEqual(before);
    expect((await listed(t.id)).last_used_at).toBe(new Date(first!).toISOString());
    await use();
    expect(await stamp()).toBe(first);

    // Used two minutes ago: not stamped again; six minutes ago: stamped.
    const set = (at: number) => env.DB.prepare("UPDATE api_tokens SET last_used_at = ? WHERE id = ?").bind(at, t.id).run();
    const twoMinutesAgo = Date.now() - 2 * 60_000;
    await set(twoMinutesAgo);
    await use();
    expect(await stamp()).toBe(twoMinutesAgo);
    await set(Date.now() - 6 * 60_000);
    const now = Date.now();
    await use();
    expect(await stamp()).toBeGreaterThanOrEqual(now);
  });
});

describe("the status role", () => {
  it("reads the status API, badges and /metrics as the public does, and is refused (403) everything else", async () => {
    const location = uid("dc-wall");
    const agentId = uid("wall-agent");
    const agent = await agentToken(agentId, location);
    const monitor = uid("wall");
    const created = await api("POST", "/api/v1/monitors", {
      body: {
        id: monitor,
        name: "Checkout",
        kind: "http",
        runner: "agent",
        interval_s: 30,
        locations: [location],
        target: "http://checkout.internal.corp.test/health",
        http: { headers: { authorization: "Bearer SECRET-HEADER" } },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const failed = agentResult(monitor, location, {
      ok: false,
      latency_ms: null,
      tcp: undefined,
      error: { kind: "refused", message: "connect ECONNREFUSED 10.9.8.7:443 (checkout.internal.corp.test)" },
    });
    const pushed = await api("POST", "/api/v1/results", { token: agent, body: { results: [failed] } });
    expect(pushed.status, JSON.stringify(pushed.body)).toBe(202);

    const made = await api("POST", "/api/v1/tokens", { body: { name: "wall display", role: "status" } });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const wall = made.body.token;
    const viewer = await tokenFor("viewer");

    const list = await call("GET", "/api/v1/status", { token: wall });
    expect(list.status).toBe(200);
    expect(list.body.monitors.map((m: any) => m.id)).toContain(monitor);
    const page = await call("GET", `/api/v1/status/${monitor}`, { token: wall });
    expect(page.status).toBe(200);
    expect(page.body.monitor.target).toBeNull();
    expect(page.body.monitor.last_error).toEqual({ kind: "refused", message: "connection refused" });
    expect(page.body.checks.map((c: any) => c.error)).toContainEqual({ kind: "refused", message: "connection refused" });
    for (const r of [list, page]) {
      expect(r.text).not.toContain("internal.corp");
      expect(r.text).not.toContain("10.9.8.7");
      expect(r.text).not.toContain("SECRET-HEADER");
    }
    // A viewer of the same page sees the target and the check's words: the status role sees less.
    const seen = await call("GET", `/api/v1/status/${monitor}`, { token: viewer });
    expect(seen.body.monitor.target).toBe("http://checkout.internal.corp.test/health");
    expect(seen.body.monitor.last_error.message).toContain("ECONNREFUSED");

    for (const path of [`/badge/${monitor}/status.svg`, `/badge/${monitor}/uptime.svg`, `/badge/${monitor}/shields.json`])
      expect((await call("GET", path, { token: wall })).status, path).toBe(200);
    const metrics = await call("GET", "/metrics", { token: wall });
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain(`monitor="${monitor}"`);
    expect(metrics.text).not.toContain(agentId);
    expect((await call("GET", "/metrics", { token: viewer })).text).toContain(agentId);

    for (const [method, path] of [
      ["GET", "/api/v1/monitors"],
      ["GET", `/api/v1/monitors/${monitor}`],
      ["GET", `/api/v1/monitors/${monitor}/checks`],
      ["GET", `/api/v1/monitors/${monitor}/uptime`],
      ["GET", `/api/v1/monitors/${monitor}/incidents`],
      ["GET", "/api/v1/incidents"],
      ["GET", "/api/v1/maintenance"],
      ["GET", "/api/v1/tokens"],
      ["GET", "/api/v1/agents"],
      ["GET", "/api/v1/agents/me/assignments"],
    ] as const) {
      const r = await call(method, path, { token: wall });
      expect(r.status, path).toBe(403);
      expect(r.body.error.code).toBe("forbidden");
    }
    // /readyz tells it no more than it tells anyone.
    expect((await call("GET", "/readyz", { token: wall })).body).toEqual({ status: "ready" });
  });
});
