// The agent's check registry: every kind has a check, runCheck dispatches by kind and turns a bug into an `other` outcome.
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { KINDS, Monitor, type Kind, type MonitorSpec } from "../../../contract/index.ts";
import { AGENT_CHECKS, defaultDeps, runCheck, type AgentCheckDeps } from "./index.ts";
import type { CheckFn } from "./types.ts";

describe("AGENT_CHECKS", () => {
  it("has exactly one check per kind of the contract", () => {
    expect(Object.keys(AGENT_CHECKS).sort()).toEqual([...KINDS].sort());
    for (const kind of KINDS) expect(typeof AGENT_CHECKS[kind]).toBe("function");
  });

  it("fails to compile without a kind (checked by tsc)", () => {
    const { icmp: _icmp, ...withoutIcmp } = AGENT_CHECKS;
    // @ts-expect-error: icmp is missing, and the registry's type demands every kind
    const incomplete: { readonly [K in Kind]: CheckFn<K, AgentCheckDeps> } = withoutIcmp;
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
