// End to end: wrangler dev + a real InfluxDB + two real agent processes in one location.
// Points land with the schema of docs/architecture.md (Points) and each monitor is run by one replica; an edge outage, with
// an agent SIGKILLed in the middle of it, loses nothing and duplicates nothing; a dead replica's
// monitors are taken over by the other.
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain ESM helper without types
import { applyMigrations, startWorker } from "../scripts/lib/wrangler-dev.mjs";
import { startAgentProcess, type AgentProcess } from "./services/agent-process.ts";
import { apiClient } from "./services/http.ts";
import { createDatabase, influxQuery, startInflux, type InfluxServer } from "./services/influxdb.ts";

const TOKEN = "e2e-admin-token-0123456789abcdef";
const DB = "uptime_e2e";
const LOC = "lab";
const INTERVAL_MS = 10_000;
const TCP_MONITORS = ["tcp-1", "tcp-2", "tcp-3", "tcp-4", "tcp-5", "tcp-6"];
const ALL = [...TCP_MONITORS, "icmp-lo"];

let influx: InfluxServer;
let tcpTarget: net.Server;
let state: string;
let port: number;
let worker: { url: string; port: number; stop(): Promise<void> };
const agents: Record<string, AgentProcess> = {};
const dirs: string[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const workerVars = (influxUrl: string) => ({
  ADMIN_TOKEN: TOKEN,
  INFLUX_URL: influxUrl,
  INFLUX_DATABASE: DB,
  AGENT_LIVENESS_S: "5",
  OUTBOX_BACKOFF_MAX_S: "2",
  LOG_LEVEL: "warn",
});

const api = apiClient(() => worker.url, TOKEN);

type Point = { time: number; monitor: string; agent: string; check_id: string; up: number };

async function points(measurement: string, since = 0): Promise<Point[]> {
  const r = (await influxQuery(
    influx.url,
    `SELECT "check_id", "up", "agent", "monitor" FROM "${measurement}" WHERE time >= ${since}ms`,
    undefined,
    DB,
  )) as any;
  const s = r.results?.[0]?.series?.[0];
  if (!s) return [];
  const col = (name: string) => s.columns.indexOf(name);
  return s.values.map((v: unknown[]) => ({
    time: Date.parse(String(v[col("time")])),
    check_id: String(v[col("check_id")]),
    up: Number(v[col("up")]),
    agent: String(v[col("agent")]),
    monitor: String(v[col("monitor")]),
  }));
}
const allPoints = async (since = 0) => [...(await points("net_response", since)), ...(await points("ping", since))];

beforeAll(async () => {
  influx = await startInflux();
  await createDatabase(influx, DB);
  tcpTarget = net.createServer((s) => s.end());
  await new Promise<void>((r) => tcpTarget.listen(0, "127.0.0.1", r));
  const tcpPort = (tcpTarget.address() as net.AddressInfo).port;
  state = mkdtempSync(path.join(tmpdir(), "ium-e2e-"));
  await applyMigrations({ persistTo: state });
  worker = await startWorker({ persistTo: state, vars: workerVars(influx.url) });
  port = worker.port;
  for (const id of TCP_MONITORS)
    expect(
      (
        await api("POST", "/api/v1/monitors", {
          id,
          kind: "tcp",
          target: `127.0.0.1:${tcpPort}`,
          interval_s: 10,
          timeout_ms: 3000,
          locations: [LOC],
        })
      ).status,
    ).toBe(201);
  expect(
    (
      await api("POST", "/api/v1/monitors", {
        id: "icmp-lo",
        kind: "icmp",
        target: "127.0.0.1",
        interval_s: 10,
        timeout_ms: 3000,
        locations: [LOC],
        icmp: { count: 2 },
      })
    ).status,
  ).toBe(201);
  for (const id of ["lab-a", "lab-b"]) {
    const reg = await api("POST", "/api/v1/agents", { id, location: LOC });
    expect(reg.status).toBe(201);
    const dataDir = mkdtempSync(path.join(tmpdir(), `ium-agent-${id}-`));
    dirs.push(dataDir);
    agents[id] = await startAgentProcess({
      edgeUrl: worker.url,
      token: reg.body.token,
      dataDir,
      env: { ASSIGNMENTS_REFRESH_S: "2", LOG_LEVEL: "info" },
    });
  }
}, 180_000);

afterAll(async () => {
  for (const a of Object.values(agents)) await a.kill("SIGKILL");
  await worker?.stop();
  tcpTarget?.close();
  await influx?.destroy();
  for (const d of [state, ...dirs]) if (d) rmSync(d, { recursive: true, force: true });
});

/** Who runs what now, according to the edge (each agent's own view of its assignments). */
async function owners(): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  const pts = await allPoints(Date.now() - INTERVAL_MS - 3000);
  for (const p of pts) map.set(p.monitor, p.agent);
  return map;
}

