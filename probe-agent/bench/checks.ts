// Benchmark of the agent's checks: N checks per kind (tcp, http, icmp) against loopback targets; throughput, CPU per check (agent + child processes), RSS.
// Run: node probe-agent/bench/checks.ts [--n 1000] [--concurrency 50] [--kinds tcp,http,icmp,icmp-spread,tcp-spread,http-spread] [--spread-s 10] [--window-ms N]
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Monitor, type MonitorSpec } from "../../contract/index.ts";
import { defaultDeps } from "../src/checks/deps.ts";
import { runCheck } from "../src/checks/index.ts";

const { values: args } = parseArgs({
  options: {
    n: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "50" },
    kinds: { type: "string", default: "tcp,http,icmp,icmp-spread" },
    "spread-s": { type: "string", default: "10" },
    "window-ms": { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const N = Number(args.n);
const CONCURRENCY = Number(args.concurrency);
const SPREAD_S = Number(args["spread-s"]);
const KINDS = args.kinds!.split(",");

const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU so far, in ms: this process (all threads) and its waited-for children (fping, ping), from /proc/self/stat. */
function cpu(): { self: number; children: number } {
  const u = process.cpuUsage();
  const stat = readFileSync("/proc/self/stat", "utf8");
  // Fields after "(comm)": state is field 3, so cutime (16) and cstime (17) are at offsets 13 and 14.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const children = ((Number(f[13]) + Number(f[14])) * 1000) / CLK_TCK;
  return { self: (u.user + u.system) / 1000, children };
}

let peakRss = 0;
// Sampled cheaply and rarely: the sampler must not add CPU of its own to slow (spread) runs.
const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 500);
rssTimer.unref();

/** Loopback targets in their own process, so their CPU is not counted as the agent's (it is never reaped before the end). */
async function startTargets(): Promise<{ tcp: number; http: number; stop: () => void }> {
  const code = `
    import { createServer } from "node:net";
    import { createServer as http } from "node:http";
    const t = createServer((s) => { s.on("error", () => {}); s.end(); });
    const h = http((req, res) => res.end("ok"));
    h.on("connection", (s) => s.on("error", () => {}));
    await new Promise((r) => t.listen(0, "127.0.0.1", 4096, r));
    await new Promise((r) => h.listen(0, "127.0.0.1", 4096, r));
    process.stdout.write(JSON.stringify({ tcp: t.address().port, http: h.address().port }) + "\\n");
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    let buf = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      buf += d;
      if (buf.includes("\n")) resolve(buf.trim());
    });
    child.on("exit", (c) => reject(new Error(`target process exited (${c})`)));
  });
  const ports = JSON.parse(line) as { tcp: number; http: number };
  return { ...ports, stop: () => child.kill() };
}

function monitors(kind: "tcp" | "http" | "icmp", n: number, ports: { tcp: number; http: number }): MonitorSpec[] {
  return Array.from({ length: n }, (_, i) => {
    const id = `${kind}-${i}`;
    if (kind === "tcp") return Monitor.parse({ id, kind, target: `127.0.0.1:${ports.tcp}` });
    if (kind === "http") return Monitor.parse({ id, kind, target: `http://127.0.0.1:${ports.http}/`, runner: "agent" });
    // Distinct loopback addresses (all of 127/8 answers), so no two checks share a target in a batch.
    return Monitor.parse({ id, kind, target: `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}` });
  });
}

interface Row {
  kind: string;
  checks: number;
  ok: number;
  wall_s: number;
  checks_per_s: number;
  cpu_ms_per_check: number;
  agent_cpu_ms_per_check: number;
  children_cpu_ms_per_check: number;
  rss_mb: number;
}

async function measure(kind: string, specs: MonitorSpec[], drive: (specs: MonitorSpec[]) => Promise<number>): Promise<Row> {
  peakRss = process.memoryUsage.rss();
  const c0 = cpu();
  const t0 = performance.now();
  const ok = await drive(specs);
  const wall = (performance.now() - t0) / 1000;
  const c1 = cpu();
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  const n = specs.length;
  const self = (c1.self - c0.self) / n;
  const children = (c1.children - c0.children) / n;
  return {
    kind,
    checks: n,
    ok,
    wall_s: round(wall, 2),
    checks_per_s: round(n / wall, 0),
    cpu_ms_per_check: round(self + children, 3),
    agent_cpu_ms_per_check: round(self, 3),
    children_cpu_ms_per_check: round(children, 3),
    rss_mb: round(peakRss / 2 ** 20, 1),
  };
}
const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

const deps = defaultDeps(args["window-ms"] ? { ping: { windowMs: Number(args["window-ms"]) } } : {});

/** At most `CONCURRENCY` checks in flight, as the scheduler bounds them. */
async function bounded(specs: MonitorSpec[]): Promise<number> {
  let next = 0;
  let ok = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, specs.length) }, async () => {
      while (next < specs.length) {
        const r = await runCheck(specs[next++]!, deps);
        if (r.ok) ok++;
      }
    }),
  );
  return ok;
}

/** All due at once (a burst): what batching is best at. */
async function burst(specs: MonitorSpec[]): Promise<number> {
  return (await Promise.all(specs.map((s) => runCheck(s, deps)))).filter((r) => r.ok).length;
}

/** Due evenly over SPREAD_S seconds, as N monitors with interval_s = SPREAD_S and spread offsets are. */
async function spread(specs: MonitorSpec[]): Promise<number> {
  const gap = (SPREAD_S * 1000) / specs.length;
  const start = performance.now();
  const runs = specs.map(
    (s, i) =>
      new Promise<boolean>((resolve) => {
        setTimeout(() => runCheck(s, deps).then((r) => resolve(r.ok)), Math.max(0, start + i * gap - performance.now()));
      }),
  );
  return (await Promise.all(runs)).filter(Boolean).length;
}

const targets = await startTargets();
const rows: Row[] = [];
try {
  // Warm-up: JIT, undici, the pinger's one-time choice of fping or ping.
  await bounded(monitors("tcp", 50, targets));
  await bounded(monitors("http", 50, targets));
  if (KINDS.some((k) => k.startsWith("icmp"))) await burst(monitors("icmp", 5, targets));

  if (KINDS.includes("tcp")) rows.push(await measure("tcp", monitors("tcp", N, targets), bounded));
  if (KINDS.includes("http")) rows.push(await measure("http", monitors("http", N, targets), bounded));
  if (KINDS.includes("icmp")) rows.push(await measure("icmp (burst)", monitors("icmp", N, targets), burst));
  if (KINDS.includes("tcp-spread")) rows.push(await measure(`tcp (spread over ${SPREAD_S} s)`, monitors("tcp", N, targets), spread));
  if (KINDS.includes("http-spread")) rows.push(await measure(`http (spread over ${SPREAD_S} s)`, monitors("http", N, targets), spread));
  if (KINDS.includes("icmp-spread")) rows.push(await measure(`icmp (spread over ${SPREAD_S} s)`, monitors("icmp", N, targets), spread));
} finally {
  targets.stop();
}

if (args.json) process.stdout.write(`${JSON.stringify({ pinger: deps.pinger.describe(), concurrency: CONCURRENCY, rows })}\n`);
else {
  process.stdout.write(
    `pinger: ${deps.pinger.describe()}\ntcp/http concurrency: ${CONCURRENCY}; CPU includes child processes (fping/ping), from /proc/self/stat at ${1000 / CLK_TCK} ms resolution\n\n`,
  );
  console.table(rows);
}
process.exit(0);
