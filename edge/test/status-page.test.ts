// The status UI's edge side: the app shell and assets with security headers, GET /api/v1/status/:id
// (latency series, recent checks, nothing of the configuration on a public page), and the badges.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { monitorsByIds } from "../src/db/monitors.ts";
import { Monitor } from "../../contract/index.ts";
import { createApp } from "../src/api/app.ts";
import { badgeSvg, statusBadge, uptimeBadge } from "../src/status/badge.ts";
import { parseConfig } from "../src/config/config.ts";
import type { Env } from "../src/config/env.ts";
import { SECURITY_HEADERS } from "../src/api/headers.ts";
import { createLogger } from "../src/observability/log.ts";
import type { StoredResult } from "../src/points/store.ts";
import { recordResults } from "../src/ingest/record.ts";
import { HOUR } from "../src/status/rollups.ts";
import { pointWriter } from "../src/ingest/writer.ts";
import { publicTarget } from "../src/status/summary.ts";
import { api, tokenFor } from "./helpers.ts";

const now = Date.now();
const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;

const SECRET = {
  host: "db-secret.corp.example.test",
  header: "Bearer sk-live-hunter2-0123456789",
  keyword: "CANARY-7f3a",
  body: '{"probe":"private-body"}',
  ip: "10.20.30.40",
};
const PRIVATE = "sp-private";
const PUBLIC_TARGET = "sp-public-target";

/** The app with PUBLIC_STATUS=true, called directly (same bindings, one setting changed). */
async function publicCall(path: string): Promise<{ status: number; body: any; text: string; headers: Headers }> {
  const res = await createApp().request(path, {}, { ...(env as unknown as Env), PUBLIC_STATUS: "true" }, ctx);
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* SVG or HTML */
  }
  return { status: res.status, body, text, headers: res.headers };
}

function result(monitor: string, i: number, ago: number, ok: boolean, latency: number | null, message?: string): StoredResult {
  return {
    id: `${monitor}-${i}`,
    monitor,
    ts: now - ago,
    ok,
    latency_ms: latency,
    location: i % 2 ? "dc1" : "edge",
    agent: i % 2 ? "dc1-a" : null,
    error: ok ? null : { kind: "connection", message: message ?? "connection refused" },
    kind: "http",
    target: "https://x.test/",
  };
}

beforeAll(async () => {
  const make = async (body: unknown) => expect((await api("POST", "/api/v1/monitors", { body })).status).toBe(201);
  await make({
    id: PRIVATE,
    name: "Private DB API",
    group: "Internal",
    kind: "http",
    target: `https://${SECRET.host}:8443/health?key=abc123`,
    http: { method: "POST", headers: { authorization: SECRET.header }, body: SECRET.body, keyword: SECRET.keyword },
  });
  await make({ id: PUBLIC_TARGET, name: "Homepage", kind: "http", target: "https://www.example.test/", public_target: true });
  // The seeded history predates these monitors: say they were created before it (reads start at created_at).
  await env.DB.prepare("UPDATE monitors SET created_at = created_at - ?1")
    .bind(100 * 86_400_000)
    .run();
  const r = parseConfig(env as unknown as Env);
  if (!r.ok) throw new Error("bad test config");
  const rt = { config: r.config, log: createLogger("warn"), fetch, queue: r.config.queue };
  const specs = new Map(
    [PRIVATE, PUBLIC_TARGET].map((id) => [
      id,
      Monitor.parse(
        id === PRIVATE
          ? {
              id,
              kind: "http",
              target: `https://${SECRET.host}:8443/health?key=abc123`,
              http: { headers: { authorization: SECRET.header }, body: SECRET.body, keyword: SECRET.keyword },
            }
          : { id, kind: "http", target: "https://www.example.test/", public_target: true },
      ),
    ]),
  );
  const results: StoredResult[] = [];
  // Hours 0..9 ago measured a latency; hours 12..14 failed only (no latency): 10 chart points in 24h.
  for (let h = 0; h < 10; h++) results.push(result(PRIVATE, h, h * HOUR + 60_000, true, 20 + h));
  for (let h = 12; h < 15; h++)
    results.push(
      result(
        PRIVATE,
        h,
        h * HOUR + 60_000,
        false,
        null,
        `connect to ${SECRET.host} (${SECRET.ip}:8443) failed: body did not contain "${SECRET.keyword}"`,
      ),
    );
  results.push(result(PUBLIC_TARGET, 0, 120_000, false, null, "connect to www.example.test failed"));
  results.push(result(PUBLIC_TARGET, 2, 60_000, false, null, "connect to www.example.test failed")); // same location (edge) as the first: two failures in a row
  // Oldest first, as checks arrive: the last state is what the newest result says.
  results.sort((a, b) => a.ts - b.ts);
  const refs = await monitorsByIds(r.config.db, [...specs.keys()]);
  const monitors = new Map([...specs].map(([id, spec]) => [id, { spec, pack: refs.get(id)!.pack }]));
  await recordResults(r.config.db, pointWriter(rt), rt.log, results, monitors, { certWarningDays: 14 });
});

