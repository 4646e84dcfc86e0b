// Benchmark: 1,000 HTTP monitors due in one cron tick against a local target answering after 50 ms.
// Reports wall time until every result is stored, checks/s, and — measured, not assumed — the most
// subrequests and requests in flight any one invocation used.
import { startCountingTarget } from "../test/services/counting-target.ts";
import { MINUTE, cleanup, logRecords, migrate, pool, round, tempState, worker } from "./lib.ts";

export async function benchTick(n = 1000, delayMs = 50) {
  const target = await startCountingTarget();
  const state = tempState("ium-bench-tick-");
  await migrate(state);
  const w = await worker(state);
  try {
    const ids = Array.from({ length: n }, (_, i) => `tick-${String(i).padStart(4, "0")}`);
    await pool(ids, 8, async (id) => {
      const r = await w.api("POST", "/api/v1/monitors", {
        id,
        kind: "http",
        target: `${target.url}/hit/${id}?ms=${delayMs}`,
        timeout_ms: 10_000,
      });
      if (r.status !== 201) throw new Error(`create ${id}: ${r.status} ${JSON.stringify(r.body)}`);
    });
    await fetch(`${target.url}/control/reset`, { method: "POST" });
    const t = Math.floor(Date.now() / MINUTE) * MINUTE + MINUTE;
    const started = performance.now();
    await w.tick(t);
    let checked = 0;
    while (performance.now() - started < 120_000) {
      const list = await w.api("GET", "/api/v1/monitors");
      checked = list.body.monitors.filter((m: any) => m.state.last_check_at !== null).length;
      if (checked === n) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const wall = (performance.now() - started) / 1000;
    const batches = logRecords(w.logs, ["tick done", "check batch done"]);
    const stats = (await (await fetch(`${target.url}/control/stats`)).json()) as any;
    return {
      monitors: n,
      target_delay_ms: delayMs,
      checked,
      wall_s: round(wall),
      checks_per_s: round(checked / wall, 1),
      invocations: batches.length,
      planned_batches: batches.find((b) => b.msg === "tick done")?.batches,
      max_subrequests_per_invocation: Math.max(...batches.map((b) => b.subrequests)),
      subrequest_budget: 50,
      max_in_flight_per_invocation: Math.max(...batches.map((b) => b.max_in_flight)),
      target_hits: stats.total,
      target_max_concurrent_all_invocations: stats.max_in_flight,
    };
  } finally {
    await w.stop();
    await target.close();
    cleanup(state);
  }
}

export async function benchAccuracy(n = 60, delayMs = 100) {
  const target = await startCountingTarget();
  const state = tempState("ium-bench-acc-");
  await migrate(state);
  const w = await worker(state);
  try {
    const ids = Array.from({ length: n }, (_, i) => `acc-${i}`);
    await pool(ids, 8, async (id) => {
      const r = await w.api("POST", "/api/v1/monitors", { id, kind: "http", target: `${target.url}/hit/${id}?ms=${delayMs}` });
      if (r.status !== 201) throw new Error(`create ${id}: ${r.status}`);
    });
    await w.tick(Math.floor(Date.now() / MINUTE) * MINUTE + MINUTE);
    const deadline = Date.now() + 60_000;
    let latencies: number[] = [];
    while (Date.now() < deadline) {
      const list = await w.api("GET", "/api/v1/monitors");
      latencies = list.body.monitors.map((m: any) => m.state.latency_ms).filter((x: number | null) => x !== null);
      if (latencies.length === n) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const errors = latencies.map((l) => Math.abs(l - delayMs)).sort((a, b) => a - b);
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      samples: latencies.length,
      target_delay_ms: delayMs,
      median_reported_ms: sorted[Math.floor(sorted.length / 2)],
      median_abs_error_ms: errors[Math.floor(errors.length / 2)],
      max_abs_error_ms: errors[errors.length - 1],
    };
  } finally {
    await w.stop();
    await target.close();
    cleanup(state);
  }
}
