// The audit log against the real Worker: an entry for every mutating route (driven by the route table), refused
// changes recorded, the admin's filtered and paged read, the daily trim, and no secret in any stored row.
import { env } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { AUDIT_ACTIONS, MUTATING_METHODS } from "../src/api/audit-actions.ts";
import { createApp } from "../src/api/app.ts";
import { parseConfig } from "../src/config/config.ts";
import type { Env } from "../src/config/env.ts";
import { runTrim } from "../src/db/retention.ts";
import type { AuditEntry } from "../src/db/audit.ts";
import { createLogger } from "../src/observability/log.ts";
import { ADMIN, api, agentResult, agentToken, httpMonitor } from "./helpers.ts";

const receiver = inject("receiverUrl");
const db = env.DB;
const uid = (p: string) => `${p}-${crypto.randomUUID().slice(0, 8)}`;
const DAY = 86_400_000;

type Tok = { id: string; name: string; role: string; token: string };

async function newToken(role: "admin" | "editor" | "viewer"): Promise<Tok> {
  const name = uid(`audit-${role}`);
  const r = await api("POST", "/api/v1/tokens", { body: { name, role } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { id: r.body.id, name, role, token: r.body.token };
}

type Row = AuditEntry & { id: number };

const rowsFor = async (requestId: string): Promise<Row[]> =>
  (await db.prepare("SELECT * FROM audit_log WHERE request_id = ?1").bind(requestId).all<Row>()).results;

const maintenanceWindow = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: "Patching",
  kind: "weekly",
  days: ["sat"],
  start: "02:00",
  duration_min: 60,
  monitors: ["no-such-monitor"],
  ...extra,
});

const webhook = (id: string) => ({ id, kind: "webhook", url: `${receiver}/hook/${id}` });

/** How to call each audited route: setup with the bootstrap token, then the call; the target id it must record. */
type Fixture = (
  as: Tok,
) => Promise<{ method: string; path: string; body?: unknown; target: string | null; fields?: string[]; detail?: Record<string, unknown> }>;

