// Benchmark: what a check costs in D1, from D1's own `meta`. The Worker (under wrangler dev) sums the
// rows each invocation read and wrote (edge/src/db/meter.ts) and logs them on its last
// line; this sums those lines over cron ticks with their queue batches (edge monitors), agent pushes
// (agent monitors) and status reads, for each point store, and prices a month of 1-minute checks.
import { newResultId } from "../contract/ids.ts";
// @ts-expect-error plain ESM helper
import { LOOPBACK_EGRESS_ALLOW } from "../scripts/lib/wrangler-dev.mjs";
import { apiClient } from "../test/services/http.ts";
import { startCountingTarget } from "../test/services/counting-target.ts";
import { createDatabase, startInflux } from "../test/services/influxdb.ts";
import { MINUTE, cleanup, logRecords, migrate, pool, round, tempState, treeCpuMs, waitUntil, worker, type BenchWorker } from "./lib.ts";

/**
 * Cloudflare D1's published prices, the figures this benchmark prices with:
 * - Workers Free: 5,000,000 rows read and 100,000 rows written per day (no overage: D1 stops answering).
 * - Workers Paid: 25 billion rows read and 50 million rows written per month included, then
 *   $0.001 per million rows read and $1.00 per million rows written.
 */
export const D1_PRICES = {
  free: { rowsReadPerDay: 5_000_000, rowsWrittenPerDay: 100_000 },
  paid: { rowsReadPerMonth: 25_000_000_000, rowsWrittenPerMonth: 50_000_000, usdPerMillionRead: 0.001, usdPerMillionWritten: 1.0 },
} as const;

/** A month here is 30 days of checks every minute. */
const DAYS_PER_MONTH = 30;
const CHECKS_PER_DAY = 24 * 60;
/** The status UI reads the summary every 30 s while it is open. */
const STATUS_POLLS_PER_MONTH = DAYS_PER_MONTH * 24 * 120;

/** Simulated agent push period: results reach the Worker in batches every 10 s, as an agent's outbox would send them. */
const PUSH_EVERY_S = 10;
/** The agent's default assignments refresh (probe-agent ASSIGNMENTS_REFRESH_S), answered 304 with the same ETag. */
const ASSIGNMENTS_EVERY_S = 30;

type Totals = { invocations: number; statements: number; rows_read: number; rows_written: number; unmetered: number };

function sumD1(lines: Array<Record<string, any>>): Totals {
  const t: Totals = { invocations: lines.length, statements: 0, rows_read: 0, rows_written: 0, unmetered: 0 };
  for (const l of lines) {
    if (typeof l.d1_statements !== "number") throw new Error(`a "${l.msg}" line has no d1 totals: ${JSON.stringify(l)}`);
    t.statements += l.d1_statements;
    t.rows_read += l.d1_rows_read;
    t.rows_written += l.d1_rows_written;
    t.unmetered += l.d1_unmetered ?? 0;
  }
  return t;
}

const per = (t: Totals, n: number) => ({
  rows_written: round(t.rows_written / n, 2),
  rows_read: round(t.rows_read / n, 2),
  statements: round(t.statements / n, 2),
  invocations: round(t.invocations / n, 3),
});

/** Log records from index `from` on. */
function since(w: BenchWorker, from: number, msgs: string[]) {
  return logRecords(w.logs.slice(from), msgs);
}

/** The workerd processes' CPU ms under this wrangler dev (every local service included), or null off Linux. */
function workerdCpu(w: BenchWorker): number | null {
  if (w.pid === undefined || process.platform !== "linux") return null;
  return treeCpuMs(w.pid, "workerd");
}

type Store = "embedded" | "influxdb";
type Opts = { monitors: number; ticks: number; statusReads: number };

