// Benchmark: the planning and queue side of one cron tick at fleet size (default 10,000 HTTP edge
// monitors at 60 s) under wrangler dev, against a local target that answers at once: how long the
// tick plans, how many queue messages and invocations it makes, what each invocation spends
// (subrequests, requests in flight, D1 statements) against Cloudflare's limits, what the tick reads and
// writes in D1 and how long until every check is recorded. Then production projections from those
// measurements and bench/prices.ts: the queue's throughput at Cloudflare's consumer concurrency, and
// which limit or price each plan meets first as monitors grow.
// Run alone: `node bench/fleet.ts` (BENCH_FLEET_MONITORS, BENCH_FLEET_TICKS size it).
import { readdirSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { SETTINGS } from "../edge/src/config/settings.ts";
// @ts-expect-error plain ESM helper
import { LOOPBACK_EGRESS_ALLOW } from "../scripts/lib/wrangler-dev.mjs";
import { startCountingTarget } from "../test/services/counting-target.ts";
import { monthlyCost } from "./cost.ts";
import {
  MINUTE,
  cleanup,
  logRecords,
  migrate,
  percentile,
  pool,
  round,
  tempState,
  treeCpuMs,
  waitUntil,
  worker,
  type BenchWorker,
} from "./lib.ts";
import { D1_PRICES, DAYS_PER_MONTH, LIMITS, PRICES_READ_ON, QUEUES_PRICES, WORKERS_PRICES } from "./prices.ts";

/** A setting's default, from the Worker's own list (edge/src/config/settings.ts). */
function settingDefault(name: string): number {
  const s = SETTINGS.find((x) => x.name === name);
  if (!s || s.default === null) throw new Error(`no default for ${name} in edge/src/config/settings.ts`);
  return Number(s.default);
}

/** Concurrent POSTs while creating the monitors (BENCH_FLEET_CREATE_CONCURRENCY). */
const CREATE_CONCURRENCY = Number(process.env.BENCH_FLEET_CREATE_CONCURRENCY ?? 12);
/** Target latencies the queue's throughput is also projected for: real targets answer slower than a local one. */
const PROJECTED_LATENCIES_MS = [100, 500];

type Line = Record<string, any>;

const CHECKS_PER_DAY = 24 * 60;

/**
 * Bytes in use in the local D1 database (pages less free pages, WAL included), read with the Worker
 * stopped so nothing else holds it; null when the file is not where wrangler dev keeps it.
 */
function d1Bytes(state: string): number | null {
  // `wrangler dev --persist-to <state>` keeps the D1 binding's SQLite file here (metadata.sqlite is Miniflare's own).
  const dir = path.join(state, "v3", "d1", "miniflare-D1DatabaseObject");
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite");
  } catch {
    return null;
  }
  if (files.length !== 1) return null;
  const db = new DatabaseSync(path.join(dir, files[0]!), { readOnly: true });
  try {
    const pragma = (p: string) => Number((db.prepare(`PRAGMA ${p}`).get() as Record<string, number>)[p]);
    return (pragma("page_count") - pragma("freelist_count")) * pragma("page_size");
  } finally {
    db.close();
  }
}

/** The most intervals [start, end] open at one instant. */
function maxOverlap(intervals: Array<[number, number]>): number {
  const events = intervals.flatMap(([a, b]) => [
    [a, 1],
    [b, -1],
  ]);
  events.sort((x, y) => x[0]! - y[0]! || x[1]! - y[1]!);
  let open = 0;
  let most = 0;
  for (const [, d] of events) {
    open += d!;
    most = Math.max(most, open);
  }
  return most;
}

const sum = (xs: number[]) => xs.reduce((a, x) => a + x, 0);
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? null
    : { mean: round(sum(s) / s.length, 1), p50: percentile(s, 50), p95: percentile(s, 95), max: s[s.length - 1]! };
};

