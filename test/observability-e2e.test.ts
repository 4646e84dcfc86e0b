// Observability end to end: wrangler dev + a real InfluxDB + one real agent process run http, tcp, icmp and tls
// checks (some failing) against local targets; then every panel query of every Grafana dashboard returns data,
// /metrics parses and agrees with the API, failed checks are in the Worker's logs, and the trim runs on its cron.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import tls from "node:tls";
import { promisify } from "node:util";
// @ts-expect-error no type declarations
import parsePrometheus from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain ESM helper without types
import { LOOPBACK_EGRESS_ALLOW, applyMigrations, startWorker } from "../scripts/lib/wrangler-dev.mjs";
import { TRIM_CRON } from "../edge/src/scheduler/crons.ts";
import { startAgentProcess, type AgentProcess } from "./services/agent-process.ts";
import { allPanels, loadDashboards, substitute, type Values } from "./services/dashboards.ts";
import { apiClient } from "./services/http.ts";
import { createDatabase, freePort, influxQuery, startInflux, type InfluxServer } from "./services/influxdb.ts";
import { startTargets, type Targets } from "./services/targets.ts";

const run = promisify(execFile);
const TOKEN = "obs-admin-token-0123456789abcdef";
const DB = "uptime_obs";
const LOC = "lab";
const MEASUREMENTS = "/^(http_response|net_response|ping|x509_cert|dns_query)$/";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let influx: InfluxServer;
let targets: Targets;
let tcpTarget: net.Server;
let tlsTarget: tls.Server;
let worker: { url: string; tick(time?: number, cron?: string): Promise<void>; stop(): Promise<void> };
let agent: AgentProcess;
let notAfter = 0;
const dirs: string[] = [];
const workerLog: Array<Record<string, any>> = [];
const started = Date.now();

const api = apiClient(() => worker.url, TOKEN);

/** A CA and a leaf for 127.0.0.1 valid for 20 days, made with the openssl CLI; the agent trusts the CA. */
async function certificates(dir: string) {
  const f = (n: string) => path.join(dir, n);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await run("openssl", [
    "req",
    "-x509",
    ...ec,
    "-keyout",
    f("ca.key"),
    "-out",
    f("ca.pem"),
    "-days",
    "30",
    "-subj",
    "/CN=Observability Test CA",
  ]);
  await run("openssl", ["req", "-new", ...ec, "-keyout", f("leaf.key"), "-out", f("leaf.csr"), "-subj", "/CN=localhost"]);
  writeFileSync(f("leaf.ext"), "basicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\nsubjectAltName = IP:127.0.0.1\n");
  await run("openssl", [
    "x509",
    "-req",
    "-in",
    f("leaf.csr"),
    "-CA",
    f("ca.pem"),
    "-CAkey",
    f("ca.key"),
    "-CAcreateserial",
    "-out",
    f("leaf.pem"),
    "-days",
    "20",
    "-extfile",
    f("leaf.ext"),
  ]);
  const end = (await run("openssl", ["x509", "-noout", "-enddate", "-in", f("leaf.pem")])).stdout.trim().replace(/^notAfter=/, "");
  return { ca: f("ca.pem"), key: readFileSync(f("leaf.key")), cert: readFileSync(f("leaf.pem")), notAfter: Date.parse(end) };
}

