// The shared contract: schemas both edge/ and probe-agent/ rely on.
import { describe, expect, it } from "vitest";
import {
  CheckResult,
  IngestBatch,
  Monitor,
  MAX_BATCH_RESULTS,
  Timestamp,
  mergePatch,
  parseHostPort,
  parseTimeParam,
  toIssues,
} from "./index.ts";

const result = (extra: Record<string, unknown> = {}) => ({
  id: "01JABCDEF",
  monitor: "db-primary",
  ts: 1764216000000,
  ok: true,
  latency_ms: 1.84,
  location: "dc1",
  agent: "dc1-a",
  error: null,
  tcp: { port: 5432 },
  ...extra,
});

describe("Timestamp", () => {
  it("accepts epoch ms and RFC 3339 both ways", () => {
    expect(Timestamp.parse(1764216000000)).toBe(1764216000000);
    expect(Timestamp.parse("2025-11-27T04:00:00Z")).toBe(1764216000000);
    expect(Timestamp.parse("2025-11-27T05:00:00+01:00")).toBe(1764216000000);
    expect(Timestamp.safeParse("yesterday").success).toBe(false);
    expect(Timestamp.safeParse(1.5).success).toBe(false);
    expect(parseTimeParam("1764216000000")).toBe(1764216000000);
    expect(parseTimeParam("2025-11-27T04:00:00.000Z")).toBe(1764216000000);
    expect(parseTimeParam("nope")).toBeUndefined();
  });
});

describe("targets", () => {
  it("parses host:port including IPv6", () => {
    expect(parseHostPort("db.internal:5432")).toEqual({ host: "db.internal", port: 5432 });
    expect(parseHostPort("[::1]:443")).toEqual({ host: "::1", port: 443 });
    expect(parseHostPort("10.0.0.1:22")).toEqual({ host: "10.0.0.1", port: 22 });
    expect(parseHostPort("::1:443")).toMatch(/host:port/);
    expect(parseHostPort("db:0")).toMatch(/between 1 and 65535/);
    expect(parseHostPort("db")).toMatch(/host:port/);
  });
});

describe("CheckResult", () => {
  it("accepts the CheckResult example of docs/architecture.md", () => {
    expect(CheckResult.parse(result())).toMatchObject({ id: "01JABCDEF", ok: true, tcp: { port: 5432 } });
  });
  it("requires an error on failure and none on success", () => {
    const fail = CheckResult.safeParse(result({ ok: false }));
    expect(fail.success).toBe(false);
    expect(toIssues(fail.error!)).toEqual([{ path: "error", message: "a failed result (ok: false) must say why" }]);
    const both = CheckResult.safeParse(result({ error: { kind: "timeout", message: "x" } }));
    expect(toIssues(both.error!)[0]!.path).toBe("error");
  });
  it("rejects unknown keys and bad error kinds by path", () => {
    const r = CheckResult.safeParse(result({ ok: false, error: { kind: "gremlins", message: "x" }, extra: 1 }));
    expect(
      toIssues(r.error!)
        .map((i) => i.path)
        .sort(),
    ).toEqual(["error.kind", "extra"]);
  });

  it("takes a tls chain that starts with its only leaf, each certificate as Telegraf's x509_cert describes it", () => {
    const cert = (type: string, over: Record<string, unknown> = {}) => ({
      type,
      serial_number: "3a0f",
      not_before: 1764000000000,
      not_after: 1767225600000,
      verified: true,
      ...over,
    });
    const tls = (chain: unknown[]) => result({ tcp: undefined, tls: { expires_at: 1767225600000, days_left: 30, issuer: "CA", chain } });
    const ok = CheckResult.parse(tls([cert("leaf"), cert("intermediate"), cert("root")]));
    expect(ok.tls!.chain![0]).toMatchObject({
      type: "leaf",
      common_name: null,
      san: null,
      signature_algorithm: null,
      verification_error: null,
    });
    for (const [chain, path] of [
      [[cert("intermediate")], "tls.chain"],
      [[cert("leaf"), cert("leaf")], "tls.chain"],
      [[cert("leaf", { serial_number: "3A0F" })], "tls.chain[0].serial_number"],
      [[cert("leaf", { signature_algorithm: "SHA256 RSA" })], "tls.chain[0].signature_algorithm"],
      [[cert("leaf", { type: "unknown" })], "tls.chain[0].type"],
    ] as const) {
      const r = CheckResult.safeParse(tls([...chain]));
      expect(r.success, JSON.stringify(chain)).toBe(false);
      expect(toIssues(r.error!).map((i) => i.path)).toContain(path);
    }
  });

  it("bounds the icmp ttl to a byte and keeps the new detail fields optional", () => {
    const icmp = (extra: Record<string, unknown>) =>
      result({ tcp: undefined, icmp: { sent: 1, received: 1, loss: 0, rtt_min_ms: 1, rtt_avg_ms: 1, rtt_max_ms: 1, ...extra } });
    expect(CheckResult.parse(icmp({})).icmp).not.toHaveProperty("ttl");
    expect(CheckResult.parse(icmp({ ttl: 255, rtt_stddev_ms: 0 })).icmp).toMatchObject({ ttl: 255, rtt_stddev_ms: 0 });
    expect(CheckResult.safeParse(icmp({ ttl: 256 })).success).toBe(false);
    expect(CheckResult.parse(result({ tcp: { port: 25, expect_found: false } })).tcp).toEqual({ port: 25, expect_found: false });
  });
});

describe("IngestBatch", () => {
  it("caps a batch at 1,000 results and names the failing entry", () => {
    const many = Array.from({ length: MAX_BATCH_RESULTS + 1 }, (_, i) => result({ id: `r${i}` }));
    const r = IngestBatch.safeParse({ results: many });
    expect(toIssues(r.error!)).toEqual([{ path: "results", message: "at most 1000 results per batch" }]);
    const bad = IngestBatch.safeParse({ results: [result(), result({ latency_ms: -1 })] });
    expect(toIssues(bad.error!)[0]!.path).toBe("results[1].latency_ms");
  });
});

describe("Monitor", () => {
  it("fills kind-specific defaults", () => {
    const m = Monitor.parse({ id: "a", kind: "tcp", target: "h:1", interval_s: 10 });
    expect(m).toMatchObject({ name: "a", runner: "agent", timeout_ms: 5000, tcp: { send: null, expect: null, expect_regex: false } });
  });
  it("merge patch: objects merge, null removes, arrays replace", () => {
    expect(mergePatch({ a: 1, b: { c: 2, d: 3 }, e: [1] }, { b: { c: null, x: 1 }, e: [2], a: null })).toEqual({
      b: { d: 3, x: 1 },
      e: [2],
    });
  });
});