/** The workerd processes' CPU ms under this wrangler dev (every local service included), or null off Linux. */
function workerdCpu(w: BenchWorker): number | null {
  if (w.pid === undefined || process.platform !== "linux") return null;
  return treeCpuMs(w.pid, "workerd");
}

async function oneTick(w: BenchWorker, targetUrl: string, scheduledTime: number, monitors: number) {
  await fetch(`${targetUrl}/control/reset`, { method: "POST" });
  const before = w.logs.length;
  const cpu0 = workerdCpu(w);
  const startedAt = Date.now();
  const started = performance.now();
  await w.tick(scheduledTime);
  const tickCallMs = performance.now() - started;
  const cpuTick = workerdCpu(w);
  // The line may reach this process a little after the scheduled handler answered.
  const tickLine = () => logRecords(w.logs.slice(before), ["tick done"])[0];
  await waitUntil(
    "the tick's line",
    () => tickLine() !== undefined || w.logs.slice(before).some((l) => l.includes('"level":"error"')),
    5 * MINUTE,
  ).catch(() => {});
  const tick = tickLine();
  if (!tick)
    throw new Error(
      `no "tick done" line after the tick of ${new Date(scheduledTime).toISOString()}:\n${w.logs
        .slice(before)
        .filter((l) => l.includes('"level":"error"') || l.includes('"level":"warn"'))
        .slice(-5)
        .join("\n")}`,
    );
  const due: number = tick.due;
  await waitUntil(
    `all ${due} checks of the tick recorded`,
    () => sum(logRecords(w.logs.slice(before), ["tick done", "check batch done"]).map((l) => l.checks)) >= due,
    30 * MINUTE,
    100,
  );
  const allRecordedMs = performance.now() - started;
  const cpuAll = workerdCpu(w);
  const lines = logRecords(w.logs.slice(before), ["tick done", "check batch done"]);
  const batches = lines.filter((l) => l.msg === "check batch done");
  const target = (await (await fetch(`${targetUrl}/control/stats`)).json()) as { total: number; max_in_flight: number };
  const interval = (l: Line): [number, number] => [Date.parse(l.ts) - l.duration_ms, Date.parse(l.ts)];
  const lastDone = Math.max(...lines.map((l) => Date.parse(l.ts)));
  const batchMs = stats(batches.map((l) => l.duration_ms));
  return {
    scheduled_time: new Date(scheduledTime).toISOString(),
    monitors,
    due,
    checks_recorded: sum(lines.map((l) => l.checks)),
    target_hits: target.total,
    planned_batches: tick.batches as number,
    queue_messages: tick.enqueued_batches as number,
    invocations: lines.length,
    tick: {
      duration_ms: tick.duration_ms as number,
      // The tick also runs the first batch: its planning is roughly its duration less a queue batch's.
      planning_ms_estimate: batchMs ? Math.max(0, round(tick.duration_ms - batchMs.mean, 0)) : tick.duration_ms,
      scheduled_call_ms: round(tickCallMs, 0),
      checks: tick.checks as number,
      subrequests: tick.subrequests as number,
      max_in_flight: tick.max_in_flight as number,
      d1_statements: tick.d1_statements as number,
      d1_rows_read: tick.d1_rows_read as number,
      d1_rows_written: tick.d1_rows_written as number,
      workerd_process_cpu_ms: cpu0 === null || cpuTick === null ? null : round(cpuTick - cpu0, 0),
    },
    queue_batches: {
      count: batches.length,
      checks: stats(batches.map((l) => l.checks)),
      duration_ms: batchMs,
      d1_statements: stats(batches.map((l) => l.d1_statements)),
      subrequests_max: batches.length ? Math.max(...batches.map((l) => l.subrequests)) : null,
      max_in_flight_max: batches.length ? Math.max(...batches.map((l) => l.max_in_flight)) : null,
      // How many consumer invocations wrangler dev ran at once, from each line's end time and duration.
      concurrent_max: batches.length ? maxOverlap(batches.map(interval)) : 0,
    },
    per_invocation_max: {
      subrequests: Math.max(...lines.map((l) => l.subrequests)),
      max_in_flight: Math.max(...lines.map((l) => l.max_in_flight)),
      d1_statements: Math.max(...lines.map((l) => l.d1_statements)),
    },
    // The tick sends its messages before it runs its own batch, so the consumer may run alongside it.
    invocations_concurrent_max: maxOverlap(lines.map(interval)),
    target_max_in_flight_all_invocations: target.max_in_flight,
    d1_rows_read: sum(lines.map((l) => l.d1_rows_read)),
    d1_rows_written: sum(lines.map((l) => l.d1_rows_written)),
    d1_statements: sum(lines.map((l) => l.d1_statements)),
    all_recorded_ms: round(allRecordedMs, 0),
    last_line_after_tick_start_ms: lastDone - startedAt,
    workerd_process_cpu_ms_all: cpu0 === null || cpuAll === null ? null : round(cpuAll - cpu0, 0),
  };
}

