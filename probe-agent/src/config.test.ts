// Configuration: defaults, durations, and every problem listed by path.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
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
        tokenFile: null,
        tokenReloadMs: 10_000,
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
      { path: "AGENT_TOKEN", message: "is required, or AGENT_TOKEN_FILE: the token POST /api/v1/agents returned for this agent" },
      { path: "AGENT_LISTEN", message: "must be host:port, e.g. 0.0.0.0:9464 (IPv6 as [::]:9464)" },
      { path: "OUTBOX_MAX_AGE", message: 'must be a duration such as "30s", "15m", "7d" or "1h30m"' },
      { path: "CONCURRENCY", message: "must be a whole number" },
      { path: "PUSH_BATCH", message: "must be at most 1000" },
      { path: "LOG_LEVEL", message: "must be one of trace, debug, info, warn, error, fatal, silent" },
    ]);
  });

  it("lists its settings, the required ones and each default as the one applied when unset", () => {
    // AGENT_TOKEN or AGENT_TOKEN_FILE: neither alone is required (loadConfig checks the pair).
    expect(SETTINGS.filter((s) => s.required).map((s) => s.name)).toEqual(["EDGE_URL"]);
    const defaults = Object.fromEntries(SETTINGS.flatMap((s) => (s.default === null ? [] : [[s.name, s.default]])));
    expect(Object.keys(defaults)).toHaveLength(10);
    expect(loadConfig({ ...base, ...defaults })).toEqual(loadConfig(base));
  });

  it("requires EDGE_URL", () => {
    const r = loadConfig({ AGENT_TOKEN: "x" });
    expect(!r.ok && r.issues).toEqual([{ path: "EDGE_URL", message: "is required: the edge's base URL, e.g. https://uptime.example.net" }]);
  });
});

describe("the agent token: AGENT_TOKEN or AGENT_TOKEN_FILE", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "agent-config-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const edge = { EDGE_URL: "https://uptime.example.net" };

  it("reads the token from the file, trimmed of its newline, and re-reads it every AGENT_TOKEN_RELOAD_S", () => {
    const tokenFile = file("token", "ium_from_file\n");
    const r = loadConfig({ ...edge, AGENT_TOKEN_FILE: tokenFile, AGENT_TOKEN_RELOAD_S: "3" });
    expect(r.ok && r.config).toMatchObject({ token: "ium_from_file", tokenFile, tokenReloadMs: 3000 });
    // Empty AGENT_TOKEN counts as unset, as for every setting.
    const r2 = loadConfig({ ...edge, AGENT_TOKEN: "", AGENT_TOKEN_FILE: file("spaced", "  \tium_x \r\n\n") });
    expect(r2.ok && r2.config).toMatchObject({ token: "ium_x" });
  });

  it("reads it through symbolic links, as a mounted Secret is laid out", () => {
    const tokenFile = file("linked-target", "ium_linked\n");
    const link = path.join(dir, "linked");
    rmSync(link, { force: true });
    symlinkSync(tokenFile, link);
    const r = loadConfig({ ...edge, AGENT_TOKEN_FILE: link });
    expect(r.ok && r.config).toMatchObject({ token: "ium_linked", tokenFile: link });
  });

  it("refuses both at once, naming both", () => {
    const r = loadConfig({ ...edge, AGENT_TOKEN: "ium_abc", AGENT_TOKEN_FILE: file("both", "ium_def") });
    expect(!r.ok && r.issues).toEqual([
      { path: "AGENT_TOKEN", message: "AGENT_TOKEN and AGENT_TOKEN_FILE are both set; give the token one way only" },
    ]);
  });

  it("refuses a file that cannot give a token, naming the file", () => {
    const missing = path.join(dir, "missing");
    const sub = path.join(dir, "a-directory");
    mkdirSync(sub, { recursive: true });
    const cases: Array<[string, string]> = [
      [missing, `cannot read ${missing}: no such file (ENOENT)`],
      [file("empty", ""), `${path.join(dir, "empty")} is empty`],
      [file("blank", " \n\n"), `${path.join(dir, "blank")} is empty`],
      [
        file("two-words", "ium_a ium_b\n"),
        `${path.join(dir, "two-words")} holds more than one word; the token must not contain whitespace`,
      ],
      [file("huge", "x".repeat(20_000)), `${path.join(dir, "huge")} is larger than 16384 bytes; it cannot be a token`],
      [sub, `${sub} is not a regular file`],
    ];
    for (const [tokenFile, message] of cases)
      expect(loadConfig({ ...edge, AGENT_TOKEN_FILE: tokenFile }), tokenFile).toEqual({
        ok: false,
        issues: [{ path: "AGENT_TOKEN_FILE", message }],
      });
  });

  it.skipIf(process.getuid?.() === 0)("refuses a file it may not read", () => {
    const locked = file("locked", "ium_secret\n");
    chmodSync(locked, 0o000);
    expect(loadConfig({ ...edge, AGENT_TOKEN_FILE: locked })).toEqual({
      ok: false,
      issues: [{ path: "AGENT_TOKEN_FILE", message: `cannot read ${locked}: permission denied (EACCES)` }],
    });
  });

  it("lists the token's problems in the settings' order among the others", () => {
    const r = loadConfig({ EDGE_URL: "ftp://edge", AGENT_TOKEN_FILE: path.join(dir, "nope"), AGENT_TOKEN_RELOAD_S: "0", PUSH_BATCH: "0" });
    expect(!r.ok && r.issues).toEqual([
      { path: "EDGE_URL", message: "must use http:// or https://" },
      { path: "AGENT_TOKEN_FILE", message: `cannot read ${path.join(dir, "nope")}: no such file (ENOENT)` },
      { path: "AGENT_TOKEN_RELOAD_S", message: "must be at least 1" },
      { path: "PUSH_BATCH", message: "must be at least 1" },
    ]);
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