const listen = (s: net.Server) => new Promise<number>((r) => s.listen(0, "127.0.0.1", () => r((s.address() as net.AddressInfo).port)));

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "ium-obs-"));
  dirs.push(dir);
  influx = await startInflux();
  await createDatabase(influx, DB);
  targets = await startTargets();
  tcpTarget = net.createServer((s) => s.end());
  const tcpPort = await listen(tcpTarget);
  const certs = await certificates(dir);
  notAfter = certs.notAfter;
  tlsTarget = tls.createServer({ key: certs.key, cert: certs.cert }, (s) => s.end());
  tlsTarget.on("tlsClientError", () => {});
  const tlsPort = await listen(tlsTarget);
  const refused = await freePort();

  const state = path.join(dir, "state");
  await applyMigrations({ persistTo: state });
  worker = await startWorker({
    persistTo: state,
    vars: {
      ADMIN_TOKEN: TOKEN,
      EGRESS_ALLOW: LOOPBACK_EGRESS_ALLOW,
      INFLUX_URL: influx.url,
      INFLUX_DATABASE: DB,
      AGENT_LIVENESS_S: "30",
      LOG_LEVEL: "info",
    },
    onLine: (line: string) => {
      const i = line.indexOf("{");
      if (i < 0) return;
      try {
        workerLog.push(JSON.parse(line.slice(i)));
      } catch {
        /* not one of the Worker's JSON events */
      }
    },
  });
  const agentMonitor = { interval_s: 10, timeout_ms: 3000, locations: [LOC] };
  const monitors = [
    { id: "edge-ok", kind: "http", target: `${targets.baseUrl}/status/200` },
    { id: "edge-down", kind: "http", target: `http://127.0.0.1:${refused}/`, timeout_ms: 3000 },
    { id: "agent-http", kind: "http", runner: "agent", target: `${targets.baseUrl}/status/200`, ...agentMonitor },
    { id: "tcp-ok", kind: "tcp", target: `127.0.0.1:${tcpPort}`, ...agentMonitor },
    { id: "tcp-refused", kind: "tcp", target: `127.0.0.1:${refused}`, ...agentMonitor },
    { id: "icmp-lo", kind: "icmp", target: "127.0.0.1", icmp: { count: 2 }, ...agentMonitor },
    { id: "tls-ok", kind: "tls", target: `127.0.0.1:${tlsPort}`, ...agentMonitor },
  ];
  for (const m of monitors) expect((await api("POST", "/api/v1/monitors", m)).status, m.id).toBe(201);
  const reg = await api("POST", "/api/v1/agents", { id: "lab-a", location: LOC });
  expect(reg.status).toBe(201);
  const agentDir = mkdtempSync(path.join(tmpdir(), "ium-obs-agent-"));
  dirs.push(agentDir);
  agent = await startAgentProcess({
    edgeUrl: worker.url,
    token: reg.body.token,
    dataDir: agentDir,
    env: { ASSIGNMENTS_REFRESH_S: "2", NODE_EXTRA_CA_CERTS: certs.ca },
  });

  // Three edge ticks a minute apart in scheduled time (the checks themselves run now), while the agent runs its checks.
  const t0 = Date.now();
  for (let i = 0; i < 3; i++) {
    await worker.tick(t0 + i * 60_000);
    await sleep(5000);
  }
  await sleep(12_000);
  // Freeze: the agent stops (its last results pushed), so /metrics and the API are compared on the same data.
  expect(await agent.kill("SIGTERM")).toBe(0);
}, 240_000);

afterAll(async () => {
  await agent?.kill("SIGKILL");
  await worker?.stop();
  await targets?.close();
  tcpTarget?.close();
  tlsTarget?.close();
  await influx?.destroy();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

type Series = { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] };

async function influxSeries(q: string): Promise<Series[]> {
  const r = (await influxQuery(influx.url, q, undefined, DB)) as { results: Array<{ series?: Series[] }> };
  return r.results.flatMap((x) => x.series ?? []);
}

/** A query's answer has data: some value in a column other than time is not null. */
const hasData = (series: Series[]) => series.some((s) => s.values.some((row) => row.some((v, i) => s.columns[i] !== "time" && v !== null)));

/** Values of a template variable's SHOW TAG VALUES query, after substituting the variables before it. */
async function variableValues(q: string, values: Values): Promise<string[]> {
  const series = await influxSeries(substitute(q, values, range()));
  return [...new Set(series.flatMap((s) => s.values.map((v) => String(v[s.columns.indexOf("value")]))))].sort();
}

const range = () => ({ from: started - 60_000, to: Date.now() + 60_000, intervalMs: 10_000 });

describe("Grafana dashboards against real checks", () => {
  for (const { file, dashboard } of loadDashboards())
    it(`${file}: every panel query, with its variables substituted, runs and returns data`, async () => {
      const vars = dashboard.templating.list;
      const panels = allPanels(dashboard).filter((p) => p.targets?.length);
      // The monitor dashboard is tried with every monitor; the others with every variable at "All".
      const perMonitor = vars.some((v) => v.name === "monitor" && !v.multi);
      const monitors = perMonitor ? await variableValues(vars.find((v) => v.name === "monitor")!.query, {}) : [null];
      if (perMonitor) expect(monitors).toEqual(["agent-http", "edge-down", "edge-ok", "icmp-lo", "tcp-ok", "tcp-refused", "tls-ok"]);
      const answered = new Map<string, string[]>(); // panel/refId → monitors it had data for
      for (const monitor of monitors) {
        const values: Values = monitor ? { monitor: [monitor] } : {};
        for (const v of vars) {
          if (v.name === "monitor") continue;
          values[v.name] = await variableValues(v.query, values);
          expect(values[v.name]!.length, `$${v.name} (${monitor ?? "all"}) has values`).toBeGreaterThan(0);
        }
        for (const p of panels)
          for (const t of p.targets!) {
            const q = substitute(t.query, values, range());
            const key = `${p.title} (${t.refId})`;
            const series = await influxSeries(q).catch((e) => {
              throw new Error(`${file} "${key}": ${e.message}`);
            });
            if (!answered.has(key)) answered.set(key, []);
            if (hasData(series)) answered.get(key)!.push(monitor ?? "all");
          }
      }
      for (const [key, got] of answered) expect(got.length, `${file} "${key}" returned no data`).toBeGreaterThan(0);
      if (perMonitor)
        // Panels over every kind that do not filter on success or failure have data for every monitor.
        for (const p of panels)
          for (const t of p.targets!)
            if (t.query.includes(MEASUREMENTS) && !t.query.includes('"up" ='))
              expect(answered.get(`${p.title} (${t.refId})`), p.title).toEqual(monitors);
    }, 120_000);

  it("shows each failed check's error kind and message (the Failed checks table)", async () => {
    const overview = loadDashboards().find((d) => d.file === "overview.json")!.dashboard;
    const failed = allPanels(overview).find((p) => p.title === "Failed checks")!;
    const series = await influxSeries(substitute(failed.targets![0]!.query, { location: ["edge", LOC] }, range()));
    const rows = series.flatMap((s) =>
      s.values.map((v) => ({ monitor: s.tags?.monitor, ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) })),
    );
    const edgeDown = rows.find((r: any) => r.monitor === "edge-down") as any;
    expect(edgeDown).toMatchObject({ location: "edge", error_kind: "connection" });
    expect(edgeDown.error).toEqual(expect.any(String));
    expect(rows.find((r: any) => r.monitor === "tcp-refused")).toMatchObject({ location: LOC, agent: "lab-a", error_kind: "refused" });
  });
});

