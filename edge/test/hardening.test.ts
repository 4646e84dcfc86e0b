// Hostile and out-of-range input through the real Worker and D1: each value is refused with a 400 (or
// 415) naming what is wrong, nothing is stored, and every read keeps answering for everyone.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/api/app.ts";
import { agentResult, api, httpMonitor, rolledUpChecks, storedPoints } from "./helpers.ts";

const uid = (p: string) => `${p}-${crypto.randomUUID().slice(0, 8)}`;
const DAY = 86_400_000;

async function register(id: string, location: string): Promise<string> {
  const r = await api("POST", "/api/v1/agents", { body: { id, location } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.token as string;
}

const result = agentResult;

const paths = (body: any): string[] => body.error.issues.map((i: { path: string }) => i.path);

/** Every read that a single bad stored value used to break for everyone. */
async function readsAnswer(monitor: string) {
  for (const path of [
    "/api/v1/status",
    "/api/v1/monitors",
    `/api/v1/monitors/${monitor}`,
    `/api/v1/status/${monitor}`,
    "/api/v1/maintenance",
    "/metrics",
  ]) {
    const r = await api("GET", path);
    expect(r.status, `${path}: ${JSON.stringify(r.body).slice(0, 300)}`).toBe(200);
  }
  expect((await api("GET", `/badge/${monitor}/status.svg`, { token: null })).status).toBeLessThan(500);
}

async function tableCount(table: string, where = "1", ...binds: unknown[]): Promise<number> {
  return (await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`)
    .bind(...binds)
    .first<{ n: number }>())!.n;
}

describe("result times and sizes", () => {
  const loc = uid("hard");
  let token: string;
  let mon: string;

  beforeAll(async () => {
    token = await register(uid("ag"), loc);
    mon = uid("tcp");
    const r = await api("POST", "/api/v1/monitors", {
      body: { id: mon, kind: "tcp", target: "127.0.0.1:5432", interval_s: 10, locations: [loc] },
    });
    expect(r.status).toBe(201);
  });

  it("refuses a ts past what a Date holds, in 2100, or older than the outbox keeps, naming it; reads keep answering", async () => {
    for (const ts of [8.64e15 + 1, Date.UTC(2100, 0, 1), Date.now() + 10 * 60_000, Date.now() - 30 * DAY, 1e300]) {
      const r = await api("POST", "/api/v1/results", { token, body: { results: [result(mon, loc), result(mon, loc, { ts })] } });
      expect(r.status, `ts ${ts}: ${JSON.stringify(r.body)}`).toBe(400);
      expect([...new Set(paths(r.body))]).toEqual(["results[1].ts"]);
    }
    expect(await tableCount("ingested_results", "monitor = ?1", mon)).toBe(0);
    await readsAnswer(mon);
    // A time a few seconds ahead (clock skew) is fine, and so is one from yesterday (an agent's backlog).
    const ok = await api("POST", "/api/v1/results", {
      token,
      body: { results: [result(mon, loc, { ts: Date.now() + 5000 }), result(mon, loc, { ts: Date.now() - DAY })] },
    });
    expect(ok.status).toBe(202);
    await readsAnswer(mon);
  });

  it("refuses latencies, counts and sizes past their bounds, naming each", async () => {
    const r = await api("POST", "/api/v1/results", {
      token,
      body: {
        backlog: 1e12,
        results: [
          result(mon, loc, { latency_ms: 1e308 }),
          result(mon, loc, { ok: false, latency_ms: null, error: { kind: "other", message: "x\uD800y" } }),
        ],
      },
    });
    expect(r.status).toBe(400);
    expect(paths(r.body).sort()).toEqual(["backlog", "results[0].latency_ms", "results[1].error.message"]);
  });

  it("keeps one agent's result when another agent sends the same id", async () => {
    const other = await register(uid("ag"), loc);
    const shared = result(mon, loc);
    expect((await api("POST", "/api/v1/results", { token, body: { results: [shared] } })).body).toMatchObject({
      accepted: 1,
      duplicates: 0,
    });
    expect((await api("POST", "/api/v1/results", { token: other, body: { results: [shared] } })).body).toMatchObject({
      accepted: 1,
      duplicates: 0,
    });
    // The same agent sending it again is a duplicate, as before.
    expect((await api("POST", "/api/v1/results", { token: other, body: { results: [shared] } })).body).toMatchObject({
      accepted: 0,
      duplicates: 1,
    });
    const checks = (await api("GET", `/api/v1/monitors/${mon}/checks?limit=1000`)).body.checks.filter(
      (c: { id: string }) => c.id === shared.id,
    );
    expect(checks).toHaveLength(2);
    expect(new Set(checks.map((c: { agent: string }) => c.agent)).size).toBe(2);
  });
});

describe("maintenance windows and query times", () => {
  it("refuses a window ending past the range, and every read of windows keeps answering", async () => {
    const now = Date.now();
    for (const ends_at of [8.64e15 + 1, "275760-09-13T00:00:00.001Z", "9999-12-31T23:59:59Z", now + 20 * 366 * DAY]) {
      const r = await api("POST", "/api/v1/maintenance", { body: { id: uid("mw"), name: "w", kind: "once", starts_at: now, ends_at } });
      expect(r.status, String(ends_at)).toBe(400);
      expect(paths(r.body)).toContain("ends_at");
    }
    expect((await api("GET", "/api/v1/maintenance")).status).toBe(200);
  });

  it("refuses query times outside the range, naming the field", async () => {
    const id = uid("q");
    await api("POST", "/api/v1/monitors", { body: httpMonitor(id) });
    const r = await api("GET", `/api/v1/monitors/${id}/uptime?to=${8.64e15 + 1}`);
    expect(r.status).toBe(400);
    expect(paths(r.body)).toEqual(["to"]);
  });
});

describe("monitor input", () => {
  it("refuses control characters, bidi overrides and lone surrogates in names, groups and tags", async () => {
    for (const [field, value, path] of [
      ["name", "db\u0007", "name"],
      ["name", "pay\u202Elap.exe", "name"],
      ["name", "half \uD83D", "name"],
      ["group", "ops\u0085", "group"],
      ["tags", { team: "a\u0000b" }, "tags.team"],
    ] as const) {
      const r = await api("POST", "/api/v1/monitors", { body: httpMonitor(uid("t"), { [field]: value }) });
      expect(r.status, `${field} ${JSON.stringify(value)}`).toBe(400);
      expect(paths(r.body)).toEqual([path]);
      expect(r.body.error.message).toMatch(/invalid/);
    }
    // Emoji and accents are text.
    expect((await api("POST", "/api/v1/monitors", { body: httpMonitor(uid("t"), { name: "Café ☕ 🚀" }) })).status).toBe(201);
  });

  it("refuses header values no HTTP client can send, at create rather than at every check", async () => {
    for (const value of ["a\r\nInjected: 1", "café", "x\u0000"]) {
      const r = await api("POST", "/api/v1/monitors", { body: httpMonitor(uid("h"), { http: { headers: { "X-Token": value } } }) });
      expect(r.status).toBe(400);
      expect(paths(r.body)).toEqual(["http.headers.X-Token"]);
    }
  });

  it("answers 415 to a JSON body sent as another type, changing nothing", async () => {
    const id = uid("ct");
    for (const type of ["text/plain", "application/x-www-form-urlencoded", ""]) {
      const r = await api("POST", "/api/v1/monitors", { raw: JSON.stringify(httpMonitor(id)), headers: { "content-type": type } });
      expect(r.status, type).toBe(415);
      expect(r.body.error.code).toBe("unsupported_media_type");
    }
    expect((await api("GET", `/api/v1/monitors/${id}`)).status).toBe(404);
    expect(
      (
        await api("POST", "/api/v1/monitors", {
          raw: JSON.stringify(httpMonitor(id)),
          headers: { "content-type": "application/json; charset=utf-8" },
        })
      ).status,
    ).toBe(201);
  });

  it("refuses a PATCH nested deeper than 32 levels without touching the monitor", async () => {
    const id = uid("deep");
    const before = (await api("POST", "/api/v1/monitors", { body: httpMonitor(id) })).body;
    // 10,000 levels in 50 KB: within the body limit, and deep enough to overflow a recursive merge.
    const deep = `{"tags":${'{"a":'.repeat(10_000)}1${"}".repeat(10_001)}`;
    const r = await api("PATCH", `/api/v1/monitors/${id}`, { raw: deep });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("invalid_json");
    expect((await api("GET", `/api/v1/monitors/${id}`)).body).toEqual(before);
  });

  it("a PATCH answers the view of what it stored, even over a stored time no Date can hold (never 500 after a write)", async () => {
    const id = uid("view");
    await api("POST", "/api/v1/monitors", { body: httpMonitor(id) });
    // A value written before times were bounded: formatting it must not throw.
    await env.DB.prepare("UPDATE state_packs SET body = json_set(body, '$.members.' || json_quote(?1) || '.state.last_check_at', ?2)")
      .bind(id, 8.64e15 + 1)
      .run();
    const renamed = await api("PATCH", `/api/v1/monitors/${id}`, { body: { name: "Renamed" } });
    expect(renamed.status).toBe(200);
    expect(renamed.body.state.last_check_at).toBeNull();
    const paused = await api("PATCH", `/api/v1/monitors/${id}`, { body: { enabled: false, name: "Paused" } });
    expect(paused.status).toBe(200);
    expect(paused.body).toEqual((await api("GET", `/api/v1/monitors/${id}`)).body);
    expect(paused.body.state.status).toBe("paused");
  });
});

describe("a monitor deleted and created again under the same id", () => {
  it("starts with an empty history", async () => {
    const loc = uid("re");
    const token = await register(uid("ag"), loc);
    const id = uid("again");
    const body = { id, kind: "tcp", target: "127.0.0.1:5432", interval_s: 10, locations: [loc] };
    expect((await api("POST", "/api/v1/monitors", { body })).status).toBe(201);
    const old = [
      result(id, loc, { ts: Date.now() - 60_000 }),
      result(id, loc, { ok: false, latency_ms: null, error: { kind: "refused", message: "refused" } }),
    ];
    expect((await api("POST", "/api/v1/results", { token, body: { results: old } })).status).toBe(202);
    expect((await api("GET", `/api/v1/monitors/${id}/checks`)).body.checks).toHaveLength(2);

    expect((await api("DELETE", `/api/v1/monitors/${id}`)).status).toBe(204);
    // Created again ten minutes later (as the database sees it), with a late result of the old monitor arriving after.
    expect((await api("POST", "/api/v1/monitors", { body })).status).toBe(201);
    await env.DB.prepare("UPDATE monitors SET created_at = created_at + 600000 WHERE id = ?1").bind(id).run();
    const late = await api("POST", "/api/v1/results", { token, body: { results: [result(id, loc, { ts: Date.now() - 120_000 })] } });
    expect(late.body).toMatchObject({ accepted: 0, stale: 1 });

    expect((await api("GET", `/api/v1/monitors/${id}/checks`)).body.checks).toEqual([]);
    expect((await api("GET", `/api/v1/monitors/${id}/uptime`)).body).toMatchObject({ checks: 0, no_data: true });
    expect((await api("GET", `/api/v1/monitors/${id}/incidents`)).body.incidents).toEqual([]);
    const status = (await api("GET", "/api/v1/status")).body.monitors.find((m: { id: string }) => m.id === id);
    expect(status.uptime["24h"]).toBeNull();
    expect(await rolledUpChecks(env.DB, id)).toBe(0);
    expect(await storedPoints(env.DB, id)).toEqual([]);
  });
});

describe("caps", () => {
  it("refuses a monitor that would push one host past its checks-per-minute budget (409 naming the setting)", async () => {
    const host = `budget-${crypto.randomUUID().slice(0, 6)}.test`;
    // Agent monitors every 10 s: 6 checks a minute each; the default budget is 600 a minute per host.
    for (let i = 0; i < 100; i++) {
      const r = await api("POST", "/api/v1/monitors", { body: { id: uid("b"), kind: "tcp", target: `${host}:443`, interval_s: 10 } });
      expect(r.status).toBe(201);
    }
    const over = await api("POST", "/api/v1/monitors", {
      body: { id: uid("b"), kind: "tcp", target: `${host.toUpperCase()}:22`, interval_s: 10 },
    });
    expect(over.status).toBe(409);
    expect(over.body.error.issues[0].message).toContain("HOST_CHECKS_PER_MIN");
    // Another host is not affected.
    expect(
      (await api("POST", "/api/v1/monitors", { body: { id: uid("b"), kind: "tcp", target: "other.test:443", interval_s: 10 } })).status,
    ).toBe(201);
  });

  it("refuses request bodies that would send one host more than its bytes-per-minute budget", async () => {
    const host = `bytes-${crypto.randomUUID().slice(0, 6)}.test`;
    const big = "x".repeat(60_000);
    let refused: any = null;
    for (let i = 0; i < 40 && !refused; i++) {
      const r = await api("POST", "/api/v1/monitors", {
        body: httpMonitor(uid("p"), { target: `https://${host}/`, http: { method: "POST", body: big } }),
      });
      if (r.status === 409) refused = r.body;
      else expect(r.status).toBe(201);
    }
    // 1 MiB a minute at 60 KB a minute each: the 18th is refused.
    expect(refused?.error.issues[0]).toMatchObject({ path: "http.body" });
  });
});