async function runStore(store: Store, o: Opts) {
  const target = await startCountingTarget();
  const influx = store === "influxdb" ? await startInflux() : null;
  const state = tempState(`ium-bench-cost-${store}-`);
  try {
    if (influx) await createDatabase(influx, "uptime");
    await migrate(state);
    const w = await worker(state, {
      // The target listens on loopback, which the egress policy refuses unless allowed.
      EGRESS_ALLOW: LOOPBACK_EGRESS_ALLOW,
      ...(influx ? { INFLUX_URL: influx.url, INFLUX_DATABASE: "uptime" } : {}),
    });
    try {
      return await measure(w, target.url, o);
    } finally {
      await w.stop();
    }
  } finally {
    cleanup(state);
    await target.close();
    await influx?.destroy();
  }
}

async function measure(w: BenchWorker, targetUrl: string, o: Opts) {
  const n = o.monitors;
  const pad = (i: number) => String(i).padStart(5, "0");
  const edgeIds = Array.from({ length: n }, (_, i) => `edge-${pad(i)}`);
  const agentIds = Array.from({ length: n }, (_, i) => `agent-${pad(i)}`);
  await pool(edgeIds, 8, async (id) => {
    const r = await w.api("POST", "/api/v1/monitors", {
      id,
      kind: "http",
      target: `${targetUrl}/hit/${id}`,
      interval_s: 60,
      timeout_ms: 10_000,
    });
    if (r.status !== 201) throw new Error(`create ${id}: ${r.status} ${JSON.stringify(r.body)}`);
  });
  await pool(agentIds, 8, async (id) => {
    const r = await w.api("POST", "/api/v1/monitors", {
      id,
      kind: "http",
      target: `${targetUrl}/hit/${id}`,
      interval_s: 60,
      runner: "agent",
    });
    if (r.status !== 201) throw new Error(`create ${id}: ${r.status} ${JSON.stringify(r.body)}`);
  });
  const reg = await w.api("POST", "/api/v1/agents", { id: "cost-a", location: "bench" });
  if (reg.status !== 201) throw new Error(`register agent: ${reg.status} ${JSON.stringify(reg.body)}`);
  const agentApi = apiClient(() => w.url, reg.body.token);

  // Edge: one cron tick per minute of simulated time; the tick runs its first batch and queues the rest.
  const t0 = Math.floor(Date.now() / MINUTE) * MINUTE + MINUTE;
  const runTicks = async (from: number, count: number) => {
    const mark = w.logs.length;
    for (let k = 0; k < count; k++) {
      const before = w.logs.length;
      await w.tick(t0 + (from + k) * MINUTE);
      await waitUntil(`tick ${from + k}: ${n} checks recorded`, () => {
        const done = since(w, before, ["tick done", "check batch done"]);
        return done.reduce((a, l) => a + l.checks, 0) >= n;
      });
    }
    return mark;
  };

  // Agent: every 10 s of simulated time, the results of the monitors whose phase fell in those 10 s;
  // every 30 s, an assignments refresh.
  let etag: string | null = null;
  let pushes = 0;
  let assignmentCalls = 0;
  const slots = 60 / PUSH_EVERY_S;
  const runAgent = async (minutes: number) => {
    let results = 0;
    for (let s = 0; s < minutes * slots; s++) {
      const due = agentIds.filter((_, i) => i % slots === s % slots);
      const now = Date.now();
      const batch = due.map((monitor, j) => ({
        id: newResultId(now),
        monitor,
        ts: now - due.length + j,
        ok: true,
        latency_ms: 5 + ((s * 7 + j) % 40),
        location: "bench",
        agent: "cost-a",
        error: null,
        http: { status: 200, content_length: 12 },
      }));
      const r = await agentApi("POST", "/api/v1/results", { version: "bench", backlog: 0, results: batch });
      if (r.status !== 202) throw new Error(`push: ${r.status} ${r.text.slice(0, 300)}`);
      pushes += 1;
      results += batch.length;
      if ((s * PUSH_EVERY_S) % ASSIGNMENTS_EVERY_S === 0) {
        const res = await fetch(`${w.url}/api/v1/agents/me/assignments`, {
          headers: { authorization: `Bearer ${reg.body.token}`, ...(etag ? { "if-none-match": etag } : {}) },
        });
        await res.arrayBuffer();
        if (res.status !== 200 && res.status !== 304) throw new Error(`assignments: ${res.status}`);
        etag = res.headers.get("etag") ?? etag;
        assignmentCalls += 1;
      }
    }
    return results;
  };
  const requestLines = (from: number, prefixes: string[]) =>
    since(w, from, ["request"]).filter((l) => prefixes.some((p) => String(l.path).startsWith(p)));

  // Warm-up, not counted: every monitor's first check (its state goes from unknown to up) and first push.
  await runTicks(0, 1);
  const warmAgent = w.logs.length;
  await runAgent(1);
  await waitUntil(
    "warm-up request lines",
    () => requestLines(warmAgent, ["/api/v1/results", "/api/v1/agents/me"]).length >= pushes + assignmentCalls,
  );

  // Edge checks.
  const cpuEdge0 = workerdCpu(w);
  const edgeMark = await runTicks(1, o.ticks);
  const cpuEdge = workerdCpu(w);
  const edgeLines = since(w, edgeMark, ["tick done", "check batch done"]);
  const edgeChecks = edgeLines.reduce((a, l) => a + l.checks, 0);
  const edge = sumD1(edgeLines);
  const subrequests = edgeLines.reduce((a, l) => a + l.subrequests, 0);

  // Agent results.
  pushes = 0;
  assignmentCalls = 0;
  const agentMark = w.logs.length;
  const cpuAgent0 = workerdCpu(w);
  const agentResults = await runAgent(o.ticks);
  await waitUntil(
    "every agent request line",
    () => requestLines(agentMark, ["/api/v1/results", "/api/v1/agents/me"]).length >= pushes + assignmentCalls,
  );
  const cpuAgent = workerdCpu(w);
  const agentLines = requestLines(agentMark, ["/api/v1/results", "/api/v1/agents/me"]);
  const agent = sumD1(agentLines);

  // Status reads: the summary (what the status page polls every 30 s) and one monitor's page.
  const statusMark = w.logs.length;
  const cpuStatus0 = workerdCpu(w);
  for (let i = 0; i < o.statusReads; i++) {
    const r = await w.api("GET", "/api/v1/status");
    if (r.status !== 200) throw new Error(`status: ${r.status}`);
  }
  const pages = Math.max(1, Math.floor(o.statusReads / 2));
  for (let i = 0; i < pages; i++) {
    const r = await w.api("GET", `/api/v1/status/${edgeIds[i % n]}`);
    if (r.status !== 200) throw new Error(`status page: ${r.status}`);
  }
  await waitUntil("every status request line", () => requestLines(statusMark, ["/api/v1/status"]).length >= o.statusReads + pages);
  const cpuStatus = workerdCpu(w);
  const statusAll = requestLines(statusMark, ["/api/v1/status"]);
  const summary = sumD1(statusAll.filter((l) => l.path === "/api/v1/status"));
  const page = sumD1(statusAll.filter((l) => l.path !== "/api/v1/status"));

  const all = {
    invocations: edge.invocations + agent.invocations,
    statements: edge.statements + agent.statements,
    rows_read: edge.rows_read + agent.rows_read,
    rows_written: edge.rows_written + agent.rows_written,
    unmetered: edge.unmetered + agent.unmetered,
  };
  const cpuPer = (a: number | null, b: number | null, k: number) => (a === null || b === null ? null : round((b - a) / k, 2));
  return {
    monitors: { edge: n, agent: n, interval_s: 60 },
    edge: {
      ticks: o.ticks,
      checks: edgeChecks,
      totals: { ...edge, subrequests },
      per_check: { ...per(edge, edgeChecks), subrequests: round(subrequests / edgeChecks, 3) },
      workerd_process_cpu_ms_per_check: cpuPer(cpuEdge0, cpuEdge, edgeChecks),
    },
    agent: {
      simulated_minutes: o.ticks,
      pushes,
      assignment_refreshes: assignmentCalls,
      results: agentResults,
      totals: agent,
      per_check: per(agent, agentResults),
      workerd_process_cpu_ms_per_check: cpuPer(cpuAgent0, cpuAgent, agentResults),
    },
    all_checks: { checks: edgeChecks + agentResults, per_check: per(all, edgeChecks + agentResults) },
    status: {
      summary: { reads: summary.invocations, per_read: per(summary, summary.invocations) },
      monitor_page: { reads: page.invocations, per_read: per(page, page.invocations) },
      workerd_process_cpu_ms_per_read: cpuPer(cpuStatus0, cpuStatus, statusAll.length),
    },
    unmetered_statements: all.unmetered + summary.unmetered + page.unmetered,
  };
}