describe("the app shell and its assets", () => {
  it.each(["/", "/monitors/anything"])("%s serves the HTML shell with the security headers", async (path) => {
    const r = await api("GET", path, { token: null });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/html/);
    expect(r.body).toContain('<script type="module" src="/assets/app.js"></script>');
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) expect(r.headers.get(k), k).toBe(v);
  });

  it("has no inline script or style for the policy to allow", async () => {
    const html = (await api("GET", "/", { token: null })).body as string;
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=/);
    expect(SECURITY_HEADERS["content-security-policy"]).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
  });

  it("serves the bundle and answers unknown assets and paths with the API's 404", async () => {
    const js = await api("GET", "/assets/app.js", { token: null });
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toMatch(/javascript/);
    expect(js.headers.get("x-content-type-options")).toBe("nosniff");
    expect((await api("GET", "/assets/app.css", { token: null })).headers.get("content-type")).toMatch(/^text\/css/);
    const missing = await api("GET", "/assets/nope.js", { token: null });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("not_found");
    expect((await api("GET", "/monitors/a/b", { token: null })).status).toBe(404);
  });

  it("puts the security headers on API answers and errors too", async () => {
    for (const r of [
      await api("GET", "/api/v1/status"),
      await api("GET", "/api/v1/status", { token: null }),
      await api("GET", "/healthz", { token: null }),
    ])
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) expect(r.headers.get(k), k).toBe(v);
  });
});

describe("GET /api/v1/status/:id", () => {
  it("gives state, uptime, latency series and recent checks to a viewer, with the target", async () => {
    const r = await api("GET", `/api/v1/status/${PRIVATE}`, { token: await tokenFor("viewer") });
    expect(r.status).toBe(200);
    const m = r.body.monitor;
    expect(m).toMatchObject({
      id: PRIVATE,
      name: "Private DB API",
      group: "Internal",
      kind: "http",
      status: "up",
      target: `https://${SECRET.host}:8443/health?key=abc123`,
      last_error: null,
    });
    expect(m.uptime["24h"]).toBe(10 / 13);
    expect(m.days.checks.reduce((s: number, n: number) => s + n, 0)).toBe(13);
    expect(r.body.latency["24h"].avg_latency_ms).toHaveLength(24);
    expect(r.body.latency["24h"].bucket_s).toBe(3600);
    expect(r.body.latency["24h"].avg_latency_ms.filter((v: number | null) => v !== null)).toHaveLength(10);
    // The newest check (a minute ago) sits in the bucket that holds its time: the last one, or the one
    // before it in the first minute of an hour (the current hour then has no checks yet).
    const day = r.body.latency["24h"];
    const newest = Math.floor((now - 60_000 - Date.parse(day.from)) / (day.bucket_s * 1000));
    expect(newest).toBeGreaterThanOrEqual(22);
    expect(day.avg_latency_ms[newest]).toBe(20);
    expect(day.avg_latency_ms.slice(newest + 1).every((v: number | null) => v === null)).toBe(true);
    expect(r.body.latency["7d"].avg_latency_ms).toHaveLength(168);
    expect(r.body.latency["30d"].avg_latency_ms).toHaveLength(180);
    expect(r.body.latency["30d"].bucket_s).toBe(4 * 3600);
    expect(r.body.latency["30d"].checks.reduce((s: number, n: number) => s + n, 0)).toBe(13);
    expect(r.body.checks).toHaveLength(13);
    expect(r.body.checks[0]).toEqual({ ts: new Date(now - 60_000).toISOString(), ok: true, latency_ms: 20, location: "edge", error: null });
    expect(r.body.checks.find((c: any) => !c.ok).error.message).toContain(SECRET.host);
    expect(r.body.checks_error).toBeNull();
  });

  it("needs a viewer token unless the status is public, and 404s an unknown monitor", async () => {
    expect((await api("GET", `/api/v1/status/${PRIVATE}`, { token: null })).status).toBe(401);
    expect((await api("GET", "/api/v1/status/nope")).status).toBe(404);
    expect((await publicCall(`/api/v1/status/${PRIVATE}`)).status).toBe(200);
  });

  it("shows a public caller nothing of the configuration", async () => {
    const r = await publicCall(`/api/v1/status/${PRIVATE}`);
    const list = await publicCall("/api/v1/status");
    for (const text of [r.text, list.text])
      for (const s of [SECRET.host, SECRET.header, SECRET.keyword, "private-body", SECRET.ip, "abc123", "POST", "dc1-a"])
        expect(text).not.toContain(s);
    expect(r.body.monitor.target).toBeNull();
    expect(r.body.checks.find((c: any) => !c.ok).error).toEqual({
      kind: "connection",
      // One fixed phrase per error kind: nothing the check (or the target) wrote reaches a public page.
      message: "connection failed",
    });
    expect(Object.keys(list.body.monitors[0]).sort()).toEqual([
      "days",
      "group",
      "id",
      "kind",
      "last_check_at",
      "latency_ms",
      "name",
      "since",
      "status",
      "uptime",
    ]);
  });

  it("shows the target of a monitor marked public_target, and its errors as phrases like any other", async () => {
    const r = await publicCall(`/api/v1/status/${PUBLIC_TARGET}`);
    expect(r.body.monitor).toMatchObject({
      target: "https://www.example.test/",
      status: "down",
      last_error: { kind: "connection", message: "connection failed" },
    });
  });
});