describe("tcp expect patterns", () => {
  it("compiles expect_regex at create with the agent's linear-time engine, naming the problem", async () => {
    const tcp = (expect: string) => ({
      id: uid("re"),
      kind: "tcp",
      target: "127.0.0.1:22",
      interval_s: 10,
      tcp: { expect, expect_regex: true },
    });
    for (const [pattern, message] of [
      ["[a-z", /missing closing \]/],
      ["(a)\\1", /backreferences are not supported/],
      ["foo(?=bar)", /lookahead/],
    ] as const) {
      const r = await api("POST", "/api/v1/monitors", { body: tcp(pattern) });
      expect(r.status, pattern).toBe(400);
      expect(paths(r.body)).toEqual(["tcp.expect"]);
      expect(r.body.error.issues[0].message).toMatch(message);
    }
    expect((await api("POST", "/api/v1/monitors", { body: tcp("^SSH-2\\.0-OpenSSH_\\d+") })).status).toBe(201);
    // The same text as a plain substring is fine.
    const plain = { id: uid("re"), kind: "tcp", target: "127.0.0.1:22", interval_s: 10, tcp: { expect: "[a-z", expect_regex: false } };
    expect((await api("POST", "/api/v1/monitors", { body: plain })).status).toBe(201);
  });
});

