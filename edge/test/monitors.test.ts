// The monitors API: CRUD, and every class of invalid input answered with the documented error shape.
import { describe, expect, it } from "vitest";
import { api, httpMonitor } from "./helpers.ts";

const uid = (p: string) => `${p}-${crypto.randomUUID().slice(0, 8)}`;

describe("monitors CRUD", () => {
  it("creates with defaults, reads, lists, patches and deletes", async () => {
    const id = uid("web");
    const created = await api("POST", "/api/v1/monitors", {
      body: { id, name: "Web", group: "Public", kind: "http", target: "https://example.test/", tags: { team: "web" } },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe(`/api/v1/monitors/${id}`);
    expect(created.body).toMatchObject({
      id,
      name: "Web",
      group: "Public",
      kind: "http",
      runner: "edge",
      interval_s: 60,
      timeout_ms: 10000,
      locations: [],
      enabled: true,
      tags: { team: "web" },
      failure_threshold: 2,
      success_threshold: 1,
      http: {
        method: "GET",
        headers: {},
        body: null,
        expected_status: ["2xx"],
        follow_redirects: true,
        keyword: null,
        keyword_absent: null,
      },
      state: { status: "pending", last_check_at: null, last_error: null },
    });
    expect(created.body.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

    const got = await api("GET", `/api/v1/monitors/${id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);

    const list = await api("GET", "/api/v1/monitors");
    expect(list.body.monitors.map((m: any) => m.id)).toContain(id);

    const patched = await api("PATCH", `/api/v1/monitors/${id}`, {
      body: { name: "Website", http: { expected_status: ["200", 204] }, group: null },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.name).toBe("Website");
    expect(patched.body.group).toBeNull();
    expect(patched.body.http.expected_status).toEqual(["200", "204"]);
    expect(patched.body.http.method).toBe("GET");

    const paused = await api("PATCH", `/api/v1/monitors/${id}`, { body: { enabled: false } });
    expect(paused.body.state.status).toBe("paused");
    const resumed = await api("PATCH", `/api/v1/monitors/${id}`, { body: { enabled: true } });
    expect(resumed.body.state.status).toBe("pending");

    expect((await api("DELETE", `/api/v1/monitors/${id}`)).status).toBe(204);
    expect((await api("GET", `/api/v1/monitors/${id}`)).status).toBe(404);
    expect((await api("DELETE", `/api/v1/monitors/${id}`)).status).toBe(404);
  });

  it("creates each agent kind with its own option block and runner agent", async () => {
    const cases = [
      { kind: "tcp", target: "db.internal:5432", block: { send: null, expect: null, expect_regex: false } },
      { kind: "icmp", target: "10.0.0.1", block: { count: 3 } },
      { kind: "tls", target: "[2001:db8::1]:443", block: { server_name: null } },
    ];
    for (const c of cases) {
      const id = uid(c.kind);
      const r = await api("POST", "/api/v1/monitors", { body: { id, kind: c.kind, target: c.target, interval_s: 30, locations: ["dc1"] } });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body.runner).toBe("agent");
      expect(r.body[c.kind]).toEqual(c.block);
      expect(r.body.http).toBeUndefined();
      expect(r.body.timeout_ms).toBe(10000);
    }
  });

  it("answers 409 to a duplicate id and keeps the original", async () => {
    const id = uid("dup");
    expect((await api("POST", "/api/v1/monitors", { body: httpMonitor(id, { name: "first" }) })).status).toBe(201);
    const again = await api("POST", "/api/v1/monitors", { body: httpMonitor(id, { name: "second" }) });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: "conflict", issues: [{ path: "id" }] });
    expect((await api("GET", `/api/v1/monitors/${id}`)).body.name).toBe("first");
  });
});

describe("invalid input", () => {
  const post = (body: unknown) => api("POST", "/api/v1/monitors", { body });
  const paths = (r: { body: any }) => r.body.error.issues.map((i: any) => i.path).sort();

  it("malformed JSON → 400 invalid_json", async () => {
    const r = await api("POST", "/api/v1/monitors", { raw: '{"id": "x",' });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("invalid_json");
    expect(r.body.error.message).toMatch(/not valid JSON/);
  });

  it("empty body → 400", async () => {
    const r = await api("POST", "/api/v1/monitors", { raw: "" });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("invalid_json");
  });

  it.each([
    ["a string", '"monitor"'],
    ["an array", "[]"],
    ["null", "null"],
    ["a number", "42"],
  ])("a JSON %s → 400", async (_, raw) => {
    const r = await api("POST", "/api/v1/monitors", { raw });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("invalid_input");
    expect(r.body.error.issues.length).toBeGreaterThan(0);
  });

  it("wrong types → 400 listing every field", async () => {
    const r = await post({ id: 7, kind: "http", target: ["x"], interval_s: "60", enabled: "yes", tags: { team: 1 } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("invalid_input");
    expect(paths(r)).toEqual(["enabled", "id", "interval_s", "tags.team", "target"]);
    for (const issue of r.body.error.issues) expect(issue.message).toBeTypeOf("string");
  });

  it("unknown keys → 400 naming each, also inside blocks", async () => {
    const r = await post({ ...httpMonitor(uid("u")), colour: "red", http: { method: "GET", retries: 3 } });
    expect(r.status).toBe(400);
    expect(paths(r)).toEqual(["colour", "http.retries"]);
    expect(r.body.error.issues[0].message).toBe("is not a known field");
  });

  it("missing required fields → 400", async () => {
    const r = await post({});
    expect(paths(r)).toEqual(["id", "kind"]);
    // The target is required by kind (a heartbeat takes none), so it is named once the kind is known.
    expect(paths(await post({ id: "no-target", kind: "http" }))).toEqual(["target"]);
  });

  it("cross-field rules: kind on edge, host:port, intervals, timeout, option block", async () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ kind: "tcp", target: "db:5432", runner: "edge" }, "runner", /cannot run on the edge/],
      [{ kind: "tcp", target: "db" }, "target", /host:port/],
      [{ kind: "tls", target: "db:70000" }, "target", /port must be between 1 and 65535/],
      [{ kind: "tcp", target: "bad host!:80" }, "target", /whitespace/],
      [{ kind: "tcp", target: "bad_host!:80" }, "target", /not a valid host/],
      [{ kind: "icmp", target: "http://x/" }, "target", /is not a valid/],
      [{ kind: "http", target: "ftp://x/" }, "target", /http:\/\/ or https:\/\//],
      [{ kind: "http", target: "not a url" }, "target", /absolute/],
      [{ kind: "http", target: "https://x/", interval_s: 30 }, "interval_s", /at least 60 for edge/],
      [{ kind: "tcp", target: "db:1", interval_s: 5 }, "interval_s", />=10|at least 10/],
      [{ kind: "http", target: "https://x/", interval_s: 60, timeout_ms: 60000 }, "timeout_ms", /less than interval_s/],
      [{ kind: "tcp", target: "db:1", http: {} }, "http", /only http monitors/],
      [{ kind: "http", target: "https://x/", locations: ["dc1"] }, "locations", /edge monitors take none/],
      [{ kind: "http", target: "https://x/", http: { expected_status: ["2xz"] } }, "http.expected_status[0]", /status code/],
    ];
    for (const [fields, path, message] of cases) {
      const r = await post({ id: uid("x"), ...fields });
      expect(r.status, JSON.stringify(fields)).toBe(400);
      const issue = r.body.error.issues.find((i: any) => i.path === path);
      expect(issue, `${JSON.stringify(fields)} → ${JSON.stringify(r.body)}`).toBeDefined();
      expect(issue.message).toMatch(message);
    }
  });

  it("reports several cross-field problems at once", async () => {
    const r = await post({ id: uid("multi"), kind: "tcp", target: "nope", runner: "edge", interval_s: 60, timeout_ms: 60000, http: {} });
    expect(paths(r)).toEqual(["http", "runner", "target", "timeout_ms"]);
  });

  it("a body over 64 KiB → 413", async () => {
    const r = await post({ ...httpMonitor(uid("big")), name: "x".repeat(70 * 1024) });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe("payload_too_large");
  });

  it("PATCH validates the merged monitor and refuses id changes", async () => {
    const id = uid("p");
    await post(httpMonitor(id));
    const bad = await api("PATCH", `/api/v1/monitors/${id}`, { body: { kind: "tcp" } });
    expect(bad.status).toBe(400);
    expect(paths(bad)).toEqual(["http", "runner", "target"]);
    const idChange = await api("PATCH", `/api/v1/monitors/${id}`, { body: { id: "other" } });
    expect(idChange.status).toBe(400);
    expect(idChange.body.error.issues).toEqual([{ path: "id", message: "cannot be changed" }]);
    const notObject = await api("PATCH", `/api/v1/monitors/${id}`, { raw: "[1]" });
    expect(notObject.status).toBe(400);
    const missing = await api("PATCH", `/api/v1/monitors/${uid("none")}`, { body: { name: "x" } });
    expect(missing.status).toBe(404);
    // The stored monitor is unchanged by the refused patches.
    expect((await api("GET", `/api/v1/monitors/${id}`)).body.kind).toBe("http");
  });

  it("unknown routes and methods → 404 in the same JSON shape", async () => {
    for (const [method, path] of [
      ["GET", "/api/v1/nothing"],
      ["PUT", "/api/v1/monitors"],
      ["GET", "/x/y/z"],
    ] as const) {
      const r = await api(method, path);
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe("not_found");
      expect(r.body.error.issues).toEqual([]);
    }
  });

  it("odd ids in the path are 404, never 500", async () => {
    for (const id of ["%00", "a%2Fb", "x".repeat(500), "%E2%98%83", "..%2F.."]) {
      expect((await api("GET", `/api/v1/monitors/${id}`)).status).toBe(404);
      expect((await api("DELETE", `/api/v1/monitors/${id}`)).status).toBe(404);
      expect((await api("PATCH", `/api/v1/monitors/${id}`, { body: {} })).status).toBe(404);
    }
  });

  it("deeply nested and huge-number input is refused cleanly", async () => {
    let nested: unknown = 1;
    for (let i = 0; i < 2000; i++) nested = [nested];
    const r1 = await post({ ...httpMonitor(uid("n")), tags: nested });
    expect(r1.status).toBe(400);
    const r2 = await post({ ...httpMonitor(uid("n")), interval_s: 1e308 });
    expect(r2.status).toBe(400);
    const r3 = await api("POST", "/api/v1/monitors", { raw: '{"id":"\\ud800","kind":"http","target":"https://x/"}' });
    expect(r3.status).toBe(400);
  });
});