describe("GET /api/v1/status: pages, counts and day bars on request", () => {
  it("lists every monitor in list order (group, none last; name; id) with total and counts", async () => {
    const all = (await api("GET", "/api/v1/status")).body;
    expect(all.total).toBe(all.monitors.length);
    expect(all.next_cursor).toBeNull();
    expect(Object.values(all.counts as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(all.total);
    expect(all.counts.down).toBe(all.monitors.filter((m: any) => m.status === "down").length);
    const keys = all.monitors.map((m: any) => [m.group, m.name, m.id]);
    const sorted = [...keys].sort((a, b) =>
      a[0] !== b[0] && (a[0] === null || b[0] === null)
        ? a[0] === null
          ? 1
          : -1
        : (a[0] ?? "").localeCompare(b[0] ?? "", "en") || a[1].localeCompare(b[1], "en") || (a[2] < b[2] ? -1 : 1),
    );
    expect(keys).toEqual(sorted);
  });

  it("pages with limit and cursor, the pages together being the whole list", async () => {
    const all = (await api("GET", "/api/v1/status")).body;
    const seen: any[] = [];
    let cursor: string | null = null;
    for (let i = 0; i <= all.total; i++) {
      const r = await api("GET", `/api/v1/status?limit=1${cursor ? `&cursor=${cursor}` : ""}`);
      expect(r.status).toBe(200);
      expect(r.body.total).toBe(all.total);
      expect(r.body.counts).toEqual(all.counts);
      seen.push(...r.body.monitors);
      cursor = r.body.next_cursor;
      if (!cursor) break;
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    }
    expect(seen.map((m) => m.id)).toEqual(all.monitors.map((m: any) => m.id));
    expect(seen).toEqual(all.monitors);
    // A limit above the list's length is the whole list.
    expect((await api("GET", "/api/v1/status?limit=1000")).body.monitors).toEqual(all.monitors);
  });

  it("leaves out the day bars with days=none, and nothing else", async () => {
    const all = (await api("GET", "/api/v1/status")).body;
    const lean = (await api("GET", "/api/v1/status?days=none")).body;
    expect(lean.monitors).toEqual(all.monitors.map(({ days, ...rest }: any) => rest));
    expect((await api("GET", "/api/v1/status?days=arrays")).body.monitors).toEqual(all.monitors);
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=1001", "limit"],
    ["limit=ten", "limit"],
    ["limit=", "limit"],
    ["cursor=not-a-cursor", "cursor"],
    ["cursor=%2F%2F", "cursor"],
    [`cursor=${btoa(JSON.stringify({ id: "x" })).replace(/=+$/, "")}`, "cursor"],
    ["days=compact", "days"],
  ])("refuses %s with a 400 naming the parameter", async (query, param) => {
    const r = await api("GET", `/api/v1/status?${query}`);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("invalid_input");
    expect(r.body.error.issues.map((i: any) => i.path)).toEqual([param]);
  });

  it("shows a public caller the same redacted fields on every page", async () => {
    const first = await publicCall("/api/v1/status?limit=1");
    expect(first.status).toBe(200);
    const second = await publicCall(`/api/v1/status?limit=1&cursor=${first.body.next_cursor}&days=none`);
    for (const text of [first.text, second.text])
      for (const s of [SECRET.host, SECRET.header, SECRET.keyword, "private-body", SECRET.ip, "abc123", "POST", "dc1-a"])
        expect(text).not.toContain(s);
    expect(Object.keys(second.body.monitors[0]).sort()).toEqual([
      "group",
      "id",
      "kind",
      "last_check_at",
      "latency_ms",
      "name",
      "since",
      "status",
      "uptime",
    ]);
    expect(Object.keys(first.body).sort()).toEqual(["counts", "generated_at", "monitors", "next_cursor", "total"]);
  });
});

describe("publicTarget", () => {
  it("is an http target's origin and path, without credentials, query or fragment; other kinds' host[:port] as is", () => {
    const http = Monitor.parse({ id: "x", kind: "http", target: "https://www.example.test:8443/health?key=abc#top", public_target: true });
    expect(publicTarget(http)).toBe("https://www.example.test:8443/health");
    // Stored before targets refused credentials.
    expect(publicTarget({ ...http, target: "https://user:pw@www.example.test/" })).toBe("https://www.example.test/");
    const tcp = Monitor.parse({ id: "y", kind: "tcp", runner: "agent", target: "[fd00::5]:5432", public_target: true });
    expect(publicTarget(tcp)).toBe("[fd00::5]:5432");
  });
});

describe("badges", () => {
  it("draw the status and the uptime over a window", async () => {
    const viewer = await tokenFor("viewer");
    const s = await api("GET", `/badge/${PUBLIC_TARGET}/status.svg`, { token: viewer });
    expect(s.status).toBe(200);
    expect(s.headers.get("content-type")).toBe("image/svg+xml; charset=utf-8");
    expect(s.headers.get("cache-control")).toBe("private, no-store");
    expect(s.body).toBe(badgeSvg(statusBadge("down")));
    const u = await api("GET", `/badge/${PRIVATE}/uptime.svg?window=24h`, { token: viewer });
    expect(u.body).toBe(badgeSvg(uptimeBadge("24h", 10 / 13)));
    expect((await api("GET", `/badge/${PRIVATE}/uptime.svg`, { token: viewer })).body).toBe(badgeSvg(uptimeBadge("30d", 10 / 13)));
    expect((await api("GET", `/badge/${PRIVATE}/uptime.svg?window=30d&v=2`, { token: viewer })).status).toBe(200);
  });

  it("answer shields.io's endpoint schema", async () => {
    expect((await api("GET", `/badge/${PUBLIC_TARGET}/shields.json`)).body).toEqual({
      schemaVersion: 1,
      label: "status",
      message: "down",
      color: "red",
    });
    expect((await api("GET", `/badge/${PRIVATE}/shields.json?window=24h`)).body).toEqual({
      schemaVersion: 1,
      label: "uptime 24h",
      message: "76.92%",
      color: "red",
    });
  });

  it("refuse a bad window, 404 an unknown monitor", async () => {
    const bad = await api("GET", `/badge/${PRIVATE}/uptime.svg?window=1y`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe("window");
    expect((await api("GET", "/badge/nope/status.svg")).status).toBe(404);
  });

  it("are public with PUBLIC_STATUS=true, else need a viewer token", async () => {
    for (const path of [`/badge/${PRIVATE}/status.svg`, `/badge/${PRIVATE}/uptime.svg`, `/badge/${PRIVATE}/shields.json`]) {
      expect((await api("GET", path, { token: null })).status, path).toBe(401);
      const open = await publicCall(path);
      expect(open.status, path).toBe(200);
      expect(open.headers.get("cache-control")).toBe("public, max-age=60");
    }
    expect((await api("GET", `/badge/${PRIVATE}/status.svg`, { token: await tokenFor("viewer") })).status).toBe(200);
  });
});