describe("/metrics against the API", () => {
  type Family = { name: string; type: string; help: string; metrics: Array<{ labels?: Record<string, string>; value: string }> };
  let families: Family[] = [];
  const value = (name: string, labels: Record<string, string>) => {
    const m = families.find((f) => f.name === name)?.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
    return m ? Number(m.value) : undefined;
  };

  beforeAll(async () => {
    const res = await fetch(`${worker.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    families = parsePrometheus(await res.text()) as Family[];
  });

  it("parses, with HELP and TYPE for every family, uptime_ names and units", () => {
    expect(families.length).toBeGreaterThan(10);
    for (const f of families) {
      expect(f.name).toMatch(/^uptime_[a-z_]+$/);
      expect(f.help.length).toBeGreaterThan(10);
      expect(["GAUGE", "COUNTER"]).toContain(f.type);
      if (f.type === "COUNTER") expect(f.name).toMatch(/_total$/);
    }
  });

  it("has each monitor's latest result per location, state and uptime as the API reports them", async () => {
    const status = (await api("GET", "/api/v1/status")).body.monitors as Array<{
      id: string;
      status: string;
      uptime: Record<string, number | null>;
    }>;
    expect(status).toHaveLength(7);
    for (const s of status) {
      const location = s.id.startsWith("edge-") ? "edge" : LOC;
      const [last] = (await api("GET", `/api/v1/monitors/${s.id}/checks?limit=1`)).body.checks;
      expect(last.location, s.id).toBe(location);
      expect(value("uptime_monitor_up", { monitor: s.id, location }), s.id).toBe(last.ok ? 1 : 0);
      expect(value("uptime_monitor_last_check_timestamp_seconds", { monitor: s.id, location }), s.id).toBe(Date.parse(last.ts) / 1000);
      if (last.latency_ms !== null)
        expect(value("uptime_monitor_response_time_seconds", { monitor: s.id, location })!, s.id).toBeCloseTo(last.latency_ms / 1000, 9);
      expect(value("uptime_monitor_status", { monitor: s.id, status: s.status }), s.id).toBe(1);
      for (const [window, api24] of [
        ["1d", "24h"],
        ["7d", "7d"],
        ["30d", "30d"],
      ] as const)
        expect(value("uptime_monitor_uptime_ratio", { monitor: s.id, location, window }), `${s.id} ${window}`).toBe(s.uptime[api24]);
    }
    expect(value("uptime_monitor_up", { monitor: "tcp-refused", location: LOC })).toBe(0);
    expect(value("uptime_monitor_up", { monitor: "tls-ok", location: LOC })).toBe(1);
  });

  it("has the certificate expiry the tls check read", async () => {
    const [last] = (await api("GET", "/api/v1/monitors/tls-ok/checks?limit=1")).body.checks;
    expect(last.tls.expires_at).toBe(notAfter);
    expect(value("uptime_monitor_certificate_expiry_timestamp_seconds", { monitor: "tls-ok", location: LOC })).toBe(notAfter / 1000);
    const left = value("uptime_monitor_certificate_expiry_seconds", { monitor: "tls-ok", location: LOC })!;
    expect(Math.abs(left - (notAfter - Date.now()) / 1000)).toBeLessThan(120);
  });

  it("has the agent's backlog and last-seen age, and the point outbox, as the API reports them", async () => {
    const a = (await api("GET", "/api/v1/agents")).body.agents.find((x: { id: string }) => x.id === "lab-a");
    expect(value("uptime_agent_backlog", { agent: "lab-a", location: LOC })).toBe(a.backlog);
    const age = value("uptime_agent_last_seen_age_seconds", { agent: "lab-a", location: LOC })!;
    expect(age).toBeGreaterThan(0);
    expect(Math.abs(age - (Date.now() - Date.parse(a.last_seen_at)) / 1000)).toBeLessThan(30);
    const ready = (await api("GET", "/readyz")).body;
    expect(value("uptime_point_outbox_depth", {})).toBe(ready.outbox.depth);
    expect(value("uptime_points_dropped_total", {})).toBe(ready.outbox.dropped);
    expect(value("uptime_point_store_info", { store: "influxdb" })).toBe(1);
  });
});

describe("logs and the daily trim", () => {
  it("logs every failed check with its monitor, error kind and message, from edge checks and agents alike", () => {
    const failed = workerLog.filter((l) => l.msg === "check failed");
    expect(failed.find((l) => l.monitor === "edge-down")).toMatchObject({
      location: "edge",
      check: "http",
      error_kind: "connection",
      error: expect.any(String),
    });
    expect(failed.find((l) => l.monitor === "tcp-refused")).toMatchObject({
      location: LOC,
      agent: "lab-a",
      check: "tcp",
      error_kind: "refused",
      error: expect.stringMatching(/refused/i),
    });
    expect(failed.filter((l) => ["edge-ok", "tcp-ok", "tls-ok", "icmp-lo", "agent-http"].includes(l.monitor))).toEqual([]);
  });

  it("runs the trim on its own cron under wrangler dev", async () => {
    await worker.tick(Date.now(), TRIM_CRON);
    const deadline = Date.now() + 10_000;
    while (!workerLog.some((l) => l.msg === "trim done") && Date.now() < deadline) await sleep(100);
    expect(workerLog.find((l) => l.msg === "trim done")).toMatchObject({ cron: TRIM_CRON, complete: true });
    expect(readFileSync(path.resolve(import.meta.dirname, "../wrangler.toml"), "utf8")).toContain(`crons = ["* * * * *", "${TRIM_CRON}"]`);
  });
});

describe("docker/register-agent.mjs (the stack's agent-register job)", () => {
  const register = async (file: string) => {
    const r = await run(process.execPath, [path.resolve(import.meta.dirname, "../docker/register-agent.mjs")], {
      env: {
        PATH: process.env.PATH ?? "",
        EDGE_URL: worker.url,
        ADMIN_TOKEN: TOKEN,
        AGENT_ID: "compose-test",
        AGENT_LOCATION: "compose",
        AGENT_TOKEN_FILE: file,
        UPTIME_SEED: "false",
      },
    });
    return { out: r.stdout, token: readFileSync(file, "utf8").trim() };
  };
  const works = async (token: string) =>
    (await fetch(`${worker.url}/api/v1/agents/me/assignments`, { headers: { authorization: `Bearer ${token}` } })).status;

  it("registers the agent once, keeps its working token, and registers it again when the edge has forgotten the token", async () => {
    const file = path.join(dirs[0]!, "agent-token");
    const first = await register(file);
    expect(first.out).toContain('registered agent "compose-test" in location "compose"');
    expect(await works(first.token)).toBe(200);
    const again = await register(file);
    expect(again.out).toContain('agent "compose-test" is registered and its token');
    expect(again.token).toBe(first.token);
    const tokens = (await api("GET", "/api/v1/tokens")).body.tokens as Array<{ id: string; name: string }>;
    expect((await api("DELETE", `/api/v1/tokens/${tokens.find((t) => t.name === "agent compose-test")!.id}`)).status).toBe(204);
    const renewed = await register(file);
    expect(renewed.out).toContain("registered agent");
    expect(renewed.token).not.toBe(first.token);
    expect(await works(renewed.token)).toBe(200);
  });
});
