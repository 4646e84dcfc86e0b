// End to end: wrangler dev (embedded point store on D1) + one real agent process whose token is a file in a Secret
// volume laid out as the kubelet lays it out. The agent's token is rotated on the edge, then the file is swapped the
// kubelet's way (the `..data` link renamed over); the same process takes the new token, and every result it produced
// before the rotation, while the edge refused the old token, and after the swap is stored at the edge, once.
//
// The edge has no agent-token rotation yet (issue 15 adds POST /api/v1/tokens/:id/rotate with overlap): here the
// token is revoked (DELETE /api/v1/tokens/:id, which removes the agent with it) and the agent registered again under
// the same id, which gives it a new token. That is a rotation without overlap, the harder case for the agent.
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { secretVolume, type SecretVolume } from "../probe-agent/test/secret-volume.ts";
import { fingerprint } from "../probe-agent/src/token.ts";
// @ts-expect-error plain ESM helper without types
import { applyMigrations, startWorker } from "../scripts/lib/wrangler-dev.mjs";
import { startAgentProcess, type AgentProcess } from "./services/agent-process.ts";
import { apiClient } from "./services/http.ts";

const TOKEN = "e2e-admin-token-0123456789abcdef";
const LOC = "lab";
const AGENT = "lab-a";
const INTERVAL_MS = 10_000;
const MONITORS = ["rot-1", "rot-2", "rot-3"];
/** The file is read every 2 s; the push's backoff after a refused token reaches several seconds by then. */
const RELOAD_S = 2;

