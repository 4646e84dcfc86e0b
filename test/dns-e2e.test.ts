// End to end for dns monitors: wrangler dev + a real InfluxDB + a real agent process + a real DNS server (NSD on
// loopback). The agent runs the monitors it is assigned, and each result lands as a dns_query point with Telegraf's
// tags and fields (docs/influxdb.md), and comes back through the API's history of the check.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain ESM helper without types
import { applyMigrations, startWorker } from "../scripts/lib/wrangler-dev.mjs";
import { startAgentProcess, type AgentProcess } from "./services/agent-process.ts";
import { startDnsServer, type DnsServer } from "./services/dns-server.ts";
import { apiClient } from "./services/http.ts";
import { createDatabase, influxQuery, startInflux, type InfluxServer } from "./services/influxdb.ts";

const TOKEN = "e2e-admin-token-0123456789abcdef";
const DB = "uptime_dns_e2e";
const LOC = "lab";

let influx: InfluxServer;
let nsd: DnsServer;
let state: string;
let dataDir: string;
let worker: { url: string; port: number; stop(): Promise<void> };
let agent: AgentProcess;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const api = apiClient(() => worker.url, TOKEN);

/** Every dns_query point of a monitor, as rows of column → value. */
async function rows(monitor: string): Promise<Record<string, unknown>[]> {
  const r = (await influxQuery(influx.url, `SELECT * FROM "dns_query" WHERE "monitor" = '${monitor}'`, undefined, DB)) as any;
  const s = r.results?.[0]?.series?.[0];
  if (!s) return [];
  return s.values.map((v: unknown[]) => Object.fromEntries(s.columns.map((c: string, i: number) => [c, v[i]])));
}

async function waitForRows(monitor: string): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const got = await rows(monitor);
    if (got.length > 0) return got;
    if (Date.now() > deadline)
      throw new Error(`no dns_query point for ${monitor} within 60 s; agent logs: ${JSON.stringify(agent.logs.slice(-5))}`);
    await sleep(500);
  }
}

beforeAll(async () => {
  nsd = await startDnsServer();
  influx = await startInflux();
  await createDatabase(influx, DB);
  state = mkdtempSync(path.join(tmpdir(), "ium-dns-e2e-"));
  await applyMigrations({ persistTo: state });
  worker = await startWorker({
    persistTo: state,
    vars: { ADMIN_TOKEN: TOKEN, INFLUX_URL: influx.url, INFLUX_DATABASE: DB, OUTBOX_BACKOFF_MAX_S: "2", LOG_LEVEL: "warn" },
  });
  const common = { kind: "dns", interval_s: 10, timeout_ms: 3000, locations: [LOC] };
  const monitors = [
    { id: "dns-ok", target: "WWW.example.test", dns: { server: nsd.server, expected_values: ["192.0.2.10"], min_answers: 2 } },
    { id: "dns-mx-tcp", target: "example.test", dns: { server: nsd.server, record_type: "MX", transport: "tcp" } },
    { id: "dns-nx", target: "nope.example.test", confirm_failures: false, dns: { server: nsd.server } },
  ];
  for (const m of monitors) {
    const r = await api("POST", "/api/v1/monitors", { ...common, ...m });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }
  const reg = await api("POST", "/api/v1/agents", { id: "lab-a", location: LOC });
  expect(reg.status).toBe(201);
  dataDir = mkdtempSync(path.join(tmpdir(), "ium-agent-dns-"));
  agent = await startAgentProcess({ edgeUrl: worker.url, token: reg.body.token, dataDir, env: { ASSIGNMENTS_REFRESH_S: "2" } });
}, 180_000);

afterAll(async () => {
  await agent?.kill("SIGKILL");
  await worker?.stop();
  await influx?.destroy();
  await nsd?.stop();
  for (const d of [state, dataDir]) if (d) rmSync(d, { recursive: true, force: true });
});

describe("dns monitors end to end", () => {
  it("land as dns_query points with Telegraf's tags and fields, and read back through the API", async () => {
    const [ok] = await waitForRows("dns-ok");
    expect(ok).toMatchObject({
      // Telegraf's tags
      server: "127.0.0.1",
      domain: "www.example.test",
      record_type: "A",
      result: "success",
      rcode: "NOERROR",
      // Telegraf's fields
      result_code: 0,
      rcode_value: 0,
      // ours
      port: String(nsd.port),
      monitor: "dns-ok",
      location: LOC,
      agent: "lab-a",
      up: 1,
      answers: 2,
    });
    expect(ok!.query_time_ms).toBeGreaterThan(0);
    expect(ok!.latency_ms).toBe(ok!.query_time_ms);
    expect(JSON.parse(String(ok!.values)).sort()).toEqual(["192.0.2.10", "192.0.2.11"]);

    const [mx] = await waitForRows("dns-mx-tcp");
    expect(mx).toMatchObject({ record_type: "MX", result: "success", answers: 2, up: 1 });
    expect(JSON.parse(String(mx!.values)).sort()).toEqual(["10 mail.example.test.", "20 mail2.example.test."]);

    const [nx] = await waitForRows("dns-nx");
    expect(nx).toMatchObject({
      domain: "nope.example.test",
      result: "error",
      result_code: 2,
      rcode: "NXDOMAIN",
      rcode_value: 3,
      up: 0,
      error_kind: "dns",
      answers: 0,
    });
    expect(String(nx!.error)).toContain("the response code is NXDOMAIN, not NOERROR (dns.valid_rcodes)");

    const history = await api("GET", "/api/v1/monitors/dns-ok/checks");
    expect(history.status, JSON.stringify(history.body)).toBe(200);
    expect(history.body.checks[0]).toMatchObject({
      ok: true,
      agent: "lab-a",
      dns: {
        server: nsd.server,
        record_type: "A",
        rcode: "NOERROR",
        rcode_value: 0,
        answers: 2,
        values: expect.arrayContaining(["192.0.2.10"]),
      },
    });
  }, 90_000);
});
