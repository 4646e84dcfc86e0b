// Benchmark: the real agent process (scheduler, SQLite outbox, pushes to the real Worker under
// wrangler dev) running 1,000 monitors of one kind at 10 s intervals against loopback targets.
// CPU per check counts the agent and every process it starts (fping), from /proc; RSS from /proc.
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { AGENT_NODE_ARGS, startAgentProcess } from "../test/services/agent-process.ts";
import { cleanup, migrate, pool, round, tempState, worker } from "./lib.ts";

/** Measuring starts this long after the agent started: a long-running agent's CPU, not its start-up. */
const WARMUP_S = Number(process.env.BENCH_AGENT_WARMUP_S ?? 30);

const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

/** CPU ms of a process and its waited-for children (utime+stime+cutime+cstime). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 1000) / CLK_TCK;
}
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

async function checksDone(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let n = 0;
  for (const line of text.split("\n")) if (line.startsWith("uptime_agent_checks_total{")) n += Number(line.split(" ").pop());
  return n;
}

export async function benchAgentProcess(kinds: Array<"tcp" | "http" | "icmp"> = ["tcp", "http", "icmp"], n = 1000, measureS = 30) {
  const tcp = net.createServer((s) => s.end());
  const web = http.createServer((_q, r) => r.end("ok"));
  await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
  await new Promise<void>((r) => web.listen(0, "127.0.0.1", r));
  const tcpPort = (tcp.address() as net.AddressInfo).port;
  const webPort = (web.address() as net.AddressInfo).port;
  const rows = [];
  try {
    for (const kind of kinds) {
      const state = tempState(`ium-bench-agentproc-${kind}-`);
      const dataDir = mkdtempSync(path.join(tmpdir(), "ium-bench-agent-data-"));
      await migrate(state);
      const w = await worker(state, { LOG_LEVEL: "error" });
      try {
        const reg = await w.api("POST", "/api/v1/agents", { id: "bench-a", location: "bench" });
        const target = { tcp: `127.0.0.1:${tcpPort}`, http: `http://127.0.0.1:${webPort}/`, icmp: "127.0.0.1" }[kind];
        await pool(
          Array.from({ length: n }, (_, i) => i),
          8,
          async (i) => {
            const body: Record<string, unknown> = { id: `${kind}-${i}`, kind, target, interval_s: 10, timeout_ms: 3000, runner: "agent" };
            const r = await w.api("POST", "/api/v1/monitors", body);
            if (r.status !== 201) throw new Error(JSON.stringify(r.body));
          },
        );
        const agent = await startAgentProcess({
          edgeUrl: w.url,
          token: reg.body.token,
          dataDir,
          nodeArgs: process.env.BENCH_AGENT_NODE_ARGS?.split(" ").filter(Boolean) ?? AGENT_NODE_ARGS,
          ...(process.env.BENCH_AGENT_SCRIPT ? { script: process.env.BENCH_AGENT_SCRIPT } : {}),
          env: { LOG_LEVEL: "info", ASSIGNMENTS_REFRESH_S: "30", CONCURRENCY: process.env.BENCH_AGENT_CONCURRENCY ?? "256" },
        });
        try {
          await new Promise((r) => setTimeout(r, WARMUP_S * 1000)); // assignments fetched, every monitor run a few times, the JIT warm
          const pid = agent.pid!;
          const c0 = cpuMs(pid);
          const k0 = await checksDone(agent.url);
          let rss = rssMb(pid);
          for (let s = 0; s < measureS; s += 5) {
            await new Promise((r) => setTimeout(r, 5000));
            rss = Math.max(rss, rssMb(pid));
          }
          const c1 = cpuMs(pid);
          const k1 = await checksDone(agent.url);
          const checks = k1 - k0;
          const health = await agent.health();
          rows.push({
            kind,
            monitors: n,
            interval_s: 10,
            checks,
            checks_per_s: round(checks / measureS, 1),
            cpu_ms_per_check: round((c1 - c0) / checks, 3),
            peak_rss_mb: round(rss, 1),
            outbox_depth_at_end: health.body.outbox?.depth ?? null,
          });
        } finally {
          await agent.kill("SIGTERM");
        }
      } finally {
        await w.stop();
        cleanup(state);
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  } finally {
    tcp.close();
    web.close();
  }
  return {
    note: `the real agent process as shipped (probe-agent/dist/agent.mjs, node ${AGENT_NODE_ARGS.join(" ")}): scheduler, SQLite outbox and pushes to wrangler dev included; CPU (user+system, from /proc) includes fping children; measured for ${measureS} s after a ${WARMUP_S} s warm-up`,
    rows,
  };
}
