// Configuration: defaults, durations, and every problem listed by path.
import { describe, expect, it } from "vitest";
import { agentPolicy } from "../../contract/egress.ts";
import { SETTINGS, loadConfig, parseDuration, parseListen } from "./config.ts";

const base = { EDGE_URL: "https://uptime.example.net/", AGENT_TOKEN: "ium_abc" };

describe("loadConfig", () => {
  it("applies the documented defaults", () => {
    const r = loadConfig(base);
    expect(r).toEqual({
      ok: true,
      config: {
        edgeUrl: "https://uptime.example.net",
        token: "ium_abc",
        listen: { host: "0.0.0.0", port: 9464 },
        dataDir: "./data",
        outboxMaxResults: 100_000,
        outboxMaxAgeMs: 7 * 86_400_000,
        concurrency: 256,
        assignmentsRefreshMs: 30_000,
        pushBatch: 500,
        shutdownTimeoutMs: 8000,
        logLevel: "info",
        edgeProxy: null,
        egress: agentPolicy(),
      },
    });
  });

  it("reads the proxy for the edge from HTTPS_PROXY, HTTP_PROXY and NO_PROXY, in either case", () => {
    const upper = loadConfig({ ...base, HTTPS_PROXY: "http://user:pw@proxy.internal:3128", NO_PROXY: "localhost,.internal" });
    expect(upper.ok && upper.config.edgeProxy).toEqual({
      httpsProxy: "http://user:pw@proxy.internal:3128/",
      noProxy: "localhost,.internal",
    });
    const lower = loadConfig({ ...base, http_proxy: "http://10.0.0.1:8080", https_proxy: "https://proxy.internal" });
    expect(lower.ok && lower.config.edgeProxy).toEqual({ httpProxy: "http://10.0.0.1:8080/", httpsProxy: "https://proxy.internal/" });
    // Upper case wins; NO_PROXY alone is no proxy.
    const both = loadConfig({ ...base, HTTPS_PROXY: "http://a:1", https_proxy: "http://b:2" });
    expect(both.ok && both.config.edgeProxy).toEqual({ httpsProxy: "http://a:1/" });
    expect((loadConfig({ ...base, NO_PROXY: "*" }) as { ok: true; config: { edgeProxy: unknown } }).config.edgeProxy).toBeNull();
    const bad = loadConfig({ ...base, HTTPS_PROXY: "proxy.internal:3128", http_proxy: "socks5://p:1080" });
    expect(!bad.ok && bad.issues).toEqual([
      { path: "HTTPS_PROXY", message: "must be the proxy's URL with http:// or https://, e.g. http://proxy.internal:3128" },
      { path: "HTTP_PROXY", message: "must be the proxy's URL with http:// or https://, e.g. http://proxy.internal:3128" },
    ]);
  });

  it("reads every setting; empty means unset", () => {
    const r = loadConfig({
      ...base,
      AGENT_LISTEN: "[::1]:0",
      AGENT_DATA_DIR: "/var/lib/agent",
      OUTBOX_MAX_RESULTS: "50",
      OUTBOX_MAX_AGE: "1h30m",
      CONCURRENCY: "8",
      ASSIGNMENTS_REFRESH_S: "5",
      PUSH_BATCH: "1000",
      SHUTDOWN_TIMEOUT: "20s",
      LOG_LEVEL: "",
    });
    expect(r.ok && r.config).toMatchObject({
      listen: { host: "::1", port: 0 },
      dataDir: "/var/lib/agent",
      outboxMaxResults: 50,
      outboxMaxAgeMs: 5_400_000,
      concurrency: 8,
      assignmentsRefreshMs: 5000,
      pushBatch: 1000,
      shutdownTimeoutMs: 20_000,
      logLevel: "info",
    });
  });

  it("lists every problem with its path", () => {
    const r = loadConfig({
      EDGE_URL: "ftp://edge",
      PUSH_BATCH: "1001",
      CONCURRENCY: "lots",
      OUTBOX_MAX_AGE: "7 days",
      AGENT_LISTEN: "9464",
      LOG_LEVEL: "loud",
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toEqual([
      { path: "EDGE_URL", message: "must use http:// or https://" },
      { path: "AGENT_TOKEN", message: "is required: the token POST /api/v1/agents returned for this agent" },
      { path: "AGENT_LISTEN", message: "must be host:port, e.g. 0.0.0.0:9464 (IPv6 as [::]:9464)" },
      { path: "OUTBOX_MAX_AGE", message: 'must be a duration such as "30s", "15m", "7d" or "1h30m"' },
      { path: "CONCURRENCY", message: "must be a whole number" },
      { path: "PUSH_BATCH", message: "must be at most 1000" },
      { path: "LOG_LEVEL", message: "must be one of trace, debug, info, warn, error, fatal, silent" },
    ]);
  });

  it("lists its settings, the required ones and each default as the one applied when unset", () => {
    expect(SETTINGS.filter((s) => s.required).map((s) => s.name)).toEqual(["EDGE_URL", "AGENT_TOKEN"]);
    const defaults = Object.fromEntries(SETTINGS.flatMap((s) => (s.default === null ? [] : [[s.name, s.default]])));
    expect(Object.keys(defaults)).toHaveLength(9);
    expect(loadConfig({ ...base, ...defaults })).toEqual(loadConfig(base));
  });

  it("requires EDGE_URL", () => {
    const r = loadConfig({ AGENT_TOKEN: "x" });
    expect(!r.ok && r.issues).toEqual([{ path: "EDGE_URL", message: "is required: the edge's base URL, e.g. https://uptime.example.net" }]);
  });
});

describe("parsers", () => {
  it("durations", () => {
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("15m")).toBe(900_000);
    expect(parseDuration("7d")).toBe(604_800_000);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("1.5h")).toBe(5_400_000);
    expect(parseDuration("30")).toBeNull();
    expect(parseDuration("s")).toBeNull();
  });
  it("listen addresses", () => {
    expect(parseListen("127.0.0.1:0")).toEqual({ host: "127.0.0.1", port: 0 });
    expect(parseListen("[::]:9464")).toEqual({ host: "::", port: 9464 });
    expect(parseListen("host:70000")).toBe("port must be between 0 and 65535");
  });
});
