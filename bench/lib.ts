// Shared pieces of the benchmarks: a Worker under wrangler dev on a temp state dir, its logs, stats.
import { mkdtempSync, rmSync } from "node:fs";
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
    vars: { ADMIN_TOKEN: TOKEN, LOG_LEVEL: "info", HOST_CHECKS_PER_MIN: "1000000", ...vars },
    onLine: (l: string) => logs.push(l),
  });
  const api = apiClient(() => w.url, TOKEN);
  return { url: w.url, state, logs, tick: (t?: number) => w.tick(t), stop: () => w.stop(), api };
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