const FIXTURES: Record<string, { role: "admin" | "editor"; call: Fixture }> = {
  "POST /api/v1/monitors": {
    role: "editor",
    call: async () => {
      const id = uid("m");
      return {
        method: "POST",
        path: "/api/v1/monitors",
        body: httpMonitor(id),
        target: id,
        fields: ["id", "kind", "name", "target"],
        detail: { kind: "http", runner: "edge" },
      };
    },
  },
  "PATCH /api/v1/monitors/:id": {
    role: "editor",
    call: async () => {
      const id = uid("m");
      await api("POST", "/api/v1/monitors", { body: httpMonitor(id) });
      return {
        method: "PATCH",
        path: `/api/v1/monitors/${id}`,
        body: { interval_s: 120, name: "Renamed" },
        target: id,
        fields: ["interval_s", "name"],
      };
    },
  },
  "DELETE /api/v1/monitors/:id": {
    role: "editor",
    call: async () => {
      const id = uid("m");
      await api("POST", "/api/v1/monitors", { body: httpMonitor(id) });
      return { method: "DELETE", path: `/api/v1/monitors/${id}`, target: id };
    },
  },
  "POST /api/v1/maintenance": {
    role: "editor",
    call: async () => {
      const id = uid("w");
      const body = maintenanceWindow(id);
      return { method: "POST", path: "/api/v1/maintenance", body, target: id, fields: Object.keys(body).sort() };
    },
  },
  "PUT /api/v1/maintenance/:id": {
    role: "editor",
    call: async () => {
      const id = uid("w");
      await api("POST", "/api/v1/maintenance", { body: maintenanceWindow(id) });
      const body = maintenanceWindow(id, { duration_min: 30 });
      return { method: "PUT", path: `/api/v1/maintenance/${id}`, body, target: id, fields: Object.keys(body).sort() };
    },
  },
  "DELETE /api/v1/maintenance/:id": {
    role: "editor",
    call: async () => {
      const id = uid("w");
      await api("POST", "/api/v1/maintenance", { body: maintenanceWindow(id) });
      return { method: "DELETE", path: `/api/v1/maintenance/${id}`, target: id };
    },
  },
  "POST /api/v1/tokens": {
    role: "admin",
    call: async () => {
      const name = uid("new");
      return {
        method: "POST",
        path: "/api/v1/tokens",
        body: { name, role: "viewer" },
        target: null, // the new token's id, from the answer
        fields: ["name", "role"],
        detail: { name, role: "viewer" },
      };
    },
  },
  "DELETE /api/v1/tokens/:id": {
    role: "admin",
    call: async () => {
      const t = await newToken("viewer");
      return { method: "DELETE", path: `/api/v1/tokens/${t.id}`, target: t.id };
    },
  },
  "POST /api/v1/tokens/:id/rotate": {
    role: "admin",
    call: async () => {
      const t = await newToken("viewer");
      return {
        method: "POST",
        path: `/api/v1/tokens/${t.id}/rotate`,
        body: { grace_s: 60 },
        target: t.id,
        fields: ["grace_s"],
        detail: { previous_expires_at: expect.any(String) },
      };
    },
  },
  "POST /api/v1/agents": {
    role: "admin",
    call: async () => {
      const id = uid("agent");
      return {
        method: "POST",
        path: "/api/v1/agents",
        body: { id, location: "dc9" },
        target: id,
        fields: ["id", "location"],
        detail: { location: "dc9", token_id: expect.stringMatching(/^tok_/) },
      };
    },
  },
  "POST /api/v1/channels": {
    role: "admin",
    call: async () => {
      const id = uid("ch");
      return {
        method: "POST",
        path: "/api/v1/channels",
        body: webhook(id),
        target: id,
        fields: ["id", "kind", "url"],
        detail: { kind: "webhook" },
      };
    },
  },
  "PATCH /api/v1/channels/:id": {
    role: "admin",
    call: async () => {
      const id = uid("ch");
      await api("POST", "/api/v1/channels", { body: webhook(id) });
      return { method: "PATCH", path: `/api/v1/channels/${id}`, body: { events: ["down"] }, target: id, fields: ["events"] };
    },
  },
  "DELETE /api/v1/channels/:id": {
    role: "admin",
    call: async () => {
      const id = uid("ch");
      await api("POST", "/api/v1/channels", { body: webhook(id) });
      return { method: "DELETE", path: `/api/v1/channels/${id}`, target: id };
    },
  },
  "POST /api/v1/channels/:id/rotate-secret": {
    role: "admin",
    call: async () => {
      const id = uid("ch");
      await api("POST", "/api/v1/channels", { body: webhook(id) });
      return { method: "POST", path: `/api/v1/channels/${id}/rotate-secret`, body: { grace_s: 60 }, target: id, fields: ["grace_s"] };
    },
  },
  "POST /api/v1/monitors/:id/rotate-ping-key": {
    role: "editor",
    call: async () => {
      const id = uid("hb");
      await api("POST", "/api/v1/monitors", { body: { id, kind: "heartbeat", interval_s: 3600 } });
      return { method: "POST", path: `/api/v1/monitors/${id}/rotate-ping-key`, body: { grace_s: 60 }, target: id, fields: ["grace_s"] };
    },
  },
  "POST /api/v1/channels/:id/test": {
    role: "admin",
    call: async () => {
      const id = uid("ch");
      await api("POST", "/api/v1/channels", { body: webhook(id) });
      return { method: "POST", path: `/api/v1/channels/${id}/test`, target: id, detail: { delivered: true } };
    },
  },
};

const audited = Object.entries(AUDIT_ACTIONS).flatMap(([route, rule]) => ("action" in rule ? [[route, rule] as const] : []));