type Tick = Awaited<ReturnType<typeof oneTick>>;

/** What one tick cost per check. */
function perCheckOf(t: Tick) {
  const c = t.checks_recorded;
  return {
    rows_read: t.d1_rows_read / c,
    rows_written: t.d1_rows_written / c,
    invocations: t.invocations / c,
    queue_messages: t.queue_messages / c,
  };
}
type PerCheck = ReturnType<typeof perCheckOf>;

/**
 * The exponent k of `rate ∝ monitors^k` between two measured sizes: 0 when the rate does not grow
 * (what falls is taken as constant, the cautious reading).
 */
function growth(small: number, large: number, nSmall: number, nLarge: number): number {
  if (!(small > 0 && large > 0) || nLarge <= nSmall) return 0;
  return Math.max(0, Math.log(large / small) / Math.log(nLarge / nSmall));
}

/**
 * From the steady ticks at two fleet sizes: the queue's production throughput and the monitor counts at
 * which each plan meets a limit or a price first. Every per-check rate is the one measured at the larger
 * size, extrapolated as `rate × (m / n)^k` with k from the two sizes, so a rate that grows with the fleet
 * (a query that scans every monitor, say) is projected to keep growing.
 */
function project(small: Tick, large: Tick, bytesPerCheck: number | null, bytesPerMonitor: number | null) {
  const n = large.monitors;
  const rate = perCheckOf(large);
  const rateSmall = perCheckOf(small);
  const k = Object.fromEntries(
    (Object.keys(rate) as Array<keyof PerCheck>).map((key) => [key, growth(rateSmall[key], rate[key], small.monitors, n)]),
  ) as PerCheck;
  const at = (m: number): PerCheck =>
    Object.fromEntries((Object.keys(rate) as Array<keyof PerCheck>).map((key) => [key, rate[key] * (m / n) ** k[key]])) as PerCheck;
  // Monitors at which `perDay × m × rate(m)` reaches `limit`, rate(m) = rate × (m/n)^k: m = (limit × n^k / (perDay × rate))^(1 / (1 + k)).
  const reached = (limit: number, perDay: number, key: keyof PerCheck, times = 1) =>
    rate[key] > 0 ? Math.floor(((limit * n ** k[key]) / (perDay * rate[key] * times)) ** (1 / (1 + k[key]))) : Number.POSITIVE_INFINITY;

  const batchMs = large.queue_batches.duration_ms?.mean ?? large.tick.duration_ms;
  const checksPerBatch = large.queue_batches.checks?.mean ?? large.tick.checks;
  const consumers = LIMITS.queues.maxConcurrentConsumers;
  const inFlight = LIMITS.simultaneousOpenConnections;
  // A batch against real targets: its measured time plus, per round of 6 checks in flight, the target's latency.
  const batchAt = (latencyMs: number) => batchMs + Math.ceil(checksPerBatch / inFlight) * latencyMs;
  const perMinute = (ms: number) => Math.floor((consumers * MINUTE * checksPerBatch) / ms);
  const throughput = {
    max_concurrent_consumers: consumers,
    checks_per_batch: round(checksPerBatch, 1),
    batch_ms_measured: batchMs,
    checks_per_minute_local_target: perMinute(batchMs),
    ...Object.fromEntries(PROJECTED_LATENCIES_MS.map((l) => [`checks_per_minute_targets_at_${l}_ms`, perMinute(batchAt(l))])),
    note: `${consumers} consumer invocations at once (Cloudflare's maximum), each running one ${round(checksPerBatch, 0)}-check batch in the ${batchMs} ms measured with ${n.toLocaleString("en-US")} monitors (local target), or with targets answering in ${PROJECTED_LATENCIES_MS.join(" or ")} ms (${inFlight} in flight per invocation); 60 s monitors fit while there are fewer than these checks per minute`,
  };

  const retentionDays = settingDefault("RETENTION_POINTS_DAYS");
  const month = DAYS_PER_MONTH * CHECKS_PER_DAY;
  const ops = QUEUES_PRICES.operationsPerMessage;
  const limits: Array<{ plan: string; limit: string; monitors: number }> = [
    { plan: "Free", limit: "D1 rows written per day", monitors: reached(D1_PRICES.free.rowsWrittenPerDay, CHECKS_PER_DAY, "rows_written") },
    { plan: "Free", limit: "D1 rows read per day", monitors: reached(D1_PRICES.free.rowsReadPerDay, CHECKS_PER_DAY, "rows_read") },
    {
      plan: "Free",
      limit: "Workers requests per day",
      monitors: reached(WORKERS_PRICES.free.requestsPerDay, CHECKS_PER_DAY, "invocations"),
    },
    {
      plan: "Free",
      limit: "Queues operations per day",
      monitors: reached(QUEUES_PRICES.free.operationsPerDay, CHECKS_PER_DAY, "queue_messages", ops),
    },
    {
      plan: "Paid",
      limit: "D1 rows written included per month",
      monitors: reached(D1_PRICES.paid.rowsWrittenPerMonth, month, "rows_written"),
    },
    { plan: "Paid", limit: "D1 rows read included per month", monitors: reached(D1_PRICES.paid.rowsReadPerMonth, month, "rows_read") },
    {
      plan: "Paid",
      limit: "Workers requests included per month",
      monitors: reached(WORKERS_PRICES.paid.requestsPerMonth, month, "invocations"),
    },
    {
      plan: "Paid",
      limit: "Queues operations included per month",
      monitors: reached(QUEUES_PRICES.paid.operationsPerMonth, month, "queue_messages", ops),
    },
    {
      plan: "both",
      limit: `queue throughput: ${consumers} consumers, targets at ${PROJECTED_LATENCIES_MS.at(-1)} ms`,
      monitors: perMinute(batchAt(PROJECTED_LATENCIES_MS.at(-1)!)),
    },
  ];
  if (bytesPerCheck !== null && bytesPerMonitor !== null) {
    // Raw points for RETENTION_POINTS_DAYS (the embedded store) plus each monitor's own rows.
    const perMonitor = bytesPerCheck * CHECKS_PER_DAY * retentionDays + bytesPerMonitor;
    const bySize = (bytes: number) => Math.floor(bytes / perMonitor);
    limits.push(
      { plan: "Free", limit: `D1 database size, ${retentionDays} days of points`, monitors: bySize(LIMITS.d1DatabaseMaxBytes.free) },
      { plan: "Paid", limit: `D1 database size, ${retentionDays} days of points`, monitors: bySize(LIMITS.d1DatabaseMaxBytes.paid) },
      {
        plan: "Paid",
        limit: `D1 storage included (${D1_PRICES.paid.storageGbIncluded} GB)`,
        monitors: bySize(D1_PRICES.paid.storageGbIncluded * 1e9),
      },
    );
  }
  // D1 statements per invocation, extrapolated the same way from the worst invocation at each size.
  const stmts = large.per_invocation_max.d1_statements;
  // Which statements an invocation runs varies a little with its batch: a few more is noise, not growth.
  const kStmts =
    stmts - small.per_invocation_max.d1_statements > 5 ? growth(small.per_invocation_max.d1_statements, stmts, small.monitors, n) : 0;
  const stmtsReached = (limit: number) => {
    if (kStmts === 0) return stmts <= limit ? Number.POSITIVE_INFINITY : small.monitors; // over it at both sizes
    return Math.floor(n * (limit / stmts) ** (1 / kStmts));
  };
  for (const plan of ["free", "paid"] as const) {
    const m = stmtsReached(LIMITS.d1QueriesPerInvocation[plan]);
    if (Number.isFinite(m))
      limits.push({
        plan: plan === "free" ? "Free" : "Paid",
        limit: `D1 queries per invocation (${LIMITS.d1QueriesPerInvocation[plan]}; worst ${small.per_invocation_max.d1_statements} at ${small.monitors.toLocaleString("en-US")} monitors, ${stmts} at ${n.toLocaleString("en-US")})`,
        monitors: m,
      });
  }
  limits.push({ plan: "both", limit: "MAX_MONITORS (the Worker's default)", monitors: settingDefault("MAX_MONITORS") });
  limits.sort((a, b) => a.monitors - b.monitors);
  const first = (plan: string) => limits.find((l) => l.plan === plan || l.plan === "both")!;

  // What a month costs at a few sizes with these rates (CPU left out: not measurable per invocation here).
  const costs = [1000, n, 10_000, 50_000].filter((m, i, a) => a.indexOf(m) === i).sort((a, b) => a - b);
  const monthly = costs.map((m) => {
    const r = at(m);
    const c = monthlyCost(m, "edge", {
      ...r,
      cpu_ms: null,
      d1_statements_max: Math.round(stmts * (m / n) ** kStmts),
      subrequests_max: large.per_invocation_max.subrequests,
    });
    const gb =
      bytesPerCheck === null || bytesPerMonitor === null
        ? null
        : round((m * (bytesPerCheck * CHECKS_PER_DAY * retentionDays + bytesPerMonitor)) / 1e9, 2);
    return {
      monitors: m,
      per_check: Object.fromEntries(Object.entries(r).map(([key, v]) => [key, round(v, 4)])),
      free: c.free,
      paid_usd_per_month_without_cpu: c.paid.usd_per_month,
      paid_usd: c.paid.usd,
      d1_storage_gb: gb,
      // Storage is billed beyond the included GB; one database holds at most 10 GB on Paid, 500 MB on Free.
      d1_storage_usd_per_month:
        gb === null ? null : round(Math.max(0, gb - D1_PRICES.paid.storageGbIncluded) * D1_PRICES.paid.usdPerGbMonth, 2),
      d1_storage_over_database_limit: gb === null ? null : gb * 1e9 > LIMITS.d1DatabaseMaxBytes.paid,
    };
  });
  return {
    per_check: Object.fromEntries(Object.entries(rate).map(([key, v]) => [key, round(v, 4)])),
    per_check_at_small_size: Object.fromEntries(Object.entries(rateSmall).map(([key, v]) => [key, round(v, 4)])),
    growth_exponents: {
      rows_read: round(k.rows_read, 2),
      rows_written: round(k.rows_written, 2),
      invocations: round(k.invocations, 2),
      queue_messages: round(k.queue_messages, 2),
      d1_statements_per_invocation: round(kStmts, 2),
    },
    d1_bytes_per_check: bytesPerCheck === null ? null : round(bytesPerCheck, 1),
    d1_bytes_per_monitor_config: bytesPerMonitor === null ? null : round(bytesPerMonitor, 0),
    throughput,
    limits_reached_at: limits,
    first_on_free: first("Free"),
    first_on_paid: first("Paid"),
    monthly,
  };
}

