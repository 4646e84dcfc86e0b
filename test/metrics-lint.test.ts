// /metrics as Prometheus's own linter reads it: the real Worker (wrangler dev) and a real agent process, each
// scraped fresh and again after a check went through, linted with `promtool check metrics` (Debian's
// prometheus package); a fresh scrape lists every counter's known label sets at 0.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain ESM helper without types
import { LOOPBACK_EGRESS_ALLOW, applyMigrations, startWorker } from "../scripts/lib/wrangler-dev.mjs";
import { RATE_LIMIT_NAMES } from "../edge/src/config/rate-limits.ts";
import { startAgentProcess, type AgentProcess } from "./services/agent-process.ts";
import { apiClient } from "./services/http.ts";

const TOKEN = "metrics-lint-admin-token-0123456789";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let worker: { url: string; stop(): Promise<void> };
let agent: AgentProcess;
let target: net.Server;
const dirs: string[] = [];
const api = apiClient(() => worker.url, TOKEN);
const scrapes: Record<"edge" | "agent", { fresh: string; later: string }> = {
  edge: { fresh: "", later: "" },
  agent: { fresh: "", later: "" },
};

const edgeMetrics = async () => {
  const res = await fetch(`${worker.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  return res.text();
};

/** One sample's value, e.g. value(text, 'uptime_rate_limited_total{limit="token"}'); undefined when absent. */
const value = (text: string, series: string): number | undefined => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

/** `promtool check metrics` on `text`: its exit code and everything it printed (nothing when the text is clean). */
function promtool(text: string): { status: number | null; output: string } {
  const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8", timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "ium-metrics-lint-"));
  dirs.push(dir);
  // A target that accepts and closes: the agent's tcp check succeeds.
  target = net.createServer((s) => s.end());
  const port = await new Promise<number>((r) => target.listen(0, "127.0.0.1", () => r((target.address() as net.AddressInfo).port)));
  const state = path.join(dir, "state");
  await applyMigrations({ persistTo: state });
  worker = await startWorker({ persistTo: state, vars: { ADMIN_TOKEN: TOKEN, EGRESS_ALLOW: LOOPBACK_EGRESS_ALLOW, LOG_LEVEL: "warn" } });
  const reg = await api("POST", "/api/v1/agents", { id: "lint-a", location: "lab" });
  expect(reg.status).toBe(201);
  scrapes.edge.fresh = await edgeMetrics();

  const agentDir = mkdtempSync(path.join(tmpdir(), "ium-metrics-lint-agent-"));
  dirs.push(agentDir);
  agent = await startAgentProcess({ edgeUrl: worker.url, token: reg.body.token, dataDir: agentDir, env: { ASSIGNMENTS_REFRESH_S: "2" } });
  scrapes.agent.fresh = await agent.metrics();

  const monitor = { id: "lint-tcp", kind: "tcp", target: `127.0.0.1:${port}`, interval_s: 10, timeout_ms: 3000, locations: ["lab"] };
  expect((await api("POST", "/api/v1/monitors", monitor)).status).toBe(201);
  const deadline = Date.now() + 90_000;
  while (!((value(await agent.metrics(), 'uptime_agent_pushed_results_total{outcome="accepted"}') ?? 0) >= 1)) {
    if (Date.now() > deadline) throw new Error(`no result reached the edge in 90 s: ${JSON.stringify(agent.logs.slice(-5))}`);
    await sleep(1000);
  }
  scrapes.agent.later = await agent.metrics();
  scrapes.edge.later = await edgeMetrics();
}, 240_000);

afterAll(async () => {
  await agent?.kill("SIGKILL");
  await worker?.stop();
  target?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("promtool check metrics", () => {
  it.each(["edge", "agent"] as const)("finds nothing to say about the %s's /metrics, fresh or with data", (who) => {
    for (const [when, text] of Object.entries(scrapes[who])) {
      expect(text, `${who} ${when}`).toMatch(/^# HELP /);
      expect(promtool(text), `${who} ${when}`).toEqual({ status: 0, output: "" });
    }
  });

  it("would say something about a gauge named like a counter (the linter is not a rubber stamp)", () => {
    const bad =
      "# HELP nodejs_active_handles_total Total number of active handles.\n# TYPE nodejs_active_handles_total gauge\nnodejs_active_handles_total 3\n";
    const r = promtool(bad);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('non-counter metrics should not have "_total" suffix');
  });
});

describe("a fresh /metrics", () => {
  it("lists the agent's counters at 0 for every label set it knows of", () => {
    const fresh = scrapes.agent.fresh;
    for (const series of [
      'uptime_agent_push_failures_total{reason="network"}',
      'uptime_agent_push_failures_total{reason="http_503"}',
      'uptime_agent_checks_skipped_total{kind="tcp"}',
      'uptime_agent_checks_total{kind="http",result="timeout"}',
      'uptime_agent_outbox_dropped_total{reason="full"}',
      'uptime_agent_pushed_results_total{outcome="accepted"}',
      'uptime_agent_token_reloads_total{trigger="refused"}',
      "uptime_agent_assignment_refresh_failures_total",
    ])
      expect(value(fresh, series), series).toBe(0);
    // And they count from there: the check that went through is one more than 0.
    expect(value(scrapes.agent.later, 'uptime_agent_checks_total{kind="tcp",result="ok"}')).toBeGreaterThanOrEqual(1);
    expect(value(scrapes.agent.later, 'uptime_agent_push_failures_total{reason="network"}')).toBe(0);
  });

  it("lists the edge's counters at 0, every rate limit included", () => {
    const fresh = scrapes.edge.fresh;
    for (const limit of RATE_LIMIT_NAMES) expect(value(fresh, `uptime_rate_limited_total{limit="${limit}"}`), limit).toBe(0);
    for (const name of [
      "uptime_points_dropped_total",
      "uptime_point_outbox_delivered_total",
      "uptime_check_batches_dead_lettered_total",
      "uptime_audit_write_failures_total",
    ])
      expect(value(fresh, name), name).toBe(0);
  });
});