describe("caps on what is stored", () => {
  /** The Worker with some settings changed, on the same D1. */
  async function call(vars: Record<string, string>, method: string, path: string, body: unknown) {
    const app = createApp();
    const req = new Request(`http://worker.test${path}`, {
      method,
      headers: { authorization: `Bearer ${env.ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const res = await app.fetch(req, { ...env, ...vars }, {
      waitUntil() {},
      passThroughOnException() {},
      props: {},
    } as unknown as ExecutionContext);
    return { status: res.status, body: (await res.json()) as any };
  }
  const count = async (sql: string) => (await env.DB.prepare(sql).first<{ n: number }>())!.n;

  it("answers 409 naming the setting once a cap is reached, and stores nothing more", async () => {
    const now = Date.now();
    const cases = [
      ["MAX_MONITORS", "SELECT COUNT(*) AS n FROM monitors", "/api/v1/monitors", () => httpMonitor(uid("cap"))],
      ["MAX_TOKENS", "SELECT COUNT(*) AS n FROM api_tokens WHERE role != 'agent'", "/api/v1/tokens", () => ({ name: "t", role: "viewer" })],
      ["MAX_AGENTS", "SELECT COUNT(*) AS n FROM agents", "/api/v1/agents", () => ({ id: uid("cap"), location: "dc1" })],
      [
        "MAX_MAINTENANCE_WINDOWS",
        "SELECT COUNT(*) AS n FROM maintenance_windows",
        "/api/v1/maintenance",
        () => ({ id: uid("cap"), name: "w", kind: "once", starts_at: now, ends_at: now + 1000 }),
      ],
      [
        "MAX_CHANNELS",
        "SELECT COUNT(*) AS n FROM channels",
        "/api/v1/channels",
        () => ({ id: uid("cap"), kind: "ntfy", url: "https://ntfy.example.test/alerts" }),
      ],
    ] as const;
    for (const [setting, sql, path, body] of cases) {
      const vars = { [setting]: String((await count(sql)) + 1) };
      expect((await call(vars, "POST", path, body())).status, setting).toBe(201);
      const full = await call(vars, "POST", path, body());
      expect(full.status, setting).toBe(409);
      expect(full.body.error.issues[0].message).toContain(setting);
      expect(await count(sql)).toBe(Number(vars[setting]));
    }
  });
});

describe("found by the fuzz test", () => {
  it("a channel PATCH with a URL that does not parse and an over-long name is a 400 naming both, not a 500", async () => {
    const id = uid("ch");
    expect((await api("POST", "/api/v1/channels", { body: { id, kind: "ntfy", url: "https://ntfy.example.test/alerts" } })).status).toBe(
      201,
    );
    const r = await api("PATCH", `/api/v1/channels/${id}`, { body: { name: "x".repeat(250), url: "<script>alert(1)</script>" } });
    expect(r.status).toBe(400);
    expect(paths(r.body).sort()).toEqual(["name", "url"]);
  });
});
