// The real agent process (`node probe-agent/src/main.ts`, real checks) against a stand-in edge:
// configuration errors exit 1 listing every problem; SIGTERM flushes and exits 0; SIGKILL during an
// outage loses nothing, and the restarted agent keeps checking from its cached assignments.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { EdgeStub, idsDueSoon, startTarget, waitFor } from "../test/helpers.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const NODE = path.join(ROOT, "node_modules/.bin/node");
const MAIN = path.join(ROOT, "probe-agent/src/main.ts");

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Proc = {
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
};

function run(env: Record<string, string>): Proc {
  // Only what the test gives: no inherited AGENT_* or EDGE_* from the machine.
  const child = spawn(NODE, [MAIN], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const logs: Array<Record<string, unknown>> = [];
  let buf = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split("\n");
    buf = lines.pop()!;
    for (const l of lines) if (l.trim()) logs.push(JSON.parse(l) as Record<string, unknown>);
  });
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on("exit", (code, signal) => r({ code, signal })),
  );
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  });
  return { child, logs, exited, stderr: () => stderr };
}

const started = async (p: Proc) => {
  const line = await waitFor(() => p.logs.find((l) => l.msg === "agent started"), 15_000, "the agent to start");
  return String(line.listen);
};
const health = async (url: string) =>
  (await fetch(`${url}/healthz`)).json() as Promise<{ outbox: { depth: number }; assignments: { source: string; monitors: number } }>;

