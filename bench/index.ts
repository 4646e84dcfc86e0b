// `npm run bench`: every benchmark, each reporting what it measured; results also go to .artifacts/bench.json.
// Select some with arguments: `npm run bench -- tick accuracy status ui agent`. BENCH_DAYS shortens the status history.
// BENCH_COST_TICKS, BENCH_COST_LARGE (0 skips the 1,000-monitor run) and BENCH_COST_LARGE_TICKS size the cost benchmark;
// BENCH_API_LOAD_S the seconds per concurrency level of api-load; BENCH_RATE_LIMITS_AMOUNT the requests per limit of rate-limits.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { benchAccuracy, benchTick } from "./edge-tick.ts";
import { benchStatus } from "./status.ts";
import { benchUi } from "./ui.ts";
import { benchFalseAlerts, benchTimeToDetect } from "./alerting.ts";
import { benchAgentProcess } from "./agent-process.ts";
import { execFileSync } from "node:child_process";
import { benchCost } from "./cost.ts";
import { benchApiLoad } from "./api-load.ts";
import { benchScale } from "./scale.ts";
import { benchFleet } from "./fleet.ts";
import { benchRateLimits } from "./rate-limits.ts";

/** The agent's check benchmark runs in its own process, so its CPU and RSS are the agent's alone. */
function benchAgentChecks(): unknown {
  const root = path.resolve(import.meta.dirname, "..");
  const out = execFileSync(process.execPath, ["--max-semi-space-size=2", path.join(root, "probe-agent/bench/checks.ts"), "--json"], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  const last = out.trim().split("\n").pop()!;
  return {
    note: "the checks alone, run from the TypeScript sources (RSS includes Node's type stripper); the shipped agent is the agent-process benchmark",
    ...JSON.parse(last),
  };
}

const BENCHES: Record<string, () => Promise<unknown>> = {
  tick: () => benchTick(1000, 50),
  accuracy: () => benchAccuracy(60, 100),
  status: () => benchStatus({ monitors: 100, days: Number(process.env.BENCH_DAYS ?? 30), requests: 200 }),
  "status-1k": () =>
    benchStatus({
      monitors: 1000,
      days: 3,
      requests: 100,
      stores: process.env.BENCH_STORES?.split(",") as Array<"embedded" | "influxdb"> | undefined,
    }),
  ui: () => benchUi({ runs: 20 }),
  "ui-1k": () => benchUi({ runs: 10, monitors: 1000 }),
  agent: async () => benchAgentChecks(),
  "agent-process": () =>
    benchAgentProcess(
      (process.env.BENCH_AGENT_KINDS?.split(",") as Array<"tcp" | "http" | "icmp"> | undefined) ?? ["tcp", "http", "icmp"],
      1000,
      60,
    ),
  "false-alerts": () => benchFalseAlerts(1000, 0.05),
  "time-to-detect": () => benchTimeToDetect([1, 30, 59]),
  "api-load": () => benchApiLoad({ concurrency: [8, 32, 128], durationS: Number(process.env.BENCH_API_LOAD_S ?? 5), monitors: 100 }),
  fleet: () => benchFleet({ monitors: Number(process.env.BENCH_FLEET_MONITORS ?? 10_000), ticks: 2 }),
  "rate-limits": () => benchRateLimits({ amount: Number(process.env.BENCH_RATE_LIMITS_AMOUNT ?? 2000), connections: 20 }),
  scale: () => benchScale({ monitors: Number(process.env.BENCH_SCALE_MONITORS ?? 3000), replicas: [1, 2, 4] }),
  cost: () =>
    benchCost({
      monitors: 50,
      ticks: Number(process.env.BENCH_COST_TICKS ?? 10),
      statusReads: 10,
      large: Number(process.env.BENCH_COST_LARGE ?? 1000),
      largeTicks: Number(process.env.BENCH_COST_LARGE_TICKS ?? 3),
    }),
};

const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(BENCHES);
const unknown = wanted.filter((w) => !(w in BENCHES));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; choose from ${Object.keys(BENCHES).join(", ")}`);
  process.exit(2);
}

const report: Record<string, unknown> = { at: new Date().toISOString(), node: process.version };
for (const name of wanted) {
  process.stdout.write(`== ${name}\n`);
  const started = performance.now();
  report[name] = await BENCHES[name]!();
  process.stdout.write(`${JSON.stringify(report[name], null, 2)}\n(${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
}
const dir = path.resolve(import.meta.dirname, "../.artifacts");
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, "bench.json"), JSON.stringify(report, null, 2));
process.stdout.write(`written to ${path.join(dir, "bench.json")}\n`);