describe("the route table", () => {
  it("lists every mutating route under /api/v1, and only routes that exist", () => {
    const routes = new Set(
      createApp()
        .routes.filter((r) => MUTATING_METHODS.includes(r.method) && r.path.startsWith("/api/v1/"))
        .map((r) => `${r.method} ${r.path}`),
    );
    expect(routes.size).toBeGreaterThan(10);
    expect(
      [...routes].filter((r) => !(r in AUDIT_ACTIONS)),
      "mutating routes without an entry in AUDIT_ACTIONS (api/audit-actions.ts)",
    ).toEqual([]);
    expect(
      Object.keys(AUDIT_ACTIONS).filter((r) => !routes.has(r)),
      "entries of AUDIT_ACTIONS that name no route",
    ).toEqual([]);
  });

  it("names actions <target>.<verb>, each once", () => {
    const actions = audited.map(([, r]) => r.action);
    expect(new Set(actions).size).toBe(actions.length);
    for (const [route, r] of audited) expect(r.action, route).toMatch(new RegExp(`^${r.target}\\.[a-z_]+$`));
  });
});

describe("an entry for every change", () => {
  it("records each audited route with its action, target, token, role, request id and source address", async () => {
    const tokens = { admin: await newToken("admin"), editor: await newToken("editor") };
    expect(
      audited.filter(([route]) => !FIXTURES[route]).map(([route]) => route),
      "audited routes without a fixture here",
    ).toEqual([]);
    for (const [route, rule] of audited) {
      const f = FIXTURES[route]!;
      const as = tokens[f.role];
      const call = await f.call(as);
      const requestId = uid("req");
      const address = `203.0.113.${audited.findIndex(([r]) => r === route) + 1}`;
      const r = await api(call.method, call.path, {
        token: as.token,
        body: call.body,
        headers: { "x-request-id": requestId, "cf-connecting-ip": address },
      });
      expect(r.status, `${route}: ${JSON.stringify(r.body)}`).toBeLessThan(300);
      const rows = await rowsFor(requestId);
      expect(rows, route).toHaveLength(1);
      const row = rows[0]!;
      expect(row, route).toMatchObject({
        token_id: as.id,
        token_name: as.name,
        role: as.role,
        action: rule.action,
        target_type: rule.target,
        target_id: call.target ?? r.body.id,
        request_id: requestId,
        source_address: address,
        status: r.status,
      });
      expect(row.target_id, route).toBeTruthy();
      expect(Math.abs(row.at - Date.now()), route).toBeLessThan(60_000);
      expect(JSON.parse(row.detail), route).toEqual({ ...(call.fields ? { fields: call.fields } : {}), ...(call.detail ?? {}) });
      expect(r.headers.get("x-request-id")).toBe(requestId);
    }
  });

  it("records the bootstrap admin with no token id, and the answer's request id when the caller sent none", async () => {
    const id = uid("m");
    const r = await api("POST", "/api/v1/monitors", { body: httpMonitor(id) });
    expect(r.status).toBe(201);
    const requestId = r.headers.get("x-request-id")!;
    expect(requestId).toBeTruthy();
    expect(await rowsFor(requestId)).toMatchObject([
      { token_id: null, token_name: "bootstrap admin", role: "admin", action: "monitor.create", target_id: id, source_address: null },
    ]);
  });

  it("records a change refused for the token's role (403), and nothing for 401, 400, 404, reads or ingest", async () => {
    const viewer = await newToken("viewer");
    const editor = await newToken("editor");
    const refused = uid("req");
    const r = await api("POST", "/api/v1/monitors", {
      token: viewer.token,
      body: httpMonitor(uid("m")),
      headers: { "x-request-id": refused },
    });
    expect(r.status).toBe(403);
    expect(await rowsFor(refused)).toMatchObject([
      { token_id: viewer.id, role: "viewer", action: "monitor.create", target_type: "monitor", target_id: null, status: 403, detail: "{}" },
    ]);
    const revoke = uid("req");
    expect((await api("DELETE", `/api/v1/tokens/${viewer.id}`, { token: editor.token, headers: { "x-request-id": revoke } })).status).toBe(
      403,
    );
    expect(await rowsFor(revoke)).toMatchObject([{ token_id: editor.id, action: "token.revoke", target_id: viewer.id, status: 403 }]);

    const agent = await agentToken(uid("agent"), "dc7");
    const monitor = uid("m");
    await api("POST", "/api/v1/monitors", { body: httpMonitor(monitor, { kind: "tcp", target: "127.0.0.1:5432", locations: ["dc7"] }) });
    const none: Array<[string, string, { token?: string | null; body?: unknown }, number]> = [
      ["POST", "/api/v1/monitors", { token: "ium_not-a-token" }, 401],
      ["POST", "/api/v1/monitors", { body: { id: "bad id" } }, 400],
      ["PATCH", "/api/v1/monitors/no-such-monitor", { body: { name: "x" } }, 404],
      ["DELETE", "/api/v1/no-such-route", {}, 404],
      ["GET", "/api/v1/monitors", {}, 200],
      ["GET", "/api/v1/agents/me/assignments", { token: agent }, 200],
      ["POST", "/api/v1/results", { token: agent, body: { version: "t", backlog: 0, results: [agentResult(monitor, "dc7")] } }, 202],
    ];
    for (const [method, path, opts, status] of none) {
      const requestId = uid("req");
      const res = await api(method, path, { ...opts, headers: { "x-request-id": requestId } });
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(status);
      expect(await rowsFor(requestId), `${method} ${path}`).toEqual([]);
    }
  });

  it("answers a change whose entry cannot be written, and counts the failure in /metrics", async () => {
    const failures = async () => Number(/^uptime_audit_write_failures_total (\d+)$/m.exec((await api("GET", "/metrics")).body)?.[1]);
    const before = await failures();
    expect(before).toBeGreaterThanOrEqual(0);
    await db.prepare("ALTER TABLE audit_log RENAME TO audit_log_away").run();
    try {
      const id = uid("m");
      expect((await api("POST", "/api/v1/monitors", { body: httpMonitor(id) })).status).toBe(201);
      expect((await api("GET", `/api/v1/monitors/${id}`)).status).toBe(200);
    } finally {
      await db.prepare("ALTER TABLE audit_log_away RENAME TO audit_log").run();
    }
    expect(await failures()).toBe(before + 1);
  });
});

