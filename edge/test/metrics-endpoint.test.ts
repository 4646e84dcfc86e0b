// GET /metrics through the Worker: who may scrape it, and values that agree with the API after agents push results.
import { env } from "cloudflare:test";
// @ts-expect-error no type declarations
import parsePrometheus from "parse-prometheus-text-format";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/api/app.ts";
import type { Env } from "../src/config/env.ts";
import { api, tokenFor } from "./helpers.ts";

const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
const LOC = "metrics-loc";
const DAY = 86_400_000;

type Family = { name: string; type: string; metrics: Array<{ labels?: Record<string, string>; value: string }> };

async function scrape(opts: { token?: string | null; public?: boolean } = {}) {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const vars = opts.public ? { PUBLIC_STATUS: "true" } : {};
  const res = await createApp().request("/metrics", { headers }, { ...(env as unknown as Env), ...vars }, ctx);
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get("content-type"),
    text,
    families: res.status === 200 ? (parsePrometheus(text) as Family[]) : [],
  };
}

function value(families: Family[], name: string, labels: Record<string, string>): number | undefined {
  const f = families.find((x) => x.name === name);
  const m = f?.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  return m ? Number(m.value) : undefined;
}

let agentToken = "";
const expiresAt = Math.floor((Date.now() + 20 * DAY) / 1000) * 1000;
const rid = () => `r${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
const push = (results: unknown[], backlog = 3) =>
  api("POST", "/api/v1/results", { token: agentToken, body: { version: "9.9.9", backlog, results } });

beforeAll(async () => {
  const reg = await api("POST", "/api/v1/agents", { body: { id: "metrics-a", location: LOC } });
  agentToken = reg.body.token;
  for (const m of [
    { id: "m-tls", name: 'TLS "edge" \\ cert', kind: "tls", target: "127.0.0.1:8443", locations: [LOC] },
    { id: "m-tcp", name: "TCP", kind: "tcp", target: "127.0.0.1:5432", locations: [LOC] },
  ])
    expect((await api("POST", "/api/v1/monitors", { body: m })).status).toBe(201);
  const now = Date.now();
  const tls = { expires_at: expiresAt, days_left: 20, issuer: "Test CA", common_name: "localhost", verified: true };
  expect(
    (
      await push([
        { id: rid(), monitor: "m-tls", ts: now - 2000, ok: true, latency_ms: 4.5, location: LOC, tls },
        { id: rid(), monitor: "m-tcp", ts: now - 3000, ok: true, latency_ms: 1.25, location: LOC, tcp: { port: 5432 } },
        {
          id: rid(),
          monitor: "m-tcp",
          ts: now - 1000,
          ok: false,
          latency_ms: null,
          location: LOC,
          error: { kind: "refused", message: "connection refused" },
        },
      ])
    ).status,
  ).toBe(202);
});

describe("GET /metrics", () => {
  it("needs a viewer token unless the status is public, and refuses agent tokens", async () => {
    expect((await scrape()).status).toBe(401);
    expect((await scrape({ token: agentToken })).status).toBe(403);
    const viewer = await scrape({ token: await tokenFor("viewer") });
    expect(viewer.status).toBe(200);
    expect(viewer.type).toBe("text/plain; version=0.0.4; charset=utf-8");
  });

  it("is public with PUBLIC_STATUS=true, without agents; a token sent there still counts", async () => {
    const anonymous = await scrape({ public: true });
    expect(anonymous.status).toBe(200);
    expect(anonymous.families.map((f) => f.name).filter((n) => n.startsWith("uptime_agent_"))).toEqual([]);
    expect(anonymous.text).not.toContain("metrics-a");
    expect(value(anonymous.families, "uptime_monitor_up", { monitor: "m-tls", location: LOC })).toBe(1);
    const withToken = await scrape({ public: true, token: await tokenFor("viewer") });
    expect(value(withToken.families, "uptime_agent_backlog", { agent: "metrics-a", location: LOC })).toBe(3);
    expect((await scrape({ public: true, token: "ium_not-a-token" })).status).toBe(401);
  });

  it("agrees with the API: latest result per location, state, uptime windows, certificate, agent", async () => {
    const { families } = await scrape({ token: await tokenFor("viewer") });
    expect(value(families, "uptime_monitor_up", { monitor: "m-tcp", location: LOC })).toBe(0);
    expect(value(families, "uptime_monitor_up", { monitor: "m-tls", location: LOC })).toBe(1);
    expect(value(families, "uptime_monitor_response_time_seconds", { monitor: "m-tls", location: LOC })).toBe(0.0045);
    // The latest tcp check measured nothing: no stale response time from the check before it.
    expect(value(families, "uptime_monitor_response_time_seconds", { monitor: "m-tcp", location: LOC })).toBeUndefined();
    expect(value(families, "uptime_monitor_certificate_expiry_timestamp_seconds", { monitor: "m-tls", location: LOC })).toBe(
      expiresAt / 1000,
    );
    const left = value(families, "uptime_monitor_certificate_expiry_seconds", { monitor: "m-tls", location: LOC })!;
    expect(Math.abs(left - (expiresAt - Date.now()) / 1000)).toBeLessThan(60);
    expect(value(families, "uptime_monitor_info", { monitor: "m-tls", name: 'TLS "edge" \\ cert', kind: "tls", runner: "agent" })).toBe(1);

    const status = (await api("GET", "/api/v1/status")).body.monitors as Array<{
      id: string;
      status: string;
      uptime: Record<string, number | null>;
    }>;
    for (const id of ["m-tls", "m-tcp"]) {
      const s = status.find((m) => m.id === id)!;
      expect(value(families, "uptime_monitor_status", { monitor: id, status: s.status })).toBe(1);
      expect(value(families, "uptime_monitor_uptime_ratio", { monitor: id, location: LOC, window: "1d" })).toBe(s.uptime["24h"]);
      expect(value(families, "uptime_monitor_uptime_ratio", { monitor: id, location: LOC, window: "7d" })).toBe(s.uptime["7d"]);
      expect(value(families, "uptime_monitor_uptime_ratio", { monitor: id, location: LOC, window: "30d" })).toBe(s.uptime["30d"]);
    }
    expect(value(families, "uptime_monitor_uptime_ratio", { monitor: "m-tcp", location: LOC, window: "1d" })).toBe(0.5);

    const agent = (await api("GET", "/api/v1/agents")).body.agents.find((a: { id: string }) => a.id === "metrics-a");
    expect(value(families, "uptime_agent_backlog", { agent: "metrics-a", location: LOC })).toBe(agent.backlog);
    expect(value(families, "uptime_agent_info", { agent: "metrics-a", location: LOC, version: "9.9.9" })).toBe(1);
    const age = value(families, "uptime_agent_last_seen_age_seconds", { agent: "metrics-a", location: LOC })!;
    expect(Math.abs(age - (Date.now() - Date.parse(agent.last_seen_at)) / 1000)).toBeLessThan(5);

    const ready = (await api("GET", "/readyz")).body;
    expect(value(families, "uptime_point_outbox_depth", {})).toBe(ready.outbox.depth);
    expect(value(families, "uptime_points_dropped_total", {})).toBe(ready.outbox.dropped);
    expect(value(families, "uptime_point_store_info", { store: "embedded" })).toBe(1);
  });

  it("keeps the newest result when an older one arrives late, and the last known certificate when a check read none", async () => {
    const now = Date.now();
    expect(
      (await push([{ id: rid(), monitor: "m-tcp", ts: now - 60_000, ok: true, latency_ms: 2, location: LOC, tcp: { port: 5432 } }])).status,
    ).toBe(202);
    expect(
      (
        await push([
          {
            id: rid(),
            monitor: "m-tls",
            ts: now,
            ok: false,
            latency_ms: null,
            location: LOC,
            error: { kind: "timeout", message: "no answer" },
          },
        ])
      ).status,
    ).toBe(202);
    const { families } = await scrape({ token: await tokenFor("viewer") });
    expect(value(families, "uptime_monitor_up", { monitor: "m-tcp", location: LOC })).toBe(0);
    expect(value(families, "uptime_monitor_up", { monitor: "m-tls", location: LOC })).toBe(0);
    expect(value(families, "uptime_monitor_certificate_expiry_timestamp_seconds", { monitor: "m-tls", location: LOC })).toBe(
      expiresAt / 1000,
    );
  });

  it("counts pending and dead-lettered notifications as the notifications API lists them", async () => {
    await env.DB.batch([
      env.DB.prepare(
        "INSERT INTO channels (id, name, kind, url, events, created_at, updated_at) VALUES ('m-ch', 'm-ch', 'webhook', 'http://127.0.0.1:9/', '[]', 0, 0)",
      ),
      ...["p1", "p2", "d1", "ok"].map((e) =>
        env.DB.prepare(
          "INSERT INTO alert_events (id, type, monitor_id, timestamp, payload, created_at) VALUES (?, 'monitor.down', 'm-tls', 0, '{}', 0)",
        ).bind(`m-ev-${e}`),
      ),
      env.DB.prepare(
        "INSERT INTO notifications (event_id, channel_id, status, next_attempt_at, created_at) VALUES ('m-ev-p1', 'm-ch', 'pending', ?1, 0), ('m-ev-p2', 'm-ch', 'pending', ?1, 0)",
      ).bind(Date.now() + DAY),
      env.DB.prepare(
        "INSERT INTO notifications (event_id, channel_id, status, created_at, finished_at) VALUES ('m-ev-d1', 'm-ch', 'dead', 0, 1), ('m-ev-ok', 'm-ch', 'delivered', 0, 1)",
      ),
    ]);
    const { families } = await scrape({ token: await tokenFor("viewer") });
    for (const status of ["pending", "dead"]) {
      const listed = (await api("GET", `/api/v1/notifications?status=${status}&limit=1000`)).body.notifications.length;
      expect(listed).toBe(status === "pending" ? 2 : 1);
      expect(value(families, "uptime_notifications", { status }), status).toBe(listed);
    }
  });

  it("drops a deleted monitor's series", async () => {
    expect(
      (await api("POST", "/api/v1/monitors", { body: { id: "m-gone", kind: "tcp", target: "127.0.0.1:1", locations: [LOC] } })).status,
    ).toBe(201);
    expect(
      (await push([{ id: rid(), monitor: "m-gone", ts: Date.now(), ok: true, latency_ms: 1, location: LOC, tcp: { port: 1 } }])).status,
    ).toBe(202);
    expect((await scrape({ token: await tokenFor("viewer") })).text).toContain('monitor="m-gone"');
    expect((await api("DELETE", "/api/v1/monitors/m-gone")).status).toBe(204);
    expect((await scrape({ token: await tokenFor("viewer") })).text).not.toContain('monitor="m-gone"');
  });
});