let worker: { url: string; stop(): Promise<void> };
let agent: AgentProcess;
let volume: SecretVolume;
let tcpTarget: net.Server;
const dirs: string[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const api = apiClient(() => worker.url, TOKEN);
const startedAt = Date.now();

type StoredCheck = { id: string; ts: number; monitor: string; agent: string | null; ok: boolean };

/** The checks the edge stored for a monitor since the test started, oldest first. */
async function storedChecks(monitor: string): Promise<StoredCheck[]> {
  const r = await api("GET", `/api/v1/monitors/${monitor}/checks?from=${startedAt - 60_000}&limit=1000`);
  expect(r.status, r.text).toBe(200);
  return (r.body.checks as Array<StoredCheck & { ts: string }>).map((c) => ({ ...c, ts: Date.parse(c.ts) })).sort((a, b) => a.ts - b.ts);
}

let firstToken = "";
let firstTokenId = "";

beforeAll(async () => {
  tcpTarget = net.createServer((s) => s.end());
  await new Promise<void>((r) => tcpTarget.listen(0, "127.0.0.1", r));
  const tcpPort = (tcpTarget.address() as net.AddressInfo).port;
  const state = mkdtempSync(path.join(tmpdir(), "ium-token-e2e-"));
  dirs.push(state);
  await applyMigrations({ persistTo: state });
  worker = await startWorker({ persistTo: state, vars: { ADMIN_TOKEN: TOKEN, LOG_LEVEL: "warn" } });
  for (const id of MONITORS) {
    const r = await api("POST", "/api/v1/monitors", {
      id,
      kind: "tcp",
      target: `127.0.0.1:${tcpPort}`,
      interval_s: INTERVAL_MS / 1000,
      timeout_ms: 3000,
      locations: [LOC],
    });
    expect(r.status, r.text).toBe(201);
  }
  const reg = await api("POST", "/api/v1/agents", { id: AGENT, location: LOC });
  expect(reg.status, reg.text).toBe(201);
  firstToken = reg.body.token;
  firstTokenId = reg.body.token_id;

  const secrets = mkdtempSync(path.join(tmpdir(), "ium-agent-secret-"));
  const dataDir = mkdtempSync(path.join(tmpdir(), "ium-agent-data-"));
  dirs.push(secrets, dataDir);
  volume = secretVolume(secrets, { token: `${firstToken}\n` });
  agent = await startAgentProcess({
    edgeUrl: worker.url,
    token: "", // empty is unset: the token comes from the file only
    dataDir,
    // debug: every check is logged, so the test knows each result the agent produced.
    env: { AGENT_TOKEN_FILE: volume.file("token"), AGENT_TOKEN_RELOAD_S: String(RELOAD_S), ASSIGNMENTS_REFRESH_S: "2", LOG_LEVEL: "debug" },
  });
}, 180_000);

afterAll(async () => {
  await agent?.kill("SIGKILL");
  await worker?.stop();
  tcpTarget?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("agent token rotation through a Secret volume", () => {
  it("takes the rotated token without a restart; results from before, during and after the swap all arrive, once", async () => {
    const pid = agent.pid;
    expect(pid).toBeGreaterThan(0);
    expect((await agent.health()).body.token).toMatchObject({
      source: "AGENT_TOKEN_FILE",
      file: volume.file("token"),
      fingerprint: fingerprint(firstToken),
    });

    // Before: every monitor has results at the edge with the first token.
    const deadline = Date.now() + 3 * INTERVAL_MS;
    while (!(await Promise.all(MONITORS.map(storedChecks))).every((c) => c.length >= 2)) {
      if (Date.now() > deadline) throw new Error("no results with the first token");
      await sleep(1000);
    }

    // The edge rotates: the old token is refused from now on. The Secret is not updated yet (as when the secrets
    // operator and the kubelet have not synced): the agent keeps its results.
    const rotatedAt = Date.now();
    expect((await api("DELETE", `/api/v1/tokens/${firstTokenId}`)).status).toBe(204);
    const reg = await api("POST", "/api/v1/agents", { id: AGENT, location: LOC });
    expect(reg.status, reg.text).toBe(201);
    const secondToken: string = reg.body.token;
    expect(secondToken).not.toBe(firstToken);
    await sleep(1.5 * INTERVAL_MS);
    const during = (await agent.health()).body;
    expect(during.outbox.depth, "results kept while the token is refused").toBeGreaterThanOrEqual(MONITORS.length);
    expect(during.push.last_error).toBe("http_401");
    expect(during.token.fingerprint).toBe(fingerprint(firstToken));

    // The kubelet swaps the volume's ..data link: the same process reads the new token and delivers the backlog.
    const swappedAt = Date.now();
    volume.update({ token: `${secondToken}\n` });
    for (;;) {
      const h = (await agent.health()).body;
      if (h.outbox.depth === 0 && h.token.fingerprint === fingerprint(secondToken)) break;
      if (Date.now() - swappedAt > 5000 + RELOAD_S * 1000)
        throw new Error(`the backlog was not delivered after the swap: ${JSON.stringify(h)}`);
      await sleep(250);
    }
    const drainedMs = Date.now() - swappedAt;

    // After: a full interval of results with the new token; then a graceful stop delivers what is left.
    await sleep(INTERVAL_MS + 2000);
    expect(agent.pid).toBe(pid);
    expect(agent.running).toBe(true);
    const metrics = await agent.metrics();
    expect(await agent.kill("SIGTERM")).toBe(0);
    expect(agent.logs.filter((l) => l.msg === "agent started")).toHaveLength(1);
    expect(agent.logs.find((l) => l.msg === "agent stopped")).toMatchObject({ remaining: 0 });

    // What the agent produced: one log event per check (debug), per monitor.
    const produced = new Map<string, number>();
    for (const l of agent.logs)
      if (["check done", "monitor check succeeded", "monitor check failed"].includes(l.msg))
        produced.set(l.monitor, (produced.get(l.monitor) ?? 0) + 1);

    for (const id of MONITORS) {
      const checks = await storedChecks(id);
      expect(checks.length, `${id}: every result the agent produced is stored`).toBe(produced.get(id));
      expect(new Set(checks.map((c) => c.id)).size, `${id}: none twice`).toBe(checks.length);
      expect(checks.every((c) => c.agent === AGENT && c.ok)).toBe(true);
      // No gap: one result per interval from the first to the last, through the rotation and the swap.
      for (let i = 1; i < checks.length; i++)
        expect(checks[i]!.ts - checks[i - 1]!.ts, `${id}: results ${i - 1} and ${i}`).toBeLessThan(INTERVAL_MS + 1500);
      expect(checks.filter((c) => c.ts < rotatedAt).length, `${id}: before the rotation`).toBeGreaterThanOrEqual(2);
      expect(checks.filter((c) => c.ts >= rotatedAt && c.ts < swappedAt).length, `${id}: while refused`).toBeGreaterThanOrEqual(1);
      expect(checks.filter((c) => c.ts >= swappedAt).length, `${id}: after the swap`).toBeGreaterThanOrEqual(1);
    }

    // The refusal and the reload are in the logs, the token never is; /metrics counted one reload, nothing dropped.
    expect(agent.logs.some((l) => l.level === "error" && l.status === 401)).toBe(true);
    expect(agent.logs.find((l) => l.msg === "agent token reloaded from AGENT_TOKEN_FILE")).toMatchObject({
      fingerprint: fingerprint(secondToken),
      previous: fingerprint(firstToken),
    });
    const text = JSON.stringify(agent.logs);
    expect(text).not.toContain(firstToken);
    expect(text).not.toContain(secondToken);
    const sample = (series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, "\\$&")} (\\S+)$`, "m").exec(metrics)?.[1]);
    expect(sample('uptime_agent_token_reloads_total{trigger="poll"}') + sample('uptime_agent_token_reloads_total{trigger="refused"}')).toBe(
      1,
    );
    expect(sample('uptime_agent_outbox_dropped_total{reason="rejected"}')).toBe(0);
    expect(drainedMs, "the backlog went out within a reload interval or so of the swap").toBeLessThan(RELOAD_S * 1000 + 4000);
  }, 150_000);
});
