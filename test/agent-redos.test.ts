// ReDoS, cross-process: the real agent (the bundle the container ships) runs a tcp monitor whose
// expect_regex is the catastrophic ^(a+)+$ against a target that answers 30,000 a's and a "!". A
// backtracking RegExp would spend 2^29999 steps on that match and freeze the agent's event loop, so
// /healthz would stop answering; the linear-time engine answers a mismatch at once and the agent
// stays responsive.
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckResult } from "../contract/index.ts";
import { EdgeStub, idsDueSoon, waitFor } from "../probe-agent/test/helpers.ts";
import { startAgentProcess, type AgentProcess } from "./services/agent-process.ts";

const PAYLOAD = `${"a".repeat(30_000)}!`;
const PATTERN = "^(a+)+$";
const POLL_EVERY_MS = 200;
const POLL_FOR_MS = 5000;
const ANSWER_WITHIN_MS = 1000;

let edge: EdgeStub;
let target: net.Server;
let port: number;
let connections = 0;
let agent: AgentProcess | null = null;
let dataDir: string;

beforeAll(async () => {
  edge = await new EdgeStub().start();
  target = net.createServer((s) => {
    connections++;
    s.on("error", () => {});
    s.end(PAYLOAD); // one write: the check receives it whole, then the close
  });
  await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
  port = (target.address() as net.AddressInfo).port;
  dataDir = mkdtempSync(path.join(tmpdir(), "ium-agent-redos-"));
}, 120_000);

afterAll(async () => {
  // SIGKILL: an agent whose event loop is stuck in a match never runs its SIGTERM handler.
  await agent?.kill("SIGKILL");
  await edge?.close();
  target?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

type Poll = { at: number; ms: number; status: number | null; error: string | null };

/** GET /healthz once, giving up after ANSWER_WITHIN_MS. */
async function poll(url: string): Promise<Poll> {
  const t0 = performance.now();
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(ANSWER_WITHIN_MS) });
    await res.text();
    return { at: Date.now(), ms: Math.round(performance.now() - t0), status: res.status, error: null };
  } catch (e) {
    return { at: Date.now(), ms: Math.round(performance.now() - t0), status: null, error: e instanceof Error ? e.message : String(e) };
  }
}

describe("a catastrophic tcp.expect regex", () => {
  it("leaves the agent responsive and fails the check as a keyword mismatch, not a timeout", async () => {
    // Due 1.5-4 s after now: the agent's first check of it comes while the test polls.
    const [id] = idsDueSoon("redos", 1, 10_000, 1500, 4000);
    edge.assignments.monitors = [
      {
        id,
        kind: "tcp",
        target: `127.0.0.1:${port}`,
        interval_s: 10,
        timeout_ms: 3000,
        tcp: { expect: PATTERN, expect_regex: true },
      },
    ];
    agent = await startAgentProcess({
      edgeUrl: edge.url,
      token: "test-agent-token",
      dataDir,
      env: { ASSIGNMENTS_REFRESH_S: "1", LOG_LEVEL: "info" },
    });
    const url = agent.url;
    await waitFor(async () => (await poll(url)).status === 200, 15_000, "the agent to be healthy");

    // Poll every 200 ms from before the first check until 5 s after its connection.
    const polls: Poll[] = [];
    let firstConnectionAt = 0;
    const deadline = Date.now() + 25_000;
    while (Date.now() < deadline) {
      if (!firstConnectionAt && connections > 0) firstConnectionAt = Date.now();
      if (firstConnectionAt && Date.now() - firstConnectionAt >= POLL_FOR_MS) break;
      const started = performance.now();
      polls.push(await poll(url));
      await new Promise((r) => setTimeout(r, Math.max(0, POLL_EVERY_MS - (performance.now() - started))));
    }
    expect(firstConnectionAt, "the agent checked the target").toBeGreaterThan(0);
    const during = polls.filter((p) => p.at >= firstConnectionAt);
    expect(during.length).toBeGreaterThanOrEqual(POLL_FOR_MS / (POLL_EVERY_MS + ANSWER_WITHIN_MS));
    const bad = polls.filter((p) => p.status !== 200 || p.ms > ANSWER_WITHIN_MS);
    expect(bad, `of ${polls.length} /healthz polls, ${during.length} after the check connected`).toEqual([]);

    const result = await waitFor(
      () => [...edge.stored.values()].find((r: CheckResult) => r.monitor === id),
      15_000,
      "the check's result to be pushed",
    );
    expect(result.ok).toBe(false);
    expect(result.error?.kind).toBe("keyword");
    expect(result.error?.message).toContain(`expected /${PATTERN}/ (tcp.expect, a regular expression) but received 30001 bytes`);
  }, 90_000);
});
