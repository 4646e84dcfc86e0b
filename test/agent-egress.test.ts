// The agent's egress settings, cross-process: the real agent (the bundle the container ships) started with
// EGRESS_DENY=127.0.0.0/8 is assigned tcp, http and icmp monitors of live loopback targets by a stand-in edge.
// Whatever the edge sends, the agent refuses them without a connection, and pushes each as a failed result
// saying so; an agent with the default settings reaches the same targets.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckResult } from "../contract/index.ts";
import { EdgeStub, idsDueSoon, waitFor } from "../probe-agent/test/helpers.ts";
import { startAgentProcess, type AgentProcess } from "./services/agent-process.ts";

let tcp: net.Server;
let tcpPort: number;
let tcpConnections = 0;
let http: Server;
let httpPort: number;
let httpRequests = 0;
const agents: AgentProcess[] = [];
const edges: EdgeStub[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  tcp = net.createServer((s) => {
    tcpConnections++;
    s.on("error", () => {});
    s.end("+");
  });
  await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
  tcpPort = (tcp.address() as net.AddressInfo).port;
  http = createServer((_req, res) => {
    httpRequests++;
    res.end("ok\n");
  });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  httpPort = (http.address() as net.AddressInfo).port;
}, 120_000);

afterAll(async () => {
  for (const a of agents) await a.kill("SIGKILL");
  for (const e of edges) await e.close();
  tcp?.close();
  http?.closeAllConnections();
  http?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** An agent of its own stand-in edge, assigned `monitors`, with `env` on top of the test defaults. */
async function agentWith(env: Record<string, string>, monitors: unknown[]) {
  const edge = await new EdgeStub().start();
  edges.push(edge);
  edge.assignments.monitors = monitors;
  const dataDir = mkdtempSync(path.join(tmpdir(), "ium-agent-egress-"));
  dirs.push(dataDir);
  const agent = await startAgentProcess({
    edgeUrl: edge.url,
    token: "test-agent-token",
    dataDir,
    env: { ASSIGNMENTS_REFRESH_S: "1", ...env },
  });
  agents.push(agent);
  return { edge, agent };
}

const resultOf = (edge: EdgeStub, id: string) =>
  waitFor(() => [...edge.stored.values()].find((r: CheckResult) => r.monitor === id), 20_000, `the result of ${id}`);

describe("an agent with EGRESS_DENY=127.0.0.0/8", () => {
  it("refuses loopback tcp, http and icmp targets without connecting, and says why in the results", async () => {
    const [tcpId, httpId, icmpId] = idsDueSoon("deny", 3, 10_000, 1000, 4000);
    const common = { interval_s: 10, timeout_ms: 2000, confirm_failures: false };
    const { edge, agent } = await agentWith({ EGRESS_DENY: "127.0.0.0/8" }, [
      { id: tcpId, kind: "tcp", target: `127.0.0.1:${tcpPort}`, ...common },
      { id: httpId, kind: "http", runner: "agent", target: `http://127.0.0.1:${httpPort}/`, ...common },
      { id: icmpId, kind: "icmp", target: "127.0.0.1", ...common },
    ]);
    const before = { tcp: tcpConnections, http: httpRequests };
    const [t, h, i] = await Promise.all([resultOf(edge, tcpId!), resultOf(edge, httpId!), resultOf(edge, icmpId!)]);
    expect(tcpConnections).toBe(before.tcp);
    expect(httpRequests).toBe(before.http);
    expect(t.error).toEqual({
      kind: "other",
      message: `127.0.0.1:${tcpPort}: 127.0.0.1 is refused by this agent's egress policy: EGRESS_DENY lists 127.0.0.0/8; nothing was sent`,
    });
    expect(h.error).toEqual({
      kind: "other",
      message: `GET http://127.0.0.1:${httpPort}/: 127.0.0.1 is refused by this agent's egress policy: EGRESS_DENY lists 127.0.0.0/8; nothing was sent`,
    });
    expect(i.error).toEqual({
      kind: "other",
      message: "127.0.0.1: 127.0.0.1 is refused by this agent's egress policy: EGRESS_DENY lists 127.0.0.0/8; nothing was sent",
    });
    expect(agent.logs.find((l) => /^egress policy/.test(l.msg))).toMatchObject({ deny: ["127.0.0.0/8"] });
  }, 60_000);
});

describe("an agent with the default settings", () => {
  it("reaches the same loopback targets (agents check private networks and loopback by default)", async () => {
    const [tcpId, httpId] = idsDueSoon("default", 2, 10_000, 1000, 4000);
    const common = { interval_s: 10, timeout_ms: 2000 };
    const { edge } = await agentWith({}, [
      { id: tcpId, kind: "tcp", target: `127.0.0.1:${tcpPort}`, ...common },
      { id: httpId, kind: "http", runner: "agent", target: `http://127.0.0.1:${httpPort}/`, ...common },
    ]);
    const [t, h] = await Promise.all([resultOf(edge, tcpId!), resultOf(edge, httpId!)]);
    expect(t).toMatchObject({ ok: true, error: null });
    expect(h).toMatchObject({ ok: true, error: null });
  }, 60_000);
});