type Measured = Awaited<ReturnType<typeof measure>>;

/** One month of 1-minute checks for `monitors` monitors at the measured rates, against D1_PRICES. */
export function monthlyCost(monitors: number, perCheck: { rows_read: number; rows_written: number }) {
  const checksPerDay = monitors * CHECKS_PER_DAY;
  const readDay = checksPerDay * perCheck.rows_read;
  const writtenDay = checksPerDay * perCheck.rows_written;
  const read = readDay * DAYS_PER_MONTH;
  const written = writtenDay * DAYS_PER_MONTH;
  const fitsFree = readDay <= D1_PRICES.free.rowsReadPerDay && writtenDay <= D1_PRICES.free.rowsWrittenPerDay;
  const p = D1_PRICES.paid;
  const overRead = Math.max(0, read - p.rowsReadPerMonth);
  const overWritten = Math.max(0, written - p.rowsWrittenPerMonth);
  const usd = (overRead / 1e6) * p.usdPerMillionRead + (overWritten / 1e6) * p.usdPerMillionWritten;
  return {
    monitors,
    checks_per_month: checksPerDay * DAYS_PER_MONTH,
    rows_written_per_month: Math.round(written),
    rows_read_per_month: Math.round(read),
    plan: fitsFree ? "Free" : overRead === 0 && overWritten === 0 ? "Paid (within included rows)" : "Paid (beyond included rows)",
    paid_usd_beyond_included: round(usd, 2),
  };
}