describe("agents end to end", () => {
  let settledAt = 0;

  it("lands points with the documented point schema, each monitor run by exactly one replica", async () => {
    await sleep(6000); // both replicas refresh twice: the split settles
    settledAt = Date.now();
    await sleep(2.5 * INTERVAL_MS);
    const net = (await influxQuery(influx.url, 'SELECT * FROM "net_response" LIMIT 1', undefined, DB)) as any;
    const cols: string[] = net.results[0].series[0].columns;
    for (const c of [
      "time",
      "server",
      "port",
      "protocol",
      "result",
      "response_time",
      "result_code",
      "up",
      "monitor",
      "location",
      "agent",
      "check_id",
    ])
      expect(cols).toContain(c);
    const row = Object.fromEntries(cols.map((c, i) => [c, net.results[0].series[0].values[0][i]]));
    expect(row).toMatchObject({ protocol: "tcp", result: "success", result_code: 0, up: 1, location: LOC, server: "127.0.0.1" });
    const ping = (await influxQuery(influx.url, 'SELECT * FROM "ping" LIMIT 1', undefined, DB)) as any;
    const pcols: string[] = ping.results[0].series[0].columns;
    for (const c of [
      "url",
      "packets_transmitted",
      "packets_received",
      "percent_packet_loss",
      "average_response_ms",
      "result_code",
      "up",
      "agent",
    ])
      expect(pcols).toContain(c);

    const after = await allPoints(settledAt);
    for (const id of ALL) {
      const mine = after.filter((p) => p.monitor === id).sort((a, b) => a.time - b.time);
      expect(mine.length, id).toBeGreaterThanOrEqual(2);
      expect(new Set(mine.map((p) => p.agent)).size, `${id} run by one replica`).toBe(1);
      for (let i = 1; i < mine.length; i++)
        expect(mine[i]!.time - mine[i - 1]!.time, `${id} not run twice per interval`).toBeGreaterThan(INTERVAL_MS / 2);
    }
    const byAgent = new Set(after.map((p) => p.agent));
    expect(byAgent).toEqual(new Set(["lab-a", "lab-b"])); // the location's monitors are split between both
  }, 60_000);

  it("loses nothing and duplicates nothing through an edge outage with an agent SIGKILLed in it", async () => {
    const who = await owners();
    const outageStart = Date.now();
    await worker.stop();
    await sleep(1.5 * INTERVAL_MS);
    const killedAt = Date.now();
    expect(await agents["lab-b"]!.kill("SIGKILL")).toBe(null);
    await sleep(2000);
    await agents["lab-b"]!.restart(); // same data directory: its outbox and cached assignments
    const restartedAt = Date.now();
    await sleep(INTERVAL_MS);
    worker = await startWorker({ port, persistTo: state, vars: workerVars(influx.url) });
    const edgeBackAt = Date.now();
    // Wait until both outboxes are empty.
    const deadline = Date.now() + 90_000;
    for (;;) {
      const [a, b] = await Promise.all([agents["lab-a"]!.health(), agents["lab-b"]!.health()]);
      if (a.body.outbox.depth === 0 && b.body.outbox.depth === 0 && Date.now() - edgeBackAt > 3000) break;
      if (Date.now() > deadline) throw new Error(`outboxes did not drain: ${JSON.stringify([a.body.outbox, b.body.outbox])}`);
      await sleep(500);
    }
    const pts = await allPoints(settledAt);
    expect(new Set(pts.map((p) => p.check_id)).size, "no result stored twice").toBe(pts.length);
    for (const id of ALL) {
      const times = pts
        .filter((p) => p.monitor === id)
        .map((p) => p.time)
        .sort((a, b) => a - b);
      const owner = who.get(id)!;
      // Every interval from before the outage until the edge came back has its result, except the
      // SIGKILLed replica's own downtime (it was not running then: nothing to lose).
      const gaps: Array<[number, number]> = [];
      for (let i = 1; i < times.length; i++) if (times[i]! - times[i - 1]! > INTERVAL_MS + 3000) gaps.push([times[i - 1]!, times[i]!]);
      const spanned = times.filter((t) => t >= outageStart - INTERVAL_MS && t <= edgeBackAt);
      expect(spanned.length, `${id} has results from inside the outage`).toBeGreaterThanOrEqual(2);
      for (const [from, to] of gaps) {
        const explained = owner === "lab-b" && from <= restartedAt && to >= killedAt && from >= killedAt - INTERVAL_MS - 3000;
        expect(explained, `${id} (${owner}) lost results between ${new Date(from).toISOString()} and ${new Date(to).toISOString()}`).toBe(
          true,
        );
      }
    }
  }, 180_000);

  it("hands a killed replica's monitors to the other within two refreshes after it is declared dead", async () => {
    const before = await owners();
    const aMonitors = ALL.filter((id) => before.get(id) === "lab-a");
    expect(aMonitors.length).toBeGreaterThan(0);
    await agents["lab-a"]!.kill("SIGKILL");
    const killedAt = Date.now();
    // Liveness 5 s + two 2 s refreshes, then the monitor's next slot (10 s) and a push (~1 s).
    await sleep(5000 + 2 * 2000 + INTERVAL_MS + 3000);
    const pts = await allPoints(killedAt);
    for (const id of aMonitors) {
      const mine = pts.filter((p) => p.monitor === id);
      expect(mine.length, `${id} taken over`).toBeGreaterThan(0);
      expect(new Set(mine.map((p) => p.agent)), id).toEqual(new Set(["lab-b"]));
    }
  }, 60_000);
});
