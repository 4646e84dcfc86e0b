// The channels API: CRUD for admins, a webhook's secret shown once, every invalid input a 400
// naming its path, and POST /:id/test sending through the outbox to a real local receiver.
import { describe, expect, inject, it } from "vitest";
import { verifyWebhook } from "../src/alerts/channels/testdata.ts";
import { api, tokenFor } from "./helpers.ts";

const receiver = inject("receiverUrl");
const uid = (p: string) => `${p}-${crypto.randomUUID().slice(0, 8)}`;

async function received(hook: string): Promise<Array<{ headers: Record<string, string>; body: string; at: number }>> {
  return ((await (await fetch(`${receiver}/control/requests/${hook}`)).json()) as any).requests;
}
async function script(hook: string, answers: unknown[], then: unknown = { status: 200 }) {
  await fetch(`${receiver}/control/script/${hook}`, { method: "PUT", body: JSON.stringify({ answers, then }) });
}

describe("channels CRUD", () => {
  it("creates a webhook with a generated secret shown once, then reads, lists, patches and deletes it", async () => {
    const id = uid("ops-hook");
    const created = await api("POST", "/api/v1/channels", {
      body: { id, name: "Ops webhook", kind: "webhook", url: "https://hooks.example.net/uptime" },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe(`/api/v1/channels/${id}`);
    expect(created.body).toMatchObject({
      id,
      name: "Ops webhook",
      kind: "webhook",
      url: "https://hooks.example.net/uptime",
      monitors: [],
      events: ["down", "up", "degraded", "certificate", "reminder"],
      enabled: true,
      disabled_reason: null,
      secret_set: true,
    });
    const secret: string = created.body.secret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(atob(secret.slice(6))).toHaveLength(32);

    const got = await api("GET", `/api/v1/channels/${id}`);
    expect(got.status).toBe(200);
    // The URL is a credential too: shown once, then masked (its path is too short to show the last 4).
    const { secret: _shownOnce, ...rest } = created.body;
    expect(created.body.url_set).toBe(true);
    expect(got.body).toEqual({ ...rest, url: "https://hooks.example.net/…" });
    expect(JSON.stringify(got.body)).not.toContain(secret.slice(6));

    const list = await api("GET", "/api/v1/channels");
    expect(list.body.channels.find((c: any) => c.id === id)).toEqual({ ...rest, url: "https://hooks.example.net/…" });
    expect(JSON.stringify(list.body)).not.toContain(secret.slice(6));

    const patched = await api("PATCH", `/api/v1/channels/${id}`, { body: { name: null, monitors: ["api", "db"], events: ["down", "up"] } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: id, monitors: ["api", "db"], events: ["down", "up"], secret_set: true });
    expect(patched.body.secret).toBeUndefined();

    expect((await api("DELETE", `/api/v1/channels/${id}`)).status).toBe(204);
    expect((await api("GET", `/api/v1/channels/${id}`)).status).toBe(404);
    expect((await api("DELETE", `/api/v1/channels/${id}`)).status).toBe(404);
  });

  it("keeps a given webhook secret, and takes no secret for the other kinds", async () => {
    const secret = `whsec_${btoa("0123456789abcdef0123456789abcdef")}`;
    const hook = await api("POST", "/api/v1/channels", {
      body: { id: uid("w"), kind: "webhook", url: "https://hooks.example.net/a", secret },
    });
    expect(hook.body.secret).toBe(secret);
    for (const kind of ["slack", "discord", "teams", "ntfy"]) {
      const r = await api("POST", "/api/v1/channels", { body: { id: uid(kind), kind, url: "https://hooks.example.net/topic" } });
      expect(r.status, kind).toBe(201);
      expect(r.body.secret).toBeUndefined();
      expect(r.body.secret_set).toBe(false);
    }
  });

  it("answers 409 for a taken id, 404 for an unknown one, 403 below admin", async () => {
    const id = uid("dup");
    expect((await api("POST", "/api/v1/channels", { body: { id, kind: "slack", url: "https://hooks.example.net/a" } })).status).toBe(201);
    const again = await api("POST", "/api/v1/channels", { body: { id, kind: "discord", url: "https://hooks.example.net/b" } });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: "conflict", issues: [{ path: "id", message: "is already taken" }] });
    for (const [method, path] of [
      ["GET", "/api/v1/channels/nope"],
      ["PATCH", "/api/v1/channels/nope"],
      ["POST", "/api/v1/channels/nope/test"],
    ] as const) {
      const r = await api(method, path, method === "PATCH" ? { body: { enabled: false } } : {});
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.body.error.code).toBe("not_found");
    }
    const editor = await tokenFor("editor");
    expect((await api("GET", "/api/v1/channels", { token: editor })).status).toBe(403);
    expect(
      (await api("POST", "/api/v1/channels", { token: editor, body: { id: uid("e"), kind: "slack", url: "https://x.example.net/" } }))
        .status,
    ).toBe(403);
    expect((await api("GET", "/api/v1/channels", { token: null })).status).toBe(401);
  });

  it("answers 400 naming each problem", async () => {
    const cases: Array<[unknown, Array<{ path: string; message?: string | RegExp }>]> = [
      [
        { id: "x", kind: "pager", url: "https://a.example.net/" },
        [
          {
            path: "kind",
            message: 'must be one of "webhook", "slack", "discord", "teams", "ntfy", "pagerduty", "opsgenie", "telegram", "email"',
          },
        ],
      ],
      [{ id: "x", url: "https://a.example.net/" }, [{ path: "kind" }]],
      [
        { id: "bad id!", kind: "slack", url: "gopher://a.example.net/", events: ["down", "sideways"], monitors: ["a", "a"], colour: "red" },
        [
          { path: "colour", message: "is not a known field" },
          { path: "events[1]" },
          { path: "id" },
          { path: "monitors" },
          { path: "url", message: "must be an http:// or https:// URL" },
        ],
      ],
      [
        { id: "x", kind: "slack", url: "https://a.example.net/", secret: "whsec_abc" },
        [{ path: "secret", message: "is not a known field" }],
      ],
      [{ id: "x", kind: "webhook", url: "https://a.example.net/", secret: "whsec_abc" }, [{ path: "secret", message: /24 to 64 bytes/ }]],
      [
        { id: "x", kind: "ntfy", url: "https://ntfy.example.net" },
        [{ path: "url", message: "must be the topic's URL, e.g. https://ntfy.sh/my-alerts" }],
      ],
      [{ id: "x", kind: "teams", url: "https://a.example.net/", events: [] }, [{ path: "events" }]],
      [[1, 2], [{ path: "" }]],
    ];
    for (const [body, issues] of cases) {
      const r = await api("POST", "/api/v1/channels", { body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe("invalid_input");
      const got = [...r.body.error.issues].sort((a: any, b: any) => a.path.localeCompare(b.path));
      expect(got, JSON.stringify(body)).toHaveLength(issues.length);
      issues.forEach((want, i) => {
        expect(got[i].path).toBe(want.path);
        if (want.message instanceof RegExp) expect(got[i].message).toMatch(want.message);
        else if (want.message) expect(got[i].message).toBe(want.message);
      });
    }
    const notJson = await api("POST", "/api/v1/channels", { raw: "{" });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe("invalid_json");
    const big = await api("POST", "/api/v1/channels", {
      raw: JSON.stringify({ id: "x", kind: "slack", url: "https://a.example.net/", name: "x".repeat(70_000) }),
    });
    expect(big.status).toBe(413);
  });

  it("refuses PATCHes that change the id or kind, or break the channel", async () => {
    const id = uid("p");
    await api("POST", "/api/v1/channels", { body: { id, kind: "webhook", url: "https://a.example.net/" } });
    const cases: Array<[unknown, string]> = [
      [{ id: "other" }, "id"],
      [{ kind: "slack" }, "kind"],
      [{ url: "mailto:ops@example.net" }, "url"],
      [{ secret: "nope" }, "secret"],
      [{ secret_set: false }, "secret_set"],
      [[], ""],
    ];
    for (const [body, path] of cases) {
      const r = await api("PATCH", `/api/v1/channels/${id}`, { body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.issues.map((i: any) => i.path)).toEqual([path]);
    }
  });

  it("rotates a webhook secret by PATCH without echoing it; null keeps the current one", async () => {
    const id = uid("rot");
    const hook = uid("rot-hook");
    const first = await api("POST", "/api/v1/channels", { body: { id, kind: "webhook", url: `${receiver}/hook/${hook}` } });
    const next = `whsec_${btoa("another secret, thirty-two bytes!")}`;
    const patched = await api("PATCH", `/api/v1/channels/${id}`, { body: { secret: next } });
    expect(patched.status).toBe(200);
    expect(JSON.stringify(patched.body)).not.toContain("whsec_");
    expect((await api("PATCH", `/api/v1/channels/${id}`, { body: { secret: null } })).status).toBe(200);
    await api("POST", `/api/v1/channels/${id}/test`);
    const [req] = await received(hook);
    const nowS = Math.floor(req!.at / 1000);
    expect(await verifyWebhook(next, req!.headers, req!.body, nowS, 60)).toBe(true);
    expect(await verifyWebhook(first.body.secret, req!.headers, req!.body, nowS, 60)).toBe(false);
  });

  it("disables and re-enables by PATCH, with the reason shown while disabled", async () => {
    const id = uid("d");
    await api("POST", "/api/v1/channels", { body: { id, kind: "slack", url: "https://a.example.net/" } });
    const off = await api("PATCH", `/api/v1/channels/${id}`, { body: { enabled: false } });
    expect(off.body).toMatchObject({ enabled: false, disabled_reason: "disabled by bootstrap admin" });
    const on = await api("PATCH", `/api/v1/channels/${id}`, { body: { enabled: true } });
    expect(on.body).toMatchObject({ enabled: true, disabled_reason: null });
  });
});

describe("POST /api/v1/channels/:id/test", () => {
  it("sends a signed test event through the outbox and answers with the attempt", async () => {
    const id = uid("t");
    const hook = uid("t-hook");
    const created = await api("POST", "/api/v1/channels", { body: { id, kind: "webhook", url: `${receiver}/hook/${hook}` } });
    const r = await api("POST", `/api/v1/channels/${id}/test`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      delivered: true,
      notification: { channel: id, status: "delivered", event: { type: "test", monitor: "example", incident: null } },
    });
    expect(r.body.notification.attempts).toEqual([expect.objectContaining({ n: 1, status: 200, error: null })]);
    const [req, ...more] = await received(hook);
    expect(more).toHaveLength(0);
    const body = JSON.parse(req!.body);
    expect(body).toMatchObject({ id: r.body.notification.event.id, type: "test", incident: null, details: { channel: id } });
    expect(Object.keys(body)).toEqual(["id", "type", "timestamp", "monitor", "incident", "details"]);
    expect(await verifyWebhook(created.body.secret, req!.headers, req!.body, Math.floor(req!.at / 1000), 60)).toBe(true);
    // It is in the outbox's history like any notification.
    const listed = await api("GET", `/api/v1/notifications?channel=${id}`);
    expect(listed.body.notifications.map((n: any) => n.id)).toEqual([r.body.notification.id]);
  });

  it("reports a failed attempt and does not retry it; a disabled channel can be tested", async () => {
    const id = uid("tf");
    const hook = uid("tf-hook");
    await api("POST", "/api/v1/channels", { body: { id, kind: "ntfy", url: `${receiver}/hook/${hook}`, enabled: false } });
    await script(hook, [{ status: 401, body: "unauthorized: token required" }]);
    const r = await api("POST", `/api/v1/channels/${id}/test`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      delivered: false,
      notification: {
        status: "dead",
        // The receiver's words are its own: apart from the error, marked untrusted.
        reason: "HTTP 401 (not retried)",
        attempts: [{ n: 1, status: 401, error: "HTTP 401", untrusted_receiver_answer: "unauthorized: token required" }],
      },
    });
    const [req] = await received(hook);
    expect(req!.headers).toMatchObject({ title: "Test notification from Infra Uptime Monitor", tags: "test_tube,test", priority: "3" });
    expect((await api("GET", `/api/v1/channels/${id}`)).body.enabled).toBe(false);
  });
});
