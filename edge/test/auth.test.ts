// Every route × every role: who is let in, who gets 401, who gets 403.
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN, agentToken, api, httpMonitor, tokenFor } from "./helpers.ts";

type Role = "none" | "bad" | "agent" | "status" | "viewer" | "editor" | "admin";
const ROLES: Role[] = ["none", "bad", "agent", "status", "viewer", "editor", "admin"];
const RANK = { status: 0, viewer: 1, editor: 2, admin: 3 } as const;

let tokens: Record<Role, string | null>;

beforeAll(async () => {
  tokens = {
    none: null,
    bad: "ium_this-token-does-not-exist",
    agent: await agentToken(),
    status: await tokenFor("status"),
    viewer: await tokenFor("viewer"),
    editor: await tokenFor("editor"),
    admin: await tokenFor("admin"),
  };
});

let n = 0;
const uniq = () => `m${++n}-${crypto.randomUUID().slice(0, 6)}`;
async function seeded() {
  const id = uniq();
  expect((await api("POST", "/api/v1/monitors", { body: httpMonitor(id) })).status).toBe(201);
  return id;
}

type Route = { name: string; need: keyof typeof RANK | "agent"; ok: number; call: (token: string | null) => Promise<{ status: number }> };
const routes: Route[] = [
  { name: "GET /api/v1/monitors", need: "viewer", ok: 200, call: (t) => api("GET", "/api/v1/monitors", { token: t }) },
  {
    name: "POST /api/v1/monitors",
    need: "editor",
    ok: 201,
    call: (t) => api("POST", "/api/v1/monitors", { token: t, body: httpMonitor(uniq()) }),
  },
  {
    name: "GET /api/v1/monitors/:id",
    need: "viewer",
    ok: 200,
    call: async (t) => api("GET", `/api/v1/monitors/${await seeded()}`, { token: t }),
  },
  {
    name: "PATCH /api/v1/monitors/:id",
    need: "editor",
    ok: 200,
    call: async (t) => api("PATCH", `/api/v1/monitors/${await seeded()}`, { token: t, body: { name: "renamed" } }),
  },
  {
    name: "DELETE /api/v1/monitors/:id",
    need: "editor",
    ok: 204,
    call: async (t) => api("DELETE", `/api/v1/monitors/${await seeded()}`, { token: t }),
  },
  {
    name: "POST /api/v1/tokens",
    need: "admin",
    ok: 201,
    call: (t) => api("POST", "/api/v1/tokens", { token: t, body: { name: "x", role: "viewer" } }),
  },
  { name: "GET /api/v1/tokens", need: "admin", ok: 200, call: (t) => api("GET", "/api/v1/tokens", { token: t }) },
  {
    name: "POST /api/v1/tokens/:id/rotate",
    need: "admin",
    ok: 200,
    call: async (t) => {
      const made = await api("POST", "/api/v1/tokens", { body: { name: "rolled", role: "viewer" } });
      return api("POST", `/api/v1/tokens/${made.body.id}/rotate`, { token: t, body: { grace_s: 0 } });
    },
  },
  {
    name: "DELETE /api/v1/tokens/:id",
    need: "admin",
    ok: 204,
    call: async (t) => {
      const made = await api("POST", "/api/v1/tokens", { body: { name: "victim", role: "viewer" } });
      return api("DELETE", `/api/v1/tokens/${made.body.id}`, { token: t });
    },
  },
  {
    name: "POST /api/v1/agents",
    need: "admin",
    ok: 201,
    call: (t) => api("POST", "/api/v1/agents", { token: t, body: { id: uniq(), location: "dc9" } }),
  },
  { name: "GET /api/v1/agents", need: "admin", ok: 200, call: (t) => api("GET", "/api/v1/agents", { token: t }) },
  {
    name: "GET /api/v1/monitors/:id/checks",
    need: "viewer",
    ok: 200,
    call: async (t) => api("GET", `/api/v1/monitors/${await seeded()}/checks`, { token: t }),
  },
  {
    name: "GET /api/v1/monitors/:id/uptime",
    need: "viewer",
    ok: 200,
    call: async (t) => api("GET", `/api/v1/monitors/${await seeded()}/uptime`, { token: t }),
  },
  { name: "GET /api/v1/status", need: "status", ok: 200, call: (t) => api("GET", "/api/v1/status", { token: t }) },
  { name: "GET /api/v1/incidents", need: "viewer", ok: 200, call: (t) => api("GET", "/api/v1/incidents", { token: t }) },
  {
    name: "GET /api/v1/monitors/:id/incidents",
    need: "viewer",
    ok: 200,
    call: async (t) => api("GET", `/api/v1/monitors/${await seeded()}/incidents`, { token: t }),
  },
  { name: "GET /api/v1/maintenance", need: "viewer", ok: 200, call: (t) => api("GET", "/api/v1/maintenance", { token: t }) },
  {
    name: "POST /api/v1/maintenance",
    need: "editor",
    ok: 201,
    call: (t) =>
      api("POST", "/api/v1/maintenance", {
        token: t,
        body: { id: uniq(), name: "w", kind: "once", starts_at: Date.now(), ends_at: Date.now() + 1000 },
      }),
  },
  { name: "GET /api/v1/channels", need: "admin", ok: 200, call: (t) => api("GET", "/api/v1/channels", { token: t }) },
  {
    name: "POST /api/v1/channels",
    need: "admin",
    ok: 201,
    call: (t) =>
      api("POST", "/api/v1/channels", { token: t, body: { id: uniq(), name: "c", kind: "webhook", url: "https://hooks.example.test/x" } }),
  },
  { name: "GET /api/v1/notifications", need: "admin", ok: 200, call: (t) => api("GET", "/api/v1/notifications", { token: t }) },
  { name: "GET /metrics", need: "status", ok: 200, call: (t) => api("GET", "/metrics", { token: t }) },
  {
    name: "GET /api/v1/agents/me/assignments",
    need: "agent",
    ok: 200,
    call: (t) => api("GET", "/api/v1/agents/me/assignments", { token: t }),
  },
  {
    name: "POST /api/v1/results",
    need: "agent",
    ok: 202,
    call: (t) => api("POST", "/api/v1/results", { token: t, body: { results: [] } }),
  },
];