export async function benchFleet(o: { monitors: number; ticks: number }) {
  const n = o.monitors;
  // A tenth of the fleet first, measured the same way, so rates that grow with the fleet show it.
  const small = Math.max(10, Math.round(n / 10));
  const ticksPerSize = Math.max(2, o.ticks);
  const budget = settingDefault("EDGE_SUBREQUEST_BUDGET");
  const target = await startCountingTarget();
  const state = tempState("ium-bench-fleet-");
  // The Worker's default MAX_MONITORS is 10,000: a larger fleet raises it.
  const vars = { EGRESS_ALLOW: LOOPBACK_EGRESS_ALLOW, ...(n > settingDefault("MAX_MONITORS") ? { MAX_MONITORS: String(n) } : {}) };
  const ids = Array.from({ length: n }, (_, i) => `fleet-${String(i).padStart(6, "0")}`);
  try {
    await migrate(state);
    const bytesEmpty = d1Bytes(state);
    let w = await worker(state, vars);
    // The local D1 file is read with the Worker stopped, so nothing else holds it; then the Worker starts again on the same state.
    const measureBytes = async () => {
      await w.stop();
      const bytes = d1Bytes(state);
      w = await worker(state, vars);
      return bytes;
    };
    const createMs: number[] = [];
    const createLines: Line[] = [];
    const create = async (batch: string[]) => {
      const started = performance.now();
      const mark = w.logs.length;
      let done = 0;
      await pool(batch, CREATE_CONCURRENCY, async (id) => {
        const r = await w.api("POST", "/api/v1/monitors", {
          id,
          kind: "http",
          target: `${target.url}/hit/${id}`,
          interval_s: 60,
          timeout_ms: 10_000,
        });
        if (r.status !== 201) {
          await new Promise((resolve) => setTimeout(resolve, 500)); // its error line may come a little later
          const errors = w.logs.filter((l) => l.includes('"level":"error"')).slice(-3);
          throw new Error(`create ${id}: ${r.status} ${JSON.stringify(r.body)}\n${errors.join("\n")}`);
        }
        done += 1;
        if (done % 2000 === 0)
          process.stdout.write(
            `fleet: ${done} of ${batch.length} monitors created after ${round((performance.now() - started) / 1000, 0)} s\n`,
          );
      });
      createMs.push(performance.now() - started);
      createLines.push(...logRecords(w.logs.slice(mark), ["request"]).filter((l) => l.method === "POST" && l.path === "/api/v1/monitors"));
      process.stdout.write(
        `fleet: ${batch.length} monitors created in ${round(createMs.at(-1)! / 1000, 1)} s (${CREATE_CONCURRENCY} concurrent POSTs)\n`,
      );
    };
    let lastTick = Math.floor(Date.now() / MINUTE) * MINUTE;
    const runTicks = async (monitors: number, count: number) => {
      const out: Tick[] = [];
      // Each tick a later minute than the last one and than now, so every monitor is due and none is a repeat.
      let t = Math.max(lastTick, Math.floor(Date.now() / MINUTE) * MINUTE) + MINUTE;
      for (let k = 0; k < count; k++, t += MINUTE) {
        const r = await oneTick(w, target.url, t, monitors);
        lastTick = t;
        out.push(r);
        process.stdout.write(
          `fleet: ${monitors} monitors, tick ${k + 1}/${count}: ${r.checks_recorded} checks in ${r.invocations} invocations, all recorded after ${round(r.all_recorded_ms / 1000, 1)} s\n`,
        );
      }
      return out;
    };
    try {
      await create(ids.slice(0, small));
      const bytesSmall = await measureBytes();
      const smallTicks = await runTicks(small, ticksPerSize);
      await create(ids.slice(small));
      const bytesCreated = await measureBytes();
      const ticks = await runTicks(n, ticksPerSize);
      await w.stop();
      const bytesEnd = d1Bytes(state);
      const checksAll = sum(ticks.map((t) => t.checks_recorded));
      const bytesPerCheck = bytesCreated === null || bytesEnd === null ? null : (bytesEnd - bytesCreated) / checksAll;
      const bytesPerMonitor = bytesEmpty === null || bytesSmall === null ? null : (bytesSmall - bytesEmpty) / small;
      // The first tick at each size moves the new monitors from unknown to up; the last one is the steady state.
      const steady = ticks.at(-1)!;
      const all = [...smallTicks, ...ticks];
      const worst = {
        subrequests: Math.max(...all.map((t) => t.per_invocation_max.subrequests)),
        max_in_flight: Math.max(...all.map((t) => t.per_invocation_max.max_in_flight)),
        d1_statements: Math.max(...all.map((t) => t.per_invocation_max.d1_statements)),
      };
      const projection = project(smallTicks.at(-1)!, steady, bytesPerCheck, bytesPerMonitor);
      const createdS = sum(createMs) / 1000;
      const report = {
        note: `one wrangler dev Worker with the embedded (D1) point store; checks against a local target answering at once, so batch times are the Worker's and local D1's own, not a target's. Under wrangler dev, Cloudflare's limits are not enforced (6 connections, 50 subrequests, D1 queries per invocation): the figures are what the Worker itself counted and logged. ${small.toLocaleString("en-US")} monitors are measured first, then all ${n.toLocaleString("en-US")}; the first tick at each size moves the new monitors from unknown to up, projections use the last tick at each size.`,
        monitors: n,
        monitors_small: small,
        create: {
          monitors: n,
          seconds: round(createdS, 1),
          per_second: round(n / createdS, 1),
          concurrency: CREATE_CONCURRENCY,
          d1_statements_per_monitor: round(sum(createLines.map((l) => l.d1_statements)) / n, 2),
          d1_rows_written_per_monitor: round(sum(createLines.map((l) => l.d1_rows_written)) / n, 2),
        },
        budgets: {
          edge_subrequest_budget: budget,
          max_in_flight: LIMITS.simultaneousOpenConnections,
          d1_queries_per_invocation: LIMITS.d1QueriesPerInvocation,
          within: {
            subrequests: worst.subrequests <= budget,
            max_in_flight: worst.max_in_flight <= LIMITS.simultaneousOpenConnections,
            d1_queries_free: worst.d1_statements <= LIMITS.d1QueriesPerInvocation.free,
            d1_queries_paid: worst.d1_statements <= LIMITS.d1QueriesPerInvocation.paid,
          },
          worst_invocation: worst,
        },
        wrangler_dev_queue:
          steady.queue_batches.concurrent_max > 1
            ? `wrangler dev ran up to ${steady.queue_batches.concurrent_max} queue batches at once (${steady.invocations_concurrent_max} invocations with the tick)`
            : `wrangler dev ran the queue batches one at a time (${steady.invocations_concurrent_max} invocations at once with the tick; Cloudflare runs up to ${LIMITS.queues.maxConcurrentConsumers} consumer invocations at once), so the time until all checks are recorded here is about their sum`,
        d1_bytes: { empty: bytesEmpty, after_small_create: bytesSmall, after_create: bytesCreated, after_ticks: bytesEnd },
        ticks_small: smallTicks,
        ticks,
        projection,
        prices_read_on: PRICES_READ_ON,
      };
      printFleet(all, report.budgets, projection, report.wrangler_dev_queue);
      return report;
    } finally {
      await w.stop();
    }
  } finally {
    await target.close();
    cleanup(state);
  }
}

