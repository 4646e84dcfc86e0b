// The assembled agent in-process against a stand-in edge: checks flow to the edge stamped with the
// agent's identity, an outage is buffered and then delivered once, /healthz and /metrics tell the story.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startAgent, type Agent } from "./agent.ts";
import type { AgentConfig } from "./config.ts";
import { EdgeStub, idsDueSoon, startConnectProxy, startTarget, tcpFirstByte, testConfig, waitFor } from "../test/helpers.ts";
import { secretVolume } from "../test/secret-volume.ts";
import { fingerprint } from "./token.ts";

/** A monitor's first slot is 1-3 s away; a loaded machine may miss it, and the next comes an interval (10 s) later. */
const SLOT_WAIT_MS = 25_000;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options: { monitors?: number; edgeDown?: boolean; config?: Partial<AgentConfig> } = {}) {
  const edge = await new EdgeStub().start();
  const target = await startTarget();
  const dir = mkdtempSync(path.join(os.tmpdir(), "agent-"));
  const ids = idsDueSoon("agent-test", options.monitors ?? 3, 10_000, 1000, 3000);
  edge.assignments.monitors = ids.map((id) => ({ id, kind: "tcp", target: `127.0.0.1:${target.port}`, interval_s: 10, timeout_ms: 2000 }));
  if (options.edgeDown) await edge.close();
  const agent = await startAgent({
    config: testConfig(edge.url, dir, options.config),
    runCheck: tcpFirstByte,
    version: "0.0.0-test",
    push: { lingerMs: 50, backoffBaseMs: 100, backoffMaxMs: 300 },
  });
  cleanups.push(async () => {
    await agent.stop();
    await target.close();
    await edge.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { edge, agent, ids, target };
}

const get = async (agent: Agent, p: string) => {
  const res = await fetch(`${agent.url}${p}`);
  return { status: res.status, text: await res.text() };
};

/** One sample's value from the Prometheus text, e.g. metric(text, 'uptime_agent_checks_total{kind="tcp",result="ok"}'). */
const metric = (text: string, series: string): number | undefined => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe("agent", () => {
  it("reaches the edge through HTTP_PROXY when one is configured: assignments and results alike", async () => {
    const proxy = await startConnectProxy();
    cleanups.push(proxy.close);
    const { edge, agent } = await setup({ monitors: 1, config: { edgeProxy: { httpProxy: proxy.url } } });
    await waitFor(() => edge.stored.size === 1 && agent.outbox.depth() === 0, SLOT_WAIT_MS, "a result at the edge");
    const edgeHost = edge.url.replace("http://", "");
    expect(proxy.tunnels.length).toBeGreaterThan(0);
    expect(proxy.tunnels.every((t) => t === edgeHost)).toBe(true);
  });

  it("runs its assignments and delivers stamped results; /healthz and /metrics report it", async () => {
    const { edge, agent, ids } = await setup();
    await waitFor(() => edge.stored.size === 3 && agent.outbox.depth() === 0, SLOT_WAIT_MS, "3 results at the edge");
    const results = [...edge.stored.values()];
    expect(results.map((r) => r.monitor).sort()).toEqual([...ids].sort());
    for (const r of results) expect(r).toMatchObject({ ok: true, agent: "dc1-a", location: "dc1", error: null });
    expect(JSON.parse(edge.pushesReceived()[0]!.body).version).toBe("0.0.0-test");
    // Assignments are revalidated with If-None-Match and a 304 keeps them.
    await waitFor(() => edge.requests.some((r) => r.headers["if-none-match"]), 3000, "a revalidation");

    const health = await get(agent, "/healthz");
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toMatchObject({
      status: "ok",
      agent: "dc1-a",
      location: "dc1",
      version: "0.0.0-test",
      assignments: { monitors: 3, source: "edge", last_error: null },
      push: { consecutive_failures: 0 },
      outbox: { depth: 0 },
    });
    expect(JSON.parse(health.text).push.last_success_at).toMatch(/^\d{4}-/);

    const m = await get(agent, "/metrics");
    expect(m.status).toBe(200);
    expect(metric(m.text, 'uptime_agent_checks_total{kind="tcp",result="ok"}')).toBe(3);
    expect(metric(m.text, 'uptime_agent_check_duration_seconds_count{kind="tcp"}')).toBe(3);
    expect(metric(m.text, "uptime_agent_outbox_depth")).toBe(0);
    expect(metric(m.text, 'uptime_agent_assignments{kind="tcp"}')).toBe(3);
    expect(metric(m.text, 'uptime_agent_pushed_results_total{outcome="accepted"}')).toBe(3);
    expect(metric(m.text, 'uptime_agent_outbox_dropped_total{reason="full"}')).toBe(0);
    expect(m.text).toContain("process_resident_memory_bytes");
    expect(m.text).toContain("uptime_agent_push_failures_total");
    expect((await get(agent, "/nope")).status).toBe(404);
  });

  it("buffers through an edge outage (degraded, not failing) and delivers every result once afterwards", async () => {
    const { edge, agent } = await setup();
    let down = true;
    edge.results = () => (down ? { status: 503, body: { error: { code: "unavailable", message: "maintenance" } } } : null);
    await waitFor(() => agent.outbox.depth() === 3, SLOT_WAIT_MS, "3 buffered results");
    const health = await get(agent, "/healthz");
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toMatchObject({ status: "degraded", outbox: { depth: 3 }, push: { last_error: "http_503" } });
    const refused = edge.pushesReceived().flatMap((r) => JSON.parse(r.body).results.map((x: { id: string }) => x.id));
    expect(metric((await get(agent, "/metrics")).text, 'uptime_agent_push_failures_total{reason="http_503"}')).toBeGreaterThan(0);
    down = false;
    await waitFor(() => agent.outbox.depth() === 0, 5000, "the outbox to drain");
    expect(edge.stored.size).toBe(3);
    expect(new Set(refused).size).toBeLessThanOrEqual(3);
    for (const id of refused) expect(edge.stored.has(id)).toBe(true);
    expect(JSON.parse((await get(agent, "/healthz")).text).status).toBe("ok");
  });

  it("takes a rotated token from AGENT_TOKEN_FILE while running, losing no result; /healthz and /metrics show it", async () => {
    const secrets = mkdtempSync(path.join(os.tmpdir(), "agent-secret-"));
    cleanups.push(() => rmSync(secrets, { recursive: true, force: true }));
    const volume = secretVolume(secrets, { token: "test-agent-token\n" });
    const { edge, agent } = await setup({ config: { tokenFile: volume.file("token"), tokenReloadMs: 200 } });
    await waitFor(() => edge.stored.size === 3 && agent.outbox.depth() === 0, SLOT_WAIT_MS, "3 results with the first token");
    const first = JSON.parse((await get(agent, "/healthz")).text).token;
    expect(first).toMatchObject({ source: "AGENT_TOKEN_FILE", file: volume.file("token"), fingerprint: fingerprint("test-agent-token") });
    // The edge rotates the token before the Secret is updated: the next round of results waits in the outbox.
    edge.tokens = ["ium_rotated_token"];
    await waitFor(() => agent.outbox.depth() === 3, SLOT_WAIT_MS, "the next round refused and kept");
    volume.update({ token: "ium_rotated_token\n" });
    await waitFor(() => edge.stored.size === 6 && agent.outbox.depth() === 0, 5000, "the kept results delivered with the new token");
    const ids = [...edge.stored.values()].map((r) => r.id);
    expect(new Set(ids).size).toBe(6);
    expect(edge.duplicates).toBe(0);
    const health = JSON.parse((await get(agent, "/healthz")).text);
    expect(health.token).toMatchObject({ source: "AGENT_TOKEN_FILE", fingerprint: fingerprint("ium_rotated_token"), last_error: null });
    expect(Date.parse(health.token.loaded_at)).toBeGreaterThan(Date.parse(first.loaded_at));
    const m = (await get(agent, "/metrics")).text;
    const reloads =
      (metric(m, 'uptime_agent_token_reloads_total{trigger="poll"}') ?? 0) +
      (metric(m, 'uptime_agent_token_reloads_total{trigger="refused"}') ?? 0);
    expect(reloads).toBe(1);
    expect(metric(m, "uptime_agent_token_reload_failures_total")).toBe(0);
    expect(metric(m, "uptime_agent_token_loaded_timestamp_seconds")).toBeCloseTo(Date.parse(health.token.loaded_at) / 1000, 2);
    expect(metric(m, 'uptime_agent_push_failures_total{reason="http_401"}')).toBeGreaterThan(0);
  });

  it("counts results the edge refuses as dropped (rejected), and keeps going", async () => {
    const { edge, agent, ids } = await setup();
    const moved = ids[0]!;
    edge.results = (b) =>
      b.results.some((r) => r.monitor === moved)
        ? {
            status: 403,
            body: {
              error: {
                code: "forbidden",
                message: `results for monitors not assigned to this agent: ${moved}`,
                issues: b.results.flatMap((r, i) =>
                  r.monitor === moved ? [{ path: `results[${i}].monitor`, message: `monitor "${moved}" is not assigned` }] : [],
                ),
              },
            },
          }
        : null;
    await waitFor(
      () => edge.pushesReceived().length > 0 && edge.stored.size === 2 && agent.outbox.depth() === 0 && agent.scheduler.active() === 0,
      SLOT_WAIT_MS,
      "the other results delivered",
    );
    await waitFor(
      async () => metric((await get(agent, "/metrics")).text, 'uptime_agent_outbox_dropped_total{reason="rejected"}') === 1,
      SLOT_WAIT_MS,
      "the refused result dropped",
    );
    expect([...edge.stored.values()].some((r) => r.monitor === moved)).toBe(false);
    const text = (await get(agent, "/metrics")).text;
    expect(metric(text, 'uptime_agent_outbox_dropped_total{reason="rejected"}')).toBe(1);
  });

  it("answers 503 on /healthz while it has never reached the edge and has nothing cached", async () => {
    const { agent } = await setup({ edgeDown: true });
    await waitFor(() => agent.assignments.lastError, 3000, "a failed refresh");
    const health = await get(agent, "/healthz");
    expect(health.status).toBe(503);
    expect(JSON.parse(health.text)).toMatchObject({ status: "failing", problems: ["no assignments yet: could not reach the edge"] });
  });

  it("stop finishes the running checks and flushes them before closing", async () => {
    const edge = await new EdgeStub().start();
    const target = await startTarget(700);
    const dir = mkdtempSync(path.join(os.tmpdir(), "agent-"));
    const ids = idsDueSoon("agent-stop", 4, 10_000, 1000, 2500);
    edge.assignments.monitors = ids.map((id) => ({
      id,
      kind: "tcp",
      target: `127.0.0.1:${target.port}`,
      interval_s: 10,
      timeout_ms: 3000,
    }));
    // Until stop, the edge asks for an hour's patience: only the shutdown flush can deliver.
    let accept = false;
    edge.results = () => (accept ? null : { status: 503, headers: { "retry-after": "3600" } });
    const agent = await startAgent({ config: testConfig(edge.url, dir), runCheck: tcpFirstByte });
    cleanups.push(async () => {
      await target.close();
      await edge.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await waitFor(() => agent.scheduler.active() > 0, SLOT_WAIT_MS, "a running check");
    const running = agent.scheduler.active() + agent.outbox.depth();
    accept = true;
    const summary = await agent.stop("test");
    expect(summary.unfinished).toBe(0);
    expect(summary.remaining).toBe(0);
    expect(edge.stored.size).toBeGreaterThanOrEqual(running);
    expect([...edge.stored.values()].every((r) => r.ok)).toBe(true);
    await expect(fetch(`${agent.url}/healthz`)).rejects.toThrow();
  });
});
