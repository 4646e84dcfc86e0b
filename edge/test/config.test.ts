// Configuration is validated before anything is served; a bad one answers 503 with every problem.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/api/app.ts";
import { parseConfig } from "../src/config/config.ts";
import type { Env } from "../src/config/env.ts";
import { SETTINGS } from "../src/config/settings.ts";
import { createLogger } from "../src/observability/log.ts";

const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;

describe("configuration report", () => {
  const bad = {
    DB: undefined,
    ADMIN_TOKEN: "short",
    PUBLIC_STATUS: "maybe",
    LOG_LEVEL: "loud",
    INFLUX_URL: "ftp://influx",
    INFLUX_TOKEN: "t",
    INFLUX_USERNAME: "u",
    EDGE_SUBREQUEST_BUDGET: "lots",
  } as unknown as Env;

  it("answers 503 on /readyz and on every API route, listing every problem", async () => {
    const app = createApp();
    for (const [method, path] of [
      ["GET", "/readyz"],
      ["GET", "/api/v1/monitors"],
      ["POST", "/api/v1/monitors"],
      ["DELETE", "/api/v1/tokens/x"],
      ["GET", "/nope"],
    ]) {
      const res = await app.request(path, { method, headers: { authorization: "Bearer anything" } }, bad, ctx);
      expect(res.status, `${method} ${path}`).toBe(503);
      const body = (await res.json()) as any;
      expect(body.error.code).toBe("config_invalid");
      expect(body.error.message).toMatch(/configuration is invalid \(9 problems\)/);
      expect(body.error.issues.map((i: any) => i.path).sort()).toEqual([
        "ADMIN_TOKEN",
        "CHECKS_QUEUE",
        "DB",
        "EDGE_SUBREQUEST_BUDGET",
        "INFLUX_PASSWORD",
        "INFLUX_TOKEN",
        "INFLUX_URL",
        "LOG_LEVEL",
        "PUBLIC_STATUS",
      ]);
      expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    }
  });

  it("still answers /healthz (liveness) with a bad configuration", async () => {
    const res = await createApp().request("/healthz", {}, bad, ctx);
    expect(res.status).toBe(200);
  });

  it("names a missing ADMIN_TOKEN and D1 binding with how to fix them", () => {
    const r = parseConfig({} as Env);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const byPath = Object.fromEntries(r.issues.map((i) => [i.path, i.message]));
    expect(byPath.ADMIN_TOKEN).toMatch(/wrangler secret put ADMIN_TOKEN/);
    expect(byPath.DB).toMatch(/d1_databases/);
    expect(byPath.CHECKS_QUEUE).toMatch(/queues.producers/);
  });

  it("accepts the real bindings and applies defaults", () => {
    const r = parseConfig(env as unknown as Env);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.influx).toBeNull();
    expect(r.config.subrequestBudget).toBe(50);
    expect(r.config.publicStatus).toBe(false);
  });

  it("lists its settings, the required ones and each default as the one applied when unset", () => {
    expect(SETTINGS.filter((s) => s.required).map((s) => s.name)).toEqual(["ADMIN_TOKEN"]);
    const defaults = Object.fromEntries(SETTINGS.flatMap((s) => (s.default === null ? [] : [[s.name, s.default]])));
    expect(Object.keys(defaults)).toHaveLength(SETTINGS.length - SETTINGS.filter((x) => x.default === null).length);
    expect(Object.keys(defaults)).toContain("RESULT_MAX_AGE_S");
    const base = { DB: env.DB, CHECKS_QUEUE: env.CHECKS_QUEUE, ADMIN_TOKEN: "0123456789abcdef" } as Env;
    expect(parseConfig({ ...base, ...defaults })).toEqual(parseConfig(base));
  });

  it("parses InfluxDB settings with either auth style", () => {
    const base = { DB: env.DB, CHECKS_QUEUE: env.CHECKS_QUEUE, ADMIN_TOKEN: "0123456789abcdef" };
    const t = parseConfig({ ...base, INFLUX_URL: "http://influx:8086/", INFLUX_TOKEN: "tok" } as Env);
    expect(t.ok && t.config.influx).toEqual({
      url: "http://influx:8086",
      database: "uptime",
      retentionPolicy: null,
      auth: { token: "tok" },
    });
    const u = parseConfig({
      ...base,
      INFLUX_URL: "http://influx:8086",
      INFLUX_USERNAME: "u",
      INFLUX_PASSWORD: "p",
      INFLUX_RETENTION_POLICY: "r400d",
    } as Env);
    expect(u.ok && u.config.influx).toEqual({
      url: "http://influx:8086",
      database: "uptime",
      retentionPolicy: "r400d",
      auth: { username: "u", password: "p" },
    });
  });
});

describe("structured logs", () => {
  it("writes one JSON object per event with level, msg and context", () => {
    const lines: string[] = [];
    const log = createLogger(
      "info",
      { request_id: "r1" },
      (_l, line) => lines.push(line),
      () => 0,
    );
    log.debug("hidden");
    log.info("check done", { monitor: "m1", duration_ms: 12 });
    log.child({ monitor: "m2" }).error("failed", { error: new Error("boom") });
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!)).toEqual({
      ts: "1970-01-01T00:00:00.000Z",
      level: "info",
      msg: "check done",
      request_id: "r1",
      monitor: "m1",
      duration_ms: 12,
    });
    const second = JSON.parse(lines[1]!);
    expect(second).toMatchObject({
      level: "error",
      msg: "failed",
      request_id: "r1",
      monitor: "m2",
      error: { name: "Error", message: "boom" },
    });
  });
});

describe("configuration problems are logged once", () => {
  it("logs the report a single time however many requests arrive", async () => {
    const { vi } = await import("vitest");
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const env = {
        DB: undefined,
        CHECKS_QUEUE: (await import("cloudflare:test")).env.CHECKS_QUEUE,
        ADMIN_TOKEN: "only-once-but-long-enough",
      } as unknown as Env;
      const app = createApp();
      for (let i = 0; i < 5; i++) expect((await app.request("/api/v1/monitors", {}, env, ctx)).status).toBe(503);
      const reports = spy.mock.calls.filter((c) => String(c[0]).includes('"configuration invalid"'));
      expect(reports).toHaveLength(1);
      expect(JSON.parse(String(reports[0]![0])).issues).toEqual([
        { path: "DB", message: 'D1 binding is missing: add [[d1_databases]] with binding = "DB" to wrangler.toml' },
      ]);
    } finally {
      spy.mockRestore();
    }
  });
});
