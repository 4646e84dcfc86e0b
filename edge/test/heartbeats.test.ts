// Heartbeat monitors through the real Worker and real D1: the ping key made once and never shown again, pings by
// URL (success, fail, start, exit status, bodies), rotation with a grace, and the cron tick marking a silent job
// down, with its incident and a notification through the outbox to the local webhook receiver.
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { beforeEach, describe, expect, inject, it } from "vitest";
import type { AlertEvent } from "../src/alerts/events.ts";
import { runTick, type Runtime } from "../src/scheduler/tick.ts";
import { api, tickRuntime } from "./helpers.ts";

const receiver = inject("receiverUrl");
const MINUTE = 60_000;
const uid = (p: string) => `${p}-${crypto.randomUUID().slice(0, 8)}`;

type Pinged = { status: number; text: string; headers: Headers };

/** A ping as a job sends it: no token, the key in the path. */
async function ping(url: string, o: { method?: string; body?: BodyInit; headers?: Record<string, string> } = {}): Promise<Pinged> {
  const path = new URL(url).pathname;
  const res = await (exports as any).default.fetch(
    new Request(`http://worker.test${path}`, { method: o.method ?? "GET", body: o.body, headers: o.headers }),
  );
  return { status: res.status, text: await res.text(), headers: res.headers };
}

