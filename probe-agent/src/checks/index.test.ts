// The agent's check registry: every kind has a check, runCheck dispatches by kind and turns a bug into an `other` outcome.
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { AGENT_KINDS, Monitor, type AgentKind, type MonitorSpec } from "../../../contract/index.ts";
import { AGENT_CHECKS, defaultDeps, runCheck, type AgentCheckDeps } from "./index.ts";
import type { CheckFn } from "./types.ts";

describe("AGENT_CHECKS", () => {
  it("has exactly one check per kind an agent runs (every kind but the pushed heartbeat)", () => {
    expect(Object.keys(AGENT_CHECKS).sort()).toEqual([...AGENT_KINDS].sort());
    expect(Object.keys(AGENT_CHECKS)).not.toContain("heartbeat");
    for (const kind of AGENT_KINDS) expect(typeof AGENT_CHECKS[kind]).toBe("function");
  });

  it("fails to compile without a kind (checked by tsc)", () => {
    const { icmp: _icmp, ...withoutIcmp } = AGENT_CHECKS;
    // @ts-expect-error: icmp is missing, and the registry's type demands every kind
    const incomplete: { readonly [K in AgentKind]: CheckFn<K, AgentCheckDeps> } = withoutIcmp;
    expect(Object.keys(incomplete)).not.toContain("icmp");
  });
});

describe("runCheck", () => {
  it("dispatches by kind to the real check", async () => {
    const server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const monitor = Monitor.parse({ id: "db", kind: "tcp", target: `127.0.0.1:${port}` });
    const r = await runCheck(monitor, defaultDeps());
    await new Promise((r) => server.close(r));
    expect(r).toMatchObject({ ok: true, error: null, tcp: { port } });
  });

  it("turns an exception (a bug, not a failing target) into an `other` outcome", async () => {
    const deps: AgentCheckDeps = {
      ...defaultDeps(),
      connect: () => {
        throw new TypeError("connect is broken");
      },
    };
    const monitor = Monitor.parse({ id: "db", kind: "tcp", target: "127.0.0.1:5432" }) as MonitorSpec;
    const r = await runCheck(monitor, deps);
    expect(r).toEqual({
      ok: false,
      latency_ms: null,
      error: { kind: "other", message: "the tcp check of 127.0.0.1:5432 failed unexpectedly: TypeError: connect is broken" },
    });
  });
});

describe("failure confirmation", () => {
  it("checks a failure once more and keeps the second answer; not when the monitor opts out", async () => {
    const { createServer: createHttpServer } = await import("node:http");
    const hits = new Map<string, number>();
    const server = createHttpServer((req, res) => {
      const n = (hits.get(req.url!) ?? 0) + 1;
      hits.set(req.url!, n);
      res.writeHead(n === 1 ? 503 : 200).end("ok");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const flaky = Monitor.parse({ id: "web", kind: "http", runner: "agent", interval_s: 10, target: `${base}/a` });
      expect(await runCheck(flaky, defaultDeps())).toMatchObject({ ok: true, error: null, http: { status: 200 } });
      expect(hits.get("/a")).toBe(2);
      const strict = Monitor.parse({
        id: "web2",
        kind: "http",
        runner: "agent",
        interval_s: 10,
        target: `${base}/b`,
        confirm_failures: false,
      });
      expect(await runCheck(strict, defaultDeps())).toMatchObject({ ok: false, error: { kind: "status" } });
      expect(hits.get("/b")).toBe(1);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it("says when a failure was confirmed", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const r = await runCheck(Monitor.parse({ id: "db", kind: "tcp", target: `127.0.0.1:${port}` }), defaultDeps());
    expect(r.error).toMatchObject({ kind: "refused" });
    expect(r).toMatchObject({ ok: false, tries: 3 });
    expect(r.error!.message).toMatch(/\(confirmed by 2 immediate retries\)$/);
  });
});