async function scenario() {
  const edge = await new EdgeStub().start();
  const target = await startTarget();
  const dir = mkdtempSync(path.join(os.tmpdir(), "agent-proc-"));
  cleanups.push(async () => {
    await target.close();
    await edge.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const env = {
    EDGE_URL: edge.url,
    AGENT_TOKEN: "test-agent-token",
    AGENT_LISTEN: "127.0.0.1:0",
    AGENT_DATA_DIR: dir,
    ASSIGNMENTS_REFRESH_S: "1",
    LOG_LEVEL: "info",
  };
  return { edge, target, dir, env };
}

describe("main.ts", () => {
  it("exits 1 listing every configuration problem", async () => {
    const p = run({ EDGE_URL: "not a url", PUSH_BATCH: "1001", OUTBOX_MAX_AGE: "forever", AGENT_LISTEN: "nowhere" });
    const { code } = await p.exited;
    expect(code).toBe(1);
    const fatal = p.logs.find((l) => l.level === "fatal")!;
    expect(fatal.msg).toBe("invalid configuration: 5 problems; see issues");
    expect((fatal.issues as Array<{ path: string }>).map((i) => i.path)).toEqual([
      "EDGE_URL",
      "AGENT_TOKEN",
      "AGENT_LISTEN",
      "OUTBOX_MAX_AGE",
      "PUSH_BATCH",
    ]);
  });

  it("exits 1 naming the file when AGENT_TOKEN_FILE gives no token, and when both token settings are set", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "agent-token-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const missing = path.join(dir, "token");
    const p = run({ EDGE_URL: "http://127.0.0.1:1", AGENT_TOKEN_FILE: missing });
    expect((await p.exited).code).toBe(1);
    expect(p.logs.find((l) => l.level === "fatal")).toMatchObject({
      msg: "invalid configuration: 1 problem; see issues",
      issues: [{ path: "AGENT_TOKEN_FILE", message: `cannot read ${missing}: no such file (ENOENT)` }],
    });
    writeFileSync(missing, "ium_x\n");
    const q = run({ EDGE_URL: "http://127.0.0.1:1", AGENT_TOKEN_FILE: missing, AGENT_TOKEN: "ium_x" });
    expect((await q.exited).code).toBe(1);
    expect(q.logs.find((l) => l.level === "fatal")).toMatchObject({
      issues: [{ path: "AGENT_TOKEN", message: "AGENT_TOKEN and AGENT_TOKEN_FILE are both set; give the token one way only" }],
    });
  });

  it("exits 1 when it cannot start (data directory in use by another agent)", async () => {
    const { env } = await scenario();
    const first = run(env);
    await started(first);
    const second = run(env);
    expect((await second.exited).code).toBe(1);
    expect(second.logs.find((l) => l.level === "fatal")).toMatchObject({
      msg: "agent could not start",
      error: expect.stringMatching(/in use by another process/),
    });
  });

  it("the container healthcheck exits 0 while /healthz answers 200, 1 on 503 or no answer", async () => {
    const { edge, env } = await scenario();
    const healthcheck = async (listen: string) => {
      const p = spawn(NODE, [path.join(ROOT, "probe-agent/src/healthcheck.ts")], {
        env: { PATH: process.env.PATH ?? "", AGENT_LISTEN: listen },
        stdio: "ignore",
      });
      return new Promise<number | null>((r) => p.on("exit", (code) => r(code)));
    };
    const p = run(env);
    const listen = new URL(await started(p)).host;
    await waitFor(async () => (await fetch(`http://${listen}/healthz`)).status === 200, 5000, "a healthy agent");
    expect(await healthcheck(listen)).toBe(0);
    p.child.kill("SIGTERM");
    expect((await p.exited).code).toBe(0);
    expect(await healthcheck(listen)).toBe(1);
    // Never reached the edge, nothing cached: 503, unhealthy.
    await edge.close();
    rmSync(env.AGENT_DATA_DIR, { recursive: true, force: true });
    const q = run(env);
    const listen2 = new URL(await started(q)).host;
    expect(await healthcheck(listen2)).toBe(1);
  });

  it("SIGTERM: in-flight checks finish, the outbox is flushed once, exit 0", async () => {
    const { edge, target, env } = await scenario();
    // The edge asks for an hour's patience: results wait in the outbox until the shutdown flush.
    let accept = false;
    edge.results = () => (accept ? null : { status: 503, headers: { "retry-after": "3600" } });
    const p = run(env);
    const url = await started(p);
    const ids = await assignSoon(edge, "sigterm", 3, target.port);
    await waitFor(
      async () => (await health(url)).outbox.depth >= 3 && coversAll(ids, p),
      SLOT_WAIT_MS,
      "a result of every monitor in the outbox",
    );
    accept = true;
    p.child.kill("SIGTERM");
    const { code } = await p.exited;
    expect(code).toBe(0);
    expect(new Set([...edge.stored.values()].map((r) => r.monitor))).toEqual(new Set(ids));
    expect([...edge.stored.values()].every((r) => r.ok && r.agent === "dc1-a" && r.location === "dc1")).toBe(true);
    expect(p.logs.find((l) => l.msg === "agent stopped")).toMatchObject({ remaining: 0, unfinished: 0 });
  });

  it("SIGKILL during an outage loses nothing; the restarted agent checks from its cache and delivers everything once", async () => {
    const { edge, target, env } = await scenario();
    let down = true;
    const offered = new Map<string, string>();
    edge.results = (b) => {
      for (const r of b.results) offered.set(r.id, r.monitor);
      return down ? { status: 503, headers: { "retry-after": "1" } } : null;
    };
    const first = run(env);
    await started(first);
    const ids = await assignSoon(edge, "sigkill", 4, target.port);
    // Every monitor's result is in the outbox and was offered to (and refused by) the edge.
    await waitFor(
      () => ids.every((id) => [...offered.values()].includes(id)),
      SLOT_WAIT_MS,
      "a result of every monitor offered to the failing edge",
    );
    first.child.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");

    // The edge is still down for assignments too: the restarted agent runs its cached ones.
    edge.assignmentReplies = Array.from({ length: 1000 }, () => ({ status: 503 }));
    const second = run(env);
    const url2 = await started(second);
    const h = await health(url2);
    expect(h.assignments).toMatchObject({ source: "cache", monitors: 4 });
    expect(h.outbox.depth).toBeGreaterThanOrEqual(offered.size);
    down = false;
    await waitFor(() => [...offered.keys()].every((id) => edge.stored.has(id)), 10_000, "every buffered result delivered");
    // Nothing twice: no result was sent again after the edge had stored it.
    expect(edge.duplicates).toBe(0);
    second.child.kill("SIGTERM");
    expect((await second.exited).code).toBe(0);
  });
});

/**
 * Up to a whole interval (10 s, the contract's minimum) plus slack: the monitors are assigned to
 * fire 1.5-4 s after the agent started, but a loaded machine may miss that slot, and the next one
 * comes an interval later.
 */
const SLOT_WAIT_MS = 25_000;

/** Assigns `n` tcp monitors (to the running agent, picked up at its next 1 s refresh) due 1.5-4 s from now. */
async function assignSoon(edge: EdgeStub, prefix: string, n: number, port: number): Promise<string[]> {
  await waitFor(() => edge.requests.some((r) => r.path === "/api/v1/agents/me/assignments"), 10_000, "the first assignments request");
  const ids = idsDueSoon(prefix, n, 10_000, 1500, 4000);
  edge.assignments.monitors = ids.map((id) => ({ id, kind: "tcp", target: `127.0.0.1:${port}`, interval_s: 10 }));
  return ids;
}

/** Whether the agent's logs show a finished check of every monitor (each monitor's first result is an info event). */
function coversAll(ids: string[], p: Proc): boolean {
  const seen = new Set(p.logs.filter((l) => l.msg === "monitor check succeeded" || l.msg === "monitor check failed").map((l) => l.monitor));
  return ids.every((id) => seen.has(id));
}