async function heartbeat(id: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await api("POST", "/api/v1/monitors", { body: { id, kind: "heartbeat", interval_s: 3600, ...extra } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  expect(r.body.ping_url).toMatch(/^http:\/\/worker\.test\/ping\/[A-Za-z0-9_-]{32}$/);
  return r.body.ping_url;
}

const monitor = async (id: string) => (await api("GET", `/api/v1/monitors/${id}`)).body;
/** Newest first; up to an hour ahead, as the tick's results in these tests are stamped with its (future) time. */
const checks = async (id: string) =>
  (await api("GET", `/api/v1/monitors/${id}/checks?to=${new Date(Date.now() + 3_600_000).toISOString()}`)).body.checks as any[];

describe("the ping key", () => {
  it("is made at create, shown once as ping_url, stored only as a hash, and never shown by a read", async () => {
    const id = uid("hb-key");
    const url = await heartbeat(id);
    const key = url.split("/ping/")[1]!;
    const got = await monitor(id);
    expect(got).toMatchObject({ kind: "heartbeat", target: "", runner: "edge", failure_threshold: 1, heartbeat: { grace_s: 300 } });
    expect(got.ping_key).toMatchObject({ set: true, rotated_at: null, previous_until: null });
    expect(got.ping_url).toBeUndefined();
    const list = (await api("GET", "/api/v1/monitors")).body.monitors.find((m: any) => m.id === id);
    expect(list.ping_key.set).toBe(true);
    for (const body of [got, list]) expect(JSON.stringify(body)).not.toContain(key);
    const row = await env.DB.prepare("SELECT * FROM ping_keys WHERE monitor = ?1").bind(id).first<Record<string, unknown>>();
    expect(JSON.stringify(row)).not.toContain(key);
    expect(row!.key_hash).toMatch(/^[0-9a-f]{64}$/);
    // Two monitors never share a key.
    expect(await heartbeat(uid("hb-key2"))).not.toBe(url);
  });

  it("refuses a target or an agent runner for a heartbeat, naming the field", async () => {
    const t = await api("POST", "/api/v1/monitors", { body: { id: uid("hb"), kind: "heartbeat", target: "x" } });
    expect(t.status).toBe(400);
    expect(t.body.error.issues).toEqual([expect.objectContaining({ path: "target", message: expect.stringContaining("take no target") })]);
    const a = await api("POST", "/api/v1/monitors", { body: { id: uid("hb"), kind: "heartbeat", runner: "agent" } });
    expect(a.status).toBe(400);
    expect(a.body.error.issues[0].path).toBe("runner");
  });

  it("rotates: the old key works during the grace, then only the new one; grace 0 ends it at once", async () => {
    const id = uid("hb-rot");
    const first = await heartbeat(id);
    const r = await api("POST", `/api/v1/monitors/${id}/rotate-ping-key`, { body: { grace_s: 120 } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const second = r.body.ping_url as string;
    expect(second).not.toBe(first);
    expect(r.body.ping_key).toMatchObject({ set: true });
    expect(Date.parse(r.body.ping_key.previous_until) - Date.now()).toBeGreaterThan(100_000);
    expect((await ping(first)).status).toBe(200);
    expect((await ping(second)).status).toBe(200);
    expect((await checks(id)).length).toBe(2);
    // The grace ends (as it would after 120 s): the old key is refused.
    await env.DB.prepare("UPDATE ping_keys SET previous_until = ?2 WHERE monitor = ?1")
      .bind(id, Date.now() - 1)
      .run();
    expect((await ping(first)).status).toBe(404);
    expect((await ping(second)).status).toBe(200);
    // An empty body: the default grace (a day); grace 0: the replaced key stops at once.
    const third = await api("POST", `/api/v1/monitors/${id}/rotate-ping-key`, { token: undefined });
    expect(third.status).toBe(200);
    expect(Date.parse(third.body.previous_until) - Date.now()).toBeGreaterThan(86_000_000);
    const fourth = await api("POST", `/api/v1/monitors/${id}/rotate-ping-key`, { body: { grace_s: 0 } });
    expect(fourth.body.previous_until).toBeNull();
    expect((await ping(third.body.ping_url)).status).toBe(404);
    expect((await ping(second)).status).toBe(404);
    expect((await ping(fourth.body.ping_url)).status).toBe(200);
    expect((await monitor(id)).ping_key.rotated_at).not.toBeNull();
  });

  it("refuses bad rotations clearly: a bad grace, an http monitor, an unknown monitor, a viewer", async () => {
    const id = uid("hb-rot-bad");
    await heartbeat(id);
    const bad = await api("POST", `/api/v1/monitors/${id}/rotate-ping-key`, { body: { grace_s: -1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0]).toMatchObject({ path: "grace_s", message: expect.stringContaining("at least 0") });
    const extra = await api("POST", `/api/v1/monitors/${id}/rotate-ping-key`, { body: { key: "mine" } });
    expect(extra.status).toBe(400);
    const web = uid("web");
    await api("POST", "/api/v1/monitors", { body: { id: web, kind: "http", target: "http://127.0.0.1:9/" } });
    const http = await api("POST", `/api/v1/monitors/${web}/rotate-ping-key`);
    expect(http.status).toBe(409);
    expect(http.body.error.message).toContain("only heartbeat monitors have a ping key");
    expect((await api("POST", "/api/v1/monitors/no-such-hb/rotate-ping-key")).status).toBe(404);
    const viewer = (await api("POST", "/api/v1/tokens", { body: { name: uid("v"), role: "viewer" } })).body.token;
    expect((await api("POST", `/api/v1/monitors/${id}/rotate-ping-key`, { token: viewer })).status).toBe(403);
  });

  it("is deleted with its monitor: the URL then answers 404", async () => {
    const id = uid("hb-del");
    const url = await heartbeat(id);
    expect((await ping(url)).status).toBe(200);
    expect((await api("DELETE", `/api/v1/monitors/${id}`)).status).toBe(204);
    expect(await env.DB.prepare("SELECT 1 FROM ping_keys WHERE monitor = ?1").bind(id).first()).toBeNull();
    expect((await ping(url)).status).toBe(404);
  });

  it("comes with a PATCH that makes a monitor a heartbeat (shown once), and goes with one that makes it something else", async () => {
    const id = uid("hb-kind");
    expect((await api("POST", "/api/v1/monitors", { body: { id, kind: "http", target: "https://www.example.test/" } })).status).toBe(201);
    const r = await api("PATCH", `/api/v1/monitors/${id}`, { body: { kind: "heartbeat", target: null, http: null, interval_s: 3600 } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.ping_url).toMatch(/\/ping\/[A-Za-z0-9_-]{32}$/);
    expect(r.body.ping_key.set).toBe(true);
    expect((await ping(r.body.ping_url)).status).toBe(200);
    // A later PATCH of the heartbeat shows that a key is set, never the key.
    const again = await api("PATCH", `/api/v1/monitors/${id}`, { body: { name: "Nightly backup" } });
    expect(again.status).toBe(200);
    expect(again.body.ping_url).toBeUndefined();
    expect(again.body.ping_key.set).toBe(true);
    const back = await api("PATCH", `/api/v1/monitors/${id}`, {
      body: { kind: "http", target: "https://www.example.test/", heartbeat: null },
    });
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect(back.body.ping_key).toBeUndefined();
    expect(await env.DB.prepare("SELECT 1 FROM ping_keys WHERE monitor = ?1").bind(id).first()).toBeNull();
    expect((await ping(r.body.ping_url)).status).toBe(404);
  });
});

describe("pings", () => {
  it("a success ping (GET, POST, HEAD) answers OK and puts the monitor up, location edge", async () => {
    const id = uid("hb-ok");
    const url = await heartbeat(id);
    expect((await monitor(id)).state.status).toBe("pending");
    const r = await ping(url);
    expect(r).toMatchObject({ status: 200, text: "OK\n" });
    expect(r.headers.get("content-type")).toContain("text/plain");
    expect((await ping(url, { method: "POST" })).status).toBe(200);
    expect((await ping(url, { method: "HEAD" })).status).toBe(200);
    const m = await monitor(id);
    expect(m.state).toMatchObject({ status: "up", last_error: null });
    const list = await checks(id);
    expect(list).toHaveLength(3);
    for (const c of list)
      expect(c).toMatchObject({
        ok: true,
        location: "edge",
        agent: null,
        latency_ms: null,
        heartbeat: { event: "success", started_at: null, message: null },
      });
  });

  it("/fail with a body: down at once (threshold 1), an incident, the body as the message; a success resolves it", async () => {
    const id = uid("hb-fail");
    const url = await heartbeat(id);
    await ping(url);
    const r = await ping(`${url}/fail`, { method: "POST", body: "backup failed: disk full\n" });
    expect(r.status).toBe(200);
    const m = await monitor(id);
    expect(m.state.status).toBe("down");
    expect(m.state.last_error).toEqual({ kind: "other", message: "the job reported a failure (/fail): backup failed: disk full" });
    expect(m.state.incident_id).toBeTruthy();
    const [newest] = await checks(id);
    expect(newest).toMatchObject({ ok: false, heartbeat: { event: "fail", message: "backup failed: disk full" } });
    await ping(url, { method: "POST", body: "ok again" });
    const after = await monitor(id);
    expect(after.state).toMatchObject({ status: "up", incident_id: null });
    const inc = (await api("GET", `/api/v1/monitors/${id}/incidents`)).body.incidents;
    expect(inc).toHaveLength(1);
    expect(inc[0].resolved_at).not.toBeNull();
    expect((await checks(id))[0].heartbeat.message).toBe("ok again");
  });

  it("an exit status: 0 is a success, anything else a failure naming it; 256 and words are 400", async () => {
    const id = uid("hb-exit");
    const url = await heartbeat(id);
    expect((await ping(`${url}/0`)).status).toBe(200);
    expect((await monitor(id)).state.status).toBe("up");
    expect((await ping(`${url}/3`)).status).toBe(200);
    expect((await monitor(id)).state.last_error.message).toBe("the job exited with status 3");
    expect((await ping(`${url}/255`)).status).toBe(200);
    for (const bad of ["256", "banana", "-1", "00000"]) {
      const r = await ping(`${url}/${bad}`);
      expect(r.status, bad).toBe(400);
      expect(r.text).toContain("/start, /fail or an exit status 0-255");
    }
    expect(await checks(id)).toHaveLength(3);
  });

  it("/start then an end ping: the run's duration is the latency, started_at kept; /start alone records nothing", async () => {
    const id = uid("hb-run");
    const url = await heartbeat(id);
    expect((await ping(`${url}/start`)).status).toBe(200);
    expect(await checks(id)).toHaveLength(0);
    expect((await monitor(id)).state.status).toBe("pending");
    await new Promise((r) => setTimeout(r, 50));
    await ping(url);
    const [c] = await checks(id);
    expect(c.heartbeat.started_at).not.toBeNull();
    expect(c.latency_ms).toBeGreaterThanOrEqual(50);
    expect(c.latency_ms).toBe(Date.parse(c.ts) - c.heartbeat.started_at);
    // That run ended: the next end ping has no start.
    await ping(url);
    expect((await checks(id))[0]).toMatchObject({ latency_ms: null, heartbeat: { started_at: null } });
  });

  it("keeps the first 2,000 characters of a body, replaces invalid UTF-8, and refuses a body over 10 KiB with 413", async () => {
    const id = uid("hb-body");
    const url = await heartbeat(id);
    expect((await ping(url, { method: "POST", body: "é".repeat(3000) })).status).toBe(200);
    expect((await checks(id))[0].heartbeat.message).toBe(`${"é".repeat(1999)}…`);
    expect((await ping(url, { method: "POST", body: new Uint8Array([0x6f, 0x6b, 0xff, 0xfe, 0x21]) })).status).toBe(200);
    expect((await checks(id))[0].heartbeat.message).toBe("ok\ufffd\ufffd!");
    const big = await ping(`${url}/fail`, { method: "POST", body: "x".repeat(10 * 1024 + 1) });
    expect(big.status).toBe(413);
    expect(big.text).toContain("larger than 10240 bytes");
    // Streamed without a length: refused the same way.
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 20; i++) c.enqueue(new Uint8Array(1024).fill(0x61));
        c.close();
      },
    });
    expect((await ping(url, { method: "POST", body: stream, headers: {} })).status).toBe(413);
    expect(await checks(id)).toHaveLength(2);
    expect((await monitor(id)).state.status).toBe("up");
  });

  it("a paused monitor answers 200 and records nothing", async () => {
    const id = uid("hb-paused");
    const url = await heartbeat(id, { enabled: false });
    const r = await ping(`${url}/fail`);
    expect(r.status).toBe(200);
    expect(r.text).toContain("paused");
    expect(await checks(id)).toHaveLength(0);
    expect((await monitor(id)).state.status).toBe("paused");
  });

  it("answers an unknown or malformed key 404 in plain text, and odd paths and methods 4xx, never 5xx", async () => {
    const url = await heartbeat(uid("hb-odd"));
    const key = url.split("/ping/")[1]!;
    const unknown = await ping(`http://worker.test/ping/${"A".repeat(32)}`);
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain("no heartbeat monitor has this ping key");
    const odd = [
      "/ping",
      "/ping/",
      "/ping//",
      `/ping/${key}/`,
      `/ping/${key}/banana`,
      `/ping/${key}/256`,
      `/ping/${key}/start/more`,
      `/ping/${key}%00`,
      `/ping/${"x".repeat(5000)}`,
      `/ping/${key.slice(0, 31)}`,
      "/ping/%E0%A4%A",
      `/ping/${key}/%ff`,
    ];
    for (const path of odd)
      for (const method of ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]) {
        const r = await ping(`http://worker.test${path}`, { method, body: method === "GET" || method === "HEAD" ? undefined : "{" });
        expect(r.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
        expect(r.status, `${method} ${path}`).toBeLessThan(500);
      }
    for (const method of ["PUT", "DELETE", "PATCH"]) expect((await ping(url, { method })).status, method).toBe(404);
  });
});

describe("the status page", () => {
  it("shows a heartbeat's last ping instead of a target, and its checks' events; the job's words only to readers of errors", async () => {
    const id = uid("hb-page");
    const url = await heartbeat(id);
    expect((await api("GET", `/api/v1/status/${id}`)).body.monitor).toMatchObject({ kind: "heartbeat", last_ping_at: null });
    await ping(url, { method: "POST", body: "rsync: 3 files" });
    await ping(`${url}/fail`, { method: "POST", body: "secret path /srv/x missing" });
    const page = (await api("GET", `/api/v1/status/${id}`)).body;
    expect(Date.parse(page.monitor.last_ping_at)).toBeGreaterThan(Date.now() - 60_000);
    expect(page.monitor.target).toBe("");
    expect(page.checks.map((c: any) => [c.event, c.message])).toEqual([
      ["fail", "secret path /srv/x missing"],
      ["success", "rsync: 3 files"],
    ]);
    const status = (await api("POST", "/api/v1/tokens", { body: { name: uid("wall"), role: "status" } })).body.token;
    const wall = (await api("GET", `/api/v1/status/${id}`, { token: status })).body;
    expect(wall.checks.map((c: any) => [c.event, c.message])).toEqual([
      ["fail", null],
      ["success", null],
    ]);
    expect(JSON.stringify(wall)).not.toContain("secret path");
  });
});

describe("the cron tick", () => {
  let clock: number;
  let events: AlertEvent[];

  const runtime = (): Runtime => tickRuntime({ clock: () => clock, events: () => events });

  async function tickAt(at: number) {
    clock = at;
    return runTick(runtime(), at);
  }

  /** Moves the monitor's pings, its last check and its creation `ms` into the past, as if the job had been silent since; returns its last ping. */
  async function backdate(id: string, ms: number): Promise<number> {
    const at = (f: string) => `'$.members.' || json_quote(?1) || '${f}'`;
    await env.DB.prepare(
      `UPDATE state_packs SET version = version + 1, body = json_set(body,
         ${at(".hb.last")}, json_extract(body, ${at(".hb.last")}) - ?2,
         ${at(".state.last_check_at")}, json_extract(body, ${at(".state.last_check_at")}) - ?2,
         ${at(".locations.edge.last_check_at")}, json_extract(body, ${at(".locations.edge.last_check_at")}) - ?2)
       WHERE json_type(body, ${at("")}) IS NOT NULL`,
    )
      .bind(id, ms)
      .run();
    await env.DB.prepare("UPDATE monitors SET created_at = created_at - ?2 WHERE id = ?1").bind(id, ms).run();
    const pack = await env.DB.prepare(
      `SELECT json_extract(body, ${at(".hb.last")}) AS last FROM state_packs WHERE json_type(body, ${at("")}) IS NOT NULL`,
    )
      .bind(id)
      .first<{ last: number }>();
    return pack!.last;
  }

  beforeEach(async () => {
    events = [];
    await env.DB.batch([
      env.DB.prepare("DELETE FROM state_packs"),
      env.DB.prepare("DELETE FROM counters WHERE name = 'edge_tick'"),
      env.DB.prepare("DELETE FROM ping_keys"),
      env.DB.prepare("DELETE FROM monitors"),
      env.DB.prepare("DELETE FROM incidents"),
      env.DB.prepare("DELETE FROM maintenance_windows"),
      env.DB.prepare("DELETE FROM channels"),
    ]);
  });

  it("runs no check for a heartbeat, and leaves one that never pinged pending", async () => {
    const id = uid("hb-new");
    await heartbeat(id, { interval_s: 60, heartbeat: { grace_s: 0 } });
    const report = await tickAt(Date.now() + 10 * MINUTE);
    expect(report).toMatchObject({ due: 0, batches: 0, checks: 0, missed: 0 });
    expect((await monitor(id)).state.status).toBe("pending");
  });

  it("marks a silent job down after period + grace, once per period, with an incident and a webhook; a ping resolves it", async () => {
    const id = uid("hb-silent");
    const hook = uid("hook");
    const ch = await api("POST", "/api/v1/channels", { body: { id: uid("ch"), kind: "webhook", url: `${receiver}/hook/${hook}` } });
    expect(ch.status, JSON.stringify(ch.body)).toBe(201);
    const url = await heartbeat(id, { interval_s: 120, heartbeat: { grace_s: 60 } });
    await ping(url);
    // The job's last ping was 10 minutes ago (the ticks below run in that past, so the recovery ping is newest).
    const last = await backdate(id, 10 * MINUTE);
    // Within period + grace: nothing written.
    expect(await tickAt(last + 2 * MINUTE)).toMatchObject({ missed: 0 });
    expect((await monitor(id)).state.status).toBe("up");
    const late = last + 3 * MINUTE + 1000;
    const report = await tickAt(late);
    expect(report).toMatchObject({ missed: 1, due: 0 });
    const m = await monitor(id);
    expect(m.state.status).toBe("down");
    expect(m.state.last_error.kind).toBe("timeout");
    expect(m.state.last_error.message).toBe(
      `no ping since ${new Date(last).toISOString()}; expected one every 120 s, with a grace of 60 s`,
    );
    expect(m.state.incident_id).toBeTruthy();
    expect(events.map((e) => e.type)).toEqual(["monitor.down"]);
    // (Its point is older than the ping's, which was stored at its real time.)
    const missed = (await checks(id)).find((c) => c.heartbeat.event === "missed");
    expect(missed).toMatchObject({ ok: false, heartbeat: { event: "missed" }, error: { kind: "timeout" } });
    // The notification went through the outbox to the receiver.
    const received = async () =>
      ((await (await fetch(`${receiver}/control/requests/${hook}`)).json()) as { requests: Array<{ body_base64: string }> }).requests.map(
        (r) => JSON.parse(atob(r.body_base64)),
      );
    expect(await received()).toMatchObject([{ type: "monitor.down", monitor: { id } }]);
    // Silent on: no second result within the period, one more after it.
    expect(await tickAt(late + MINUTE)).toMatchObject({ missed: 0 });
    expect(await tickAt(late + 2 * MINUTE)).toMatchObject({ missed: 1 });
    expect((await checks(id)).filter((c) => c.heartbeat.event === "missed")).toHaveLength(2);
    // The job calls in: up, the incident resolved, and "up" goes out with the next delivery.
    await ping(url);
    expect((await monitor(id)).state).toMatchObject({ status: "up", incident_id: null });
    expect(await tickAt(late + 3 * MINUTE)).toMatchObject({ missed: 0 });
    const until = Date.now() + 10_000;
    while ((await received()).length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(await received()).toMatchObject([{ type: "monitor.down" }, { type: "monitor.up", monitor: { id } }]);
  });

  it("a /start without its end ping is missed after the grace, saying when it started", async () => {
    const id = uid("hb-hung");
    const url = await heartbeat(id, { interval_s: 86400, heartbeat: { grace_s: 120 } });
    await ping(url);
    await ping(`${url}/start`);
    const started = Date.now();
    expect(await tickAt(started + MINUTE)).toMatchObject({ missed: 0 });
    expect(await tickAt(started + 3 * MINUTE)).toMatchObject({ missed: 1 });
    const m = await monitor(id);
    expect(m.state.status).toBe("down");
    expect(m.state.last_error.message).toMatch(/^the job started at \S+ and sent no end ping within its grace of 120 s$/);
    expect((await checks(id))[0].heartbeat).toMatchObject({ event: "missed" });
    expect((await checks(id))[0].heartbeat.started_at).not.toBeNull();
  });

  it("a maintenance window turns a missed deadline into maintenance: no incident, no alert", async () => {
    const id = uid("hb-mw");
    const url = await heartbeat(id, { interval_s: 60, heartbeat: { grace_s: 0 } });
    await ping(url);
    const at = Date.now() + 5 * MINUTE;
    const w = await api("POST", "/api/v1/maintenance", {
      body: { id: uid("mw"), name: "Backups off", kind: "once", monitors: [id], starts_at: Date.now() - MINUTE, ends_at: at + 10 * MINUTE },
    });
    expect(w.status, JSON.stringify(w.body)).toBe(201);
    expect(await tickAt(at)).toMatchObject({ missed: 1 });
    const m = await monitor(id);
    expect(m.state.status).toBe("maintenance");
    expect(m.state.incident_id).toBeNull();
    expect(events).toEqual([]);
  });

  it("a paused heartbeat is never missed, and after resuming waits for its next ping", async () => {
    const id = uid("hb-pause");
    const url = await heartbeat(id, { interval_s: 60, heartbeat: { grace_s: 0 } });
    await ping(url);
    expect((await api("PATCH", `/api/v1/monitors/${id}`, { body: { enabled: false } })).status).toBe(200);
    expect(await tickAt(Date.now() + 5 * MINUTE)).toMatchObject({ missed: 0 });
    expect((await api("PATCH", `/api/v1/monitors/${id}`, { body: { enabled: true } })).status).toBe(200);
    expect(await tickAt(Date.now() + 10 * MINUTE)).toMatchObject({ missed: 0 });
    expect((await monitor(id)).state.status).toBe("pending");
  });
});
