// Shared pieces of the benchmarks: a Worker under wrangler dev on a temp state dir, its logs, stats.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
// @ts-expect-error plain ESM helper
import { applyMigrations, startWorker } from "../scripts/lib/wrangler-dev.mjs";
import { apiClient } from "../test/services/http.ts";

export const TOKEN = "bench-admin-token-0123456789abcdef";
export const MINUTE = 60_000;

export type BenchWorker = {
  url: string;
  state: string;
  logs: string[];
  /** The `wrangler dev` process; its descendants include workerd. */
  pid: number | undefined;
  tick(t?: number): Promise<void>;
  stop(): Promise<void>;
  api(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }>;
};

export function tempState(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export async function migrate(state: string) {
  await applyMigrations({ persistTo: state });
}

export async function worker(state: string, vars: Record<string, string> = {}): Promise<BenchWorker> {
  const logs: string[] = [];
  const w = await startWorker({
    persistTo: state,
    // The benchmarks aim up to 1,000 monitors at one local target on purpose: the per-host budget is lifted.
    // Their targets are local, which the egress policy refuses unless allowed, as npm start allows them.
    // They measure capacity with one admin token, so the rate limits are off unless a benchmark turns them on (rate-limits.ts).
    vars: {
      ADMIN_TOKEN: TOKEN,
      LOG_LEVEL: "info",
      HOST_CHECKS_PER_MIN: "1000000",
      EGRESS_ALLOW: "127.0.0.0/8,::1,localhost",
      RATE_LIMITS: "off",
      ...vars,
    },
    onLine: (l: string) => logs.push(l),
  });
  const api = apiClient(() => w.url, TOKEN);
  return { url: w.url, state, logs, pid: w.child.pid, tick: (t?: number) => w.tick(t), stop: () => w.stop(), api };
}

export function cleanup(dir: string) {
  rmSync(dir, { recursive: true, force: true });
}

/** JSON log lines whose msg is one of `msgs`. */
export function logRecords(logs: string[], msgs: string[]): Array<Record<string, any>> {
  const out: Array<Record<string, any>> = [];
  for (const l of logs) {
    if (!l.startsWith("{")) continue;
    try {
      const o = JSON.parse(l);
      if (msgs.includes(o.msg)) out.push(o);
    } catch {
      /* not one of ours */
    }
  }
  return out;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export async function pool<T>(items: T[], n: number, fn: (x: T) => Promise<void>) {
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < items.length) await fn(items[i++]!);
    }),
  );
}

export const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

let clockTicks = 0;

/**
 * CPU ms (user + system, from /proc) used so far by `root` and its descendants, or only those of them
 * whose command name is `comm` (e.g. "workerd"). Linux only.
 */
export function treeCpuMs(root: number, comm?: string): number {
  clockTicks ||= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  const procs: Array<{ pid: number; ppid: number; comm: string; ticks: number }> = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${d}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    procs.push({
      pid: Number(d),
      ppid: Number(f[1]),
      comm: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")),
      ticks: Number(f[11]) + Number(f[12]),
    });
  }
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs)
      if (!tree.has(p.pid) && tree.has(p.ppid)) {
        tree.add(p.pid);
        grew = true;
      }
  }
  const ticks = procs.filter((p) => tree.has(p.pid) && (comm === undefined || p.comm === comm)).reduce((a, p) => a + p.ticks, 0);
  return (ticks * 1000) / clockTicks;
}

export async function waitUntil(what: string, cond: () => boolean, timeoutMs = 120_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