describe("GET /api/v1/audit", () => {
  it("is for admins only", async () => {
    for (const role of ["editor", "viewer"] as const) {
      const r = await api("GET", "/api/v1/audit", { token: (await newToken(role)).token });
      expect(r.status, role).toBe(403);
      expect(r.body.error.code).toBe("forbidden");
    }
    expect((await api("GET", "/api/v1/audit", { token: null })).status).toBe(401);
    expect((await api("GET", "/api/v1/audit", { token: (await newToken("admin")).token })).status).toBe(200);
  });

  it("shows entries newest first, filtered by token, action, target and time", async () => {
    const editor = await newToken("editor");
    const id = uid("m");
    const requestId = uid("req");
    await api("POST", "/api/v1/monitors", {
      token: editor.token,
      body: httpMonitor(id),
      headers: { "x-request-id": requestId, "cf-connecting-ip": "2001:db8::7" },
    });
    await api("PATCH", `/api/v1/monitors/${id}`, { token: editor.token, body: { interval_s: 300 } });
    await api("DELETE", `/api/v1/monitors/${id}`, { token: editor.token });
    const mine = await api("GET", `/api/v1/audit?token_id=${editor.id}`);
    expect(mine.status).toBe(200);
    expect(mine.body.next_cursor).toBeNull();
    expect(mine.body.entries.map((e: any) => e.action)).toEqual(["monitor.delete", "monitor.update", "monitor.create"]);
    expect(mine.body.entries[2]).toEqual({
      id: expect.any(Number),
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      token_id: editor.id,
      token_name: editor.name,
      role: "editor",
      action: "monitor.create",
      target_type: "monitor",
      target_id: id,
      request_id: requestId,
      source_address: "2001:db8::7",
      status: 201,
      detail: { fields: ["id", "kind", "name", "target"], kind: "http", runner: "edge" },
    });
    const q = (s: string) => api("GET", `/api/v1/audit?token_id=${editor.id}&${s}`).then((r) => r.body.entries.map((e: any) => e.action));
    expect(await q("action=monitor.update")).toEqual(["monitor.update"]);
    expect(await q("action=monitor.")).toEqual(["monitor.delete", "monitor.update", "monitor.create"]);
    expect(await q("action=monitor")).toEqual(["monitor.delete", "monitor.update", "monitor.create"]);
    expect(await q("action=token.")).toEqual([]);
    expect(await q(`target=monitor:${id}`)).toEqual(["monitor.delete", "monitor.update", "monitor.create"]);
    expect(await q("target=monitor:someone-else")).toEqual([]);
    expect(await q("target=channel")).toEqual([]);
    const byTarget = await api("GET", `/api/v1/audit?target=monitor:${id}`);
    expect(byTarget.body.entries).toHaveLength(3);

    // Time windows, with rows of known times: from <= at < to, in ms or RFC 3339.
    const who = uid("tok");
    const T = Date.now() - 3 * DAY;
    await db.batch(
      [T - 1, T, T + 1].map((at, i) =>
        db
          .prepare(
            "INSERT INTO audit_log (at, token_id, token_name, role, action, target_type, target_id, request_id, status) VALUES (?1, ?2, 'x', 'admin', 'token.create', 'token', ?3, 'r', 201)",
          )
          .bind(at, who, `t${i}`),
      ),
    );
    const t = (s: string) => api("GET", `/api/v1/audit?token_id=${who}&${s}`).then((r) => r.body.entries.map((e: any) => e.target_id));
    expect(await t("")).toEqual(["t2", "t1", "t0"]);
    expect(await t(`from=${T}`)).toEqual(["t2", "t1"]);
    expect(await t(`to=${T}`)).toEqual(["t0"]);
    expect(await t(`from=${new Date(T).toISOString()}&to=${new Date(T + 1).toISOString()}`)).toEqual(["t1"]);

    // The bootstrap admin's entries: token_id=bootstrap.
    const boot = await api("GET", "/api/v1/audit?token_id=bootstrap&limit=1000");
    expect(boot.body.entries.length).toBeGreaterThan(0);
    for (const e of boot.body.entries) expect(e).toMatchObject({ token_id: null, token_name: "bootstrap admin" });
  });

  it("pages with an opaque cursor, through entries of the same millisecond, losing and repeating none", async () => {
    const who = uid("tok");
    const at = Date.now() - DAY;
    await db.batch(
      Array.from({ length: 7 }, (_, i) =>
        db
          .prepare(
            "INSERT INTO audit_log (at, token_id, token_name, role, action, target_type, target_id, request_id, status) VALUES (?1, ?2, 'x', 'editor', 'monitor.update', 'monitor', ?3, 'r', 200)",
          )
          .bind(i < 4 ? at : at + i, who, `m${i}`),
      ),
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: { status: number; body: any } = await api(
        "GET",
        `/api/v1/audit?token_id=${who}&limit=3${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(r.status).toBe(200);
      seen.push(...r.body.entries.map((e: any) => e.target_id));
      cursor = r.body.next_cursor;
      if (cursor) expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(["m6", "m5", "m4", "m3", "m2", "m1", "m0"]);
    const all = await api("GET", `/api/v1/audit?token_id=${who}&limit=7`);
    expect(all.body.next_cursor).toBeNull();
  });

  it("answers 400 naming each bad parameter", async () => {
    const cases: Array<[string, string, RegExp]> = [
      ["limit=0", "limit", /between 1 and 1000/],
      ["limit=1001", "limit", /between 1 and 1000/],
      ["limit=ten", "limit", /whole number/],
      ["action=monitor.explode", "action", /must be an action \(monitor\.create, .*\) or a resource \(monitor, /],
      ["target=planet:earth", "target", /<type>:<id>/],
      ["target=monitor:", "target", /<type>:<id>/],
      ["from=yesterday", "from", /epoch milliseconds or an RFC 3339/],
      ["from=2000-01-01T00:00:00Z", "from", /too old/],
      [`from=${Date.now()}&to=${Date.now() - 1000}`, "from", /before to/],
      ["cursor=not-a-cursor!", "cursor", /next_cursor/],
      [`cursor=${btoa('{"a":1}').replace(/=+$/, "")}`, "cursor", /next_cursor/],
      ["token_id=", "token_id", /empty/],
      ["colour=red", "colour", /not a known field/],
    ];
    for (const [query, path, message] of cases) {
      const r = await api("GET", `/api/v1/audit?${query}`);
      expect(r.status, query).toBe(400);
      expect(r.body.error.code, query).toBe("invalid_input");
      expect(r.body.error.issues, query).toEqual([{ path, message: expect.stringMatching(message) }]);
    }
  });
});

describe("retention", () => {
  it("the daily trim deletes entries older than RETENTION_AUDIT_DAYS (400 by default), and only those", async () => {
    const who = uid("tok");
    const NOW = Date.now();
    const put = (at: number, id: string) =>
      db
        .prepare(
          "INSERT INTO audit_log (at, token_id, token_name, role, action, target_type, target_id, request_id, status) VALUES (?1, ?2, 'x', 'admin', 'token.create', 'token', ?3, 'r', 201)",
        )
        .bind(at, who, id);
    const cutoff = NOW - 400 * DAY;
    await db.batch([put(cutoff - 1, "old"), put(cutoff, "at"), put(cutoff + 1, "young"), put(NOW - 2 * DAY, "recent")]);
    const left = async () =>
      (
        await db.prepare("SELECT target_id FROM audit_log WHERE token_id = ?1 ORDER BY at").bind(who).all<{ target_id: string }>()
      ).results.map((r) => r.target_id);
    const retention = (vars: Partial<Env> = {}) => {
      const r = parseConfig({ ...(env as unknown as Env), ...vars });
      if (!r.ok) throw new Error(JSON.stringify(r.issues));
      return r.config.retention;
    };
    const log = createLogger("error");
    const report = await runTrim(db, retention(), NOW, log);
    expect(report.skipped).not.toContain("audit_log");
    expect(report.deleted.audit_log).toBeGreaterThanOrEqual(1);
    expect(await left()).toEqual(["at", "young", "recent"]);
    await runTrim(db, retention({ RETENTION_AUDIT_DAYS: "1" }), NOW, log);
    expect(await left()).toEqual([]);
  });
});

describe("no secrets", () => {
  it("keeps no token, agent token, channel URL, webhook secret or header value in the audit log", async () => {
    const secrets: string[] = [];
    const token = await api("POST", "/api/v1/tokens", { body: { name: uid("ci"), role: "editor" } });
    secrets.push(token.body.token);
    const agent = await api("POST", "/api/v1/agents", { body: { id: uid("agent"), location: "dc8" } });
    secrets.push(agent.body.token);
    const hookSecret = `whsec_${btoa("s3cr3t-s3cr3t-s3cr3t-s3cr3t-0123")}`;
    const url = `${receiver}/hook/${uid("h")}?auth=tk_${crypto.randomUUID()}`;
    const channel = await api("POST", "/api/v1/channels", { body: { id: uid("ch"), kind: "webhook", url, secret: hookSecret } });
    expect(channel.status).toBe(201);
    secrets.push(hookSecret, url, new URL(url).searchParams.get("auth")!);
    const url2 = `${receiver}/hook/${uid("h")}?auth=tk_${crypto.randomUUID()}`;
    const hookSecret2 = `whsec_${btoa("an0ther-s3cr3t-an0ther-s3cr3t-45")}`;
    expect((await api("PATCH", `/api/v1/channels/${channel.body.id}`, { body: { url: url2, secret: hookSecret2 } })).status).toBe(200);
    secrets.push(url2, hookSecret2, new URL(url2).searchParams.get("auth")!);
    const rotatedHook = await api("POST", `/api/v1/channels/${channel.body.id}/rotate-secret`, { body: { grace_s: 60 } });
    expect(rotatedHook.status).toBe(200);
    secrets.push(rotatedHook.body.secret);
    const rotatedToken = await api("POST", `/api/v1/tokens/${token.body.id}/rotate`, { body: { grace_s: 60 } });
    expect(rotatedToken.status).toBe(200);
    secrets.push(rotatedToken.body.token);
    const ntfy = await api("POST", "/api/v1/channels", {
      body: { id: uid("nt"), kind: "ntfy", url: `${receiver}/topic-${crypto.randomUUID()}` },
    });
    secrets.push(ntfy.body.url);
    const routingKey = `pd_${crypto.randomUUID()}`;
    const pd = await api("POST", "/api/v1/channels", {
      body: { id: uid("pd"), kind: "pagerduty", url: `${receiver}/pd`, secret: routingKey },
    });
    expect(pd.status).toBe(201);
    expect((await api("PATCH", `/api/v1/channels/${pd.body.id}`, { body: { secret: `${routingKey}-2` } })).status).toBe(200);
    secrets.push(routingKey);
    const headerValue = `Bearer hv_${crypto.randomUUID()}`;
    const m = uid("m");
    expect(
      (
        await api("POST", "/api/v1/monitors", {
          token: token.body.token,
          body: httpMonitor(m, { http: { headers: { Authorization: headerValue } } }),
        })
      ).status,
    ).toBe(201);
    expect(
      (await api("PATCH", `/api/v1/monitors/${m}`, { token: token.body.token, body: { http: { body: "password=hunter2-xyz" } } })).status,
    ).toBe(200);
    secrets.push(headerValue, "hunter2-xyz");
    // A heartbeat's ping key, as created and as rotated: the URL is the credential.
    const hb = await api("POST", "/api/v1/monitors", { body: { id: uid("hb"), kind: "heartbeat", interval_s: 600 } });
    expect(hb.status).toBe(201);
    const rotatedPing = await api("POST", `/api/v1/monitors/${hb.body.id}/rotate-ping-key`, { body: { grace_s: 60 } });
    expect(rotatedPing.status).toBe(200);
    for (const u of [hb.body.ping_url, rotatedPing.body.ping_url]) secrets.push(u.split("/ping/")[1]);

    const rows = (await db.prepare("SELECT * FROM audit_log").all()).results;
    const stored = JSON.stringify(rows);
    expect(rows.length).toBeGreaterThanOrEqual(7);
    for (const s of secrets) expect(stored.includes(s), `the audit log holds a secret: ${s.slice(0, 12)}…`).toBe(false);
    expect(stored).not.toContain(ADMIN);
    // What it does hold of those changes: who, what, and the names of the fields.
    const channelRows = rows.filter((r: any) => r.target_id === channel.body.id);
    expect(channelRows.map((r: any) => [r.action, JSON.parse(r.detail)])).toEqual(
      expect.arrayContaining([
        ["channel.create", { fields: ["id", "kind", "secret", "url"], kind: "webhook" }],
        ["channel.update", { fields: ["secret", "url"] }],
        ["channel.rotate_secret", { fields: ["grace_s"] }],
      ]),
    );
  });
});