describe.each(routes)("$name", (route) => {
  it.each(ROLES)("as %s", async (role) => {
    const res = await route.call(tokens[role]);
    const allowed = route.need === "agent" ? role === "agent" : role in RANK && RANK[role as keyof typeof RANK] >= RANK[route.need];
    const expected = allowed ? route.ok : role === "none" || role === "bad" ? 401 : 403;
    expect(res.status, JSON.stringify(res)).toBe(expected);
    if (expected === 401 || expected === 403) {
      const body = (res as { body?: any }).body;
      expect(body.error.code).toBe(expected === 401 ? "unauthorized" : "forbidden");
    }
  });
});

describe("public endpoints", () => {
  it.each(["/healthz", "/readyz"])("%s needs no token", async (path) => {
    const res = await api("GET", path, { token: null });
    expect(res.status).toBe(200);
  });
});

describe("tokens", () => {
  it("shows the secret once, lists without it, and revokes at once", async () => {
    const made = await api("POST", "/api/v1/tokens", { body: { name: "ci reader", role: "viewer" } });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ name: "ci reader", role: "viewer" });
    expect(made.body.token).toMatch(/^ium_[A-Za-z0-9_-]{43}$/);
    expect((await api("GET", "/api/v1/monitors", { token: made.body.token })).status).toBe(200);

    const list = await api("GET", "/api/v1/tokens");
    const entry = list.body.tokens.find((t: any) => t.id === made.body.id);
    expect(entry).toMatchObject({ id: made.body.id, name: "ci reader", role: "viewer" });
    expect(JSON.stringify(list.body)).not.toContain(made.body.token);
    expect(Object.keys(entry).sort()).toEqual([
      "created_at",
      "expires_at",
      "id",
      "last_used_at",
      "name",
      "previous_expires_at",
      "role",
      "rotated_at",
    ]);

    expect((await api("DELETE", `/api/v1/tokens/${made.body.id}`)).status).toBe(204);
    const after = await api("GET", "/api/v1/monitors", { token: made.body.token });
    expect(after.status).toBe(401);
    expect((await api("DELETE", `/api/v1/tokens/${made.body.id}`)).status).toBe(404);
  });

  it("stores only a hash of the secret", async () => {
    const { env } = await import("cloudflare:test");
    const made = await api("POST", "/api/v1/tokens", { body: { name: "hashed", role: "editor" } });
    const row = await env.DB.prepare("SELECT * FROM api_tokens WHERE id = ?").bind(made.body.id).first<Record<string, unknown>>();
    expect(JSON.stringify(row)).not.toContain(made.body.token);
    expect(row!.secret_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses agent tokens, unknown roles and unknown keys with every problem named", async () => {
    const r = await api("POST", "/api/v1/tokens", { body: { name: "", role: "agent", extra: true } });
    expect(r.status).toBe(400);
    expect(r.body.error.issues.map((i: any) => i.path).sort()).toEqual(["extra", "name", "role"]);
  });

  it("rejects a malformed Authorization header with 401", async () => {
    const r = await api("GET", "/api/v1/monitors", { token: null, headers: { authorization: `Basic ${btoa("a:b")}` } });
    expect(r.status).toBe(401);
    expect(r.headers.get("www-authenticate")).toContain("Bearer");
  });

  it("accepts the bootstrap ADMIN_TOKEN", async () => {
    expect((await api("GET", "/api/v1/tokens", { token: ADMIN })).status).toBe(200);
  });
});