const fmt = (x: number) => (x >= 1e9 ? `${round(x / 1e9, 2)} B` : x >= 1e6 ? `${round(x / 1e6, 2)} M` : x.toLocaleString("en-US"));

function table(rows: Array<Record<string, string>>): string {
  const cols = Object.keys(rows[0]!);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join("  ");
  return [line(cols), line(width.map((w) => "-".repeat(w))), ...rows.map((r) => line(cols.map((c) => r[c]!)))].join("\n");
}

export async function benchCost(o: { monitors: number; ticks: number; statusReads: number; large: number; largeTicks: number }) {
  const runs: Record<string, Record<Store, Measured>> = {};
  const sizes = [o.monitors, ...(o.large > 0 ? [o.large] : [])];
  for (const size of sizes) {
    const ticks = size === o.monitors ? o.ticks : o.largeTicks;
    const started = performance.now();
    const embedded = await runStore("embedded", { monitors: size, ticks, statusReads: o.statusReads });
    const influxdb = await runStore("influxdb", { monitors: size, ticks, statusReads: o.statusReads });
    runs[String(size)] = { embedded, influxdb };
    process.stdout.write(`cost: ${size} + ${size} monitors measured in ${round((performance.now() - started) / 1000, 1)} s\n`);
  }

  // Each priced size uses the rates measured at the nearest size at or below it (the small run for 100).
  const measuredAt = (m: number) => String(sizes.filter((s) => s <= m).pop() ?? sizes[0]);
  const rows: Array<Record<string, string>> = [];
  const cost: unknown[] = [];
  for (const store of ["embedded", "influxdb"] as const)
    for (const runner of ["edge", "agent"] as const)
      for (const m of [100, 1000, 10_000]) {
        const from = measuredAt(m);
        const rate = runs[from]![store][runner].per_check;
        const c = monthlyCost(m, rate);
        cost.push({ store, runner, rates_measured_with: Number(from), ...c });
        rows.push({
          store,
          runner,
          monitors: m.toLocaleString("en-US"),
          "written/check": String(rate.rows_written),
          "read/check": String(rate.rows_read),
          "rows written/mo": fmt(c.rows_written_per_month),
          "rows read/mo": fmt(c.rows_read_per_month),
          plan: c.plan,
          "Paid $ beyond included/mo": c.paid_usd_beyond_included.toFixed(2),
          "rates from run": from,
        });
      }
  process.stdout.write(
    `\nD1 per month (${DAYS_PER_MONTH} days of 1-minute checks). Free: ${fmt(D1_PRICES.free.rowsReadPerDay)} rows read and ${fmt(
      D1_PRICES.free.rowsWrittenPerDay,
    )} written per day. Paid: ${fmt(D1_PRICES.paid.rowsReadPerMonth)} read and ${fmt(D1_PRICES.paid.rowsWrittenPerMonth)} written included, then $${
      D1_PRICES.paid.usdPerMillionRead
    } per million read and $${D1_PRICES.paid.usdPerMillionWritten.toFixed(2)} per million written.\n${table(rows)}\n`,
  );
  // Reads per check grew with the number of monitors between the runs: the largest size priced beyond what was measured reads more than this says.
  const largest = sizes[sizes.length - 1]!;
  if (largest < 10_000)
    process.stdout.write(
      `Rates for 10,000 monitors are those measured with ${largest.toLocaleString("en-US")}; reads per check that grow with monitors make its read figures a lower bound.\n`,
    );
  // The status page polls the summary every 30 s while it is open, whatever the checks cost.
  const viewer = sizes.map((size) => {
    const r = runs[String(size)]!.embedded.status.summary.per_read.rows_read;
    return { monitors: size, rows_read_per_summary: r, rows_read_per_month_one_open_page: Math.round(r * STATUS_POLLS_PER_MONTH) };
  });
  for (const v of viewer)
    process.stdout.write(
      `Status page open all month (summary every 30 s), ${v.monitors} monitors: ${fmt(v.rows_read_per_summary)} rows read per summary, ${fmt(
        v.rows_read_per_month_one_open_page,
      )} per month (${fmt(Math.round(v.rows_read_per_month_one_open_page / DAYS_PER_MONTH))} a day; Free allows ${fmt(D1_PRICES.free.rowsReadPerDay)} a day).\n`,
    );
  process.stdout.write("\n");
  return {
    note: "rows from D1's own meta, summed per invocation by the Worker (d1_* fields of its last log line); per check = over the measured ticks, queue batches and agent pushes after a warm-up round, under wrangler dev's local D1. Status reads are not in the per-check figures (they depend on who has the status page open). Agent pushes run in compressed time: the token's last-use stamp, at most once a minute, is written less often than a real agent's would be (≤ 1 row per agent per minute).",
    cpu_ms_per_check:
      "not available under wrangler dev: workerd does not report per-invocation CPU time locally (Cloudflare reports it in Workers Logs and Tail Workers). workerd_process_cpu_ms_* is the OS CPU time of every workerd process under wrangler dev over the phase (local D1, queue, asset and proxy services included): an upper bound, not the Worker's CPU time",
    prices: D1_PRICES,
    runs,
    monthly: cost,
    status_page_one_viewer: viewer,
  };
}