function printFleet(
  ticks: Tick[],
  budgets: { edge_subrequest_budget: number; worst_invocation: Record<string, number> },
  p: ReturnType<typeof project>,
  queue: string,
) {
  const out: string[] = [""];
  for (const t of ticks)
    out.push(
      `${t.monitors.toLocaleString("en-US")} monitors, tick of ${t.scheduled_time.slice(11, 16)}: ${t.due} due, ${t.planned_batches} batches (${t.queue_messages} queue messages), ${t.invocations} invocations; ` +
        `tick ${t.tick.duration_ms} ms by its line (planning ~${t.tick.planning_ms_estimate} ms), ${t.tick.scheduled_call_ms} ms from outside; ` +
        `queue batches ${t.queue_batches.duration_ms?.mean ?? "-"} ms mean, ${t.queue_batches.duration_ms?.p95 ?? "-"} p95; ` +
        `D1 ${t.d1_rows_read.toLocaleString("en-US")} rows read, ${t.d1_rows_written.toLocaleString("en-US")} written, ${t.d1_statements} statements; ` +
        `all recorded after ${round(t.all_recorded_ms / 1000, 1)} s`,
    );
  const w = budgets.worst_invocation;
  const g = p.growth_exponents;
  out.push(
    `worst invocation: ${w.subrequests} subrequests (budget ${budgets.edge_subrequest_budget}), ${w.max_in_flight} in flight (limit ${LIMITS.simultaneousOpenConnections}), ` +
      `${w.d1_statements} D1 statements (limit ${LIMITS.d1QueriesPerInvocation.free} Free, ${LIMITS.d1QueriesPerInvocation.paid} Paid)`,
    queue,
    `queue throughput at ${p.throughput.max_concurrent_consumers} consumers: ${p.throughput.checks_per_minute_local_target.toLocaleString("en-US")} checks/min (local target), ` +
      PROJECTED_LATENCIES_MS.map(
        (l) =>
          `${(p.throughput as Record<string, any>)[`checks_per_minute_targets_at_${l}_ms`].toLocaleString("en-US")} with targets at ${l} ms`,
      ).join(", "),
    `per check: ${p.per_check.rows_read} rows read (x monitors^${g.rows_read}), ${p.per_check.rows_written} written (^${g.rows_written}), ` +
      `${p.per_check.invocations} invocations (^${g.invocations}), ${p.per_check.queue_messages} queue messages (^${g.queue_messages}); ` +
      `D1 statements per invocation ^${g.d1_statements_per_invocation}; D1 ${p.d1_bytes_per_check ?? "?"} bytes per check, ${p.d1_bytes_per_monitor_config ?? "?"} per monitor`,
    "limits as monitors grow (60 s monitors):",
    ...p.limits_reached_at.map(
      (l) =>
        `  ${l.plan.padEnd(4)}  ${(Number.isFinite(l.monitors) ? l.monitors.toLocaleString("en-US") : "never").padStart(12)}  ${l.limit}`,
    ),
    `first on Free: ${p.first_on_free.limit} at ${p.first_on_free.monitors.toLocaleString("en-US")} monitors; first on Paid: ${p.first_on_paid.limit} at ${p.first_on_paid.monitors.toLocaleString("en-US")}`,
    ...p.monthly.map(
      (m) =>
        `  ${m.monitors.toLocaleString("en-US")} monitors: Paid $${m.paid_usd_per_month_without_cpu.toFixed(2)}/month without CPU; Free ${m.free.fits ? "fits" : `no (${m.free.exceeded.join(", ")})`}; D1 ${m.d1_storage_gb ?? "?"} GB${m.d1_storage_over_database_limit ? " (over one database's 10 GB)" : ""}, storage beyond 5 GB $${m.d1_storage_usd_per_month?.toFixed(2) ?? "?"}/month`,
    ),
    "",
  );
  process.stdout.write(out.join("\n"));
}

if (import.meta.main) {
  const report = await benchFleet({
    monitors: Number(process.env.BENCH_FLEET_MONITORS ?? 10_000),
    ticks: Number(process.env.BENCH_FLEET_TICKS ?? 2),
  });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}
