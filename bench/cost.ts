// Benchmark: what a check costs on Cloudflare, from the Worker's own accounting. The Worker (under
// wrangler dev) sums what each invocation asked of D1 from D1's own `meta` (edge/src/db/meter.ts) and
// logs it on its last line, with the subrequests it made and the queue messages it sent; this sums
// those lines over cron ticks with their queue batches (edge monitors), agent pushes (agent monitors)
// and status reads, for each point store, and prices a month of 1-minute checks with bench/prices.ts:
// Workers requests and CPU, D1 rows, Queues operations, on the Free and the Paid plan.
import http from "node:http";
import { MAX_BATCH_RESULTS } from "../contract/index.ts";
import { newResultId } from "../contract/ids.ts";
// @ts-expect-error plain ESM helper
import { LOOPBACK_EGRESS_ALLOW } from "../scripts/lib/wrangler-dev.mjs";
import { apiClient, listenLoopback } from "../test/services/http.ts";
import { startCountingTarget } from "../test/services/counting-target.ts";
import { createDatabase, startInflux } from "../test/services/influxdb.ts";
import { MINUTE, cleanup, logRecords, migrate, pool, round, tempState, treeCpuMs, waitUntil, worker, type BenchWorker } from "./lib.ts";
import { D1_PRICES, DAYS_PER_MONTH, LIMITS, PRICES_READ_ON, QUEUES_PRICES, WORKERS_PRICES, overage } from "./prices.ts";

// The D1 prices lived here before bench/prices.ts held every price.
export { D1_PRICES } from "./prices.ts";

const CHECKS_PER_DAY = 24 * 60;
/** The status UI reads the summary every 30 s while it is open. */
const STATUS_POLLS_PER_MONTH = DAYS_PER_MONTH * 24 * 120;

/** Simulated agent push period: results reach the Worker in batches every 10 s, as an agent's outbox would send them. */
const PUSH_EVERY_S = 10;
/** The agent's default assignments refresh (probe-agent ASSIGNMENTS_REFRESH_S), answered 304 with the same ETag. */
const ASSIGNMENTS_EVERY_S = 30;

type Line = Record<string, any>;
type Totals = { invocations: number; statements: number; rows_read: number; rows_written: number; unmetered: number };

function sumD1(lines: Line[]): Totals {
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
  invocations: round(t.invocations / n, 4),
});

const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;

/** D1 statements (queries) and rows per invocation of one kind, from its final lines; subrequests where the line has them. */
function perInvocation(lines: Line[]) {
  if (lines.length === 0) return null;
  const statements = lines.map((l) => l.d1_statements as number);
  const subrequests = lines.every((l) => typeof l.subrequests === "number") ? lines.map((l) => l.subrequests as number) : null;
  return {
    invocations: lines.length,
    d1_statements_max: Math.max(...statements),
    d1_statements_mean: round(mean(statements), 2),
    d1_rows_read_mean: round(mean(lines.map((l) => l.d1_rows_read)), 1),
    d1_rows_written_mean: round(mean(lines.map((l) => l.d1_rows_written)), 1),
    subrequests_max: subrequests ? Math.max(...subrequests) : null,
  };
}

/** Log records from index `from` on. */
function since(w: BenchWorker, from: number, msgs: string[]) {
  return logRecords(w.logs.slice(from), msgs);
}

/** The workerd processes' CPU ms under this wrangler dev (every local service included), or null off Linux. */
function workerdCpu(w: BenchWorker): number | null {
  if (w.pid === undefined || process.platform !== "linux") return null;
  return treeCpuMs(w.pid, "workerd");
}

/**
 * An HTTP proxy in front of InfluxDB that counts what the Worker sends it: the point store's
 * subrequests, which the ingest request's log line does not report.
 */
async function countingProxy(target: string) {
  let requests = 0;
  const hop = new Set(["host", "connection", "content-length", "transfer-encoding", "content-encoding", "keep-alive"]);
  const server = http.createServer(async (req, res) => {
    requests += 1;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && !hop.has(k)) headers[k] = v;
    try {
      const r = await fetch(`${target}${req.url}`, {
        method: req.method,
        headers,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      });
      const body = Buffer.from(await r.arrayBuffer());
      const out: Record<string, string> = {};
      r.headers.forEach((v, k) => {
        if (!hop.has(k)) out[k] = v;
      });
      res.writeHead(r.status, out);
      res.end(body);
    } catch (e) {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(String(e));
    }
  });
  const l = await listenLoopback(server);
  return { url: l.url, requests: () => requests, close: l.close };
}

type Store = "embedded" | "influxdb";
type Opts = { monitors: number; ticks: number; statusReads: number };

async function runStore(store: Store, o: Opts) {
  const target = await startCountingTarget();
  const influx = store === "influxdb" ? await startInflux() : null;
  const proxy = influx ? await countingProxy(influx.url) : null;
  const state = tempState(`ium-bench-cost-${store}-`);
  try {
    if (influx) await createDatabase(influx, "uptime");
    await migrate(state);
    const w = await worker(state, {
      // The target listens on loopback, which the egress policy refuses unless allowed.
      EGRESS_ALLOW: LOOPBACK_EGRESS_ALLOW,
      ...(proxy ? { INFLUX_URL: proxy.url, INFLUX_DATABASE: "uptime" } : {}),
    });
    try {
      return await measure(w, target.url, o, proxy?.requests ?? (() => 0));
    } finally {
      await w.stop();
    }
  } finally {
    cleanup(state);
    await target.close();
    await proxy?.close();
    await influx?.destroy();
  }
}

async function measure(w: BenchWorker, targetUrl: string, o: Opts, pointStoreRequests: () => number) {
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
  const storeEdge0 = pointStoreRequests();
  const edgeMark = await runTicks(1, o.ticks);
  const cpuEdge = workerdCpu(w);
  const edgeLines = since(w, edgeMark, ["tick done", "check batch done"]);
  const tickLines = edgeLines.filter((l) => l.msg === "tick done");
  const batchLines = edgeLines.filter((l) => l.msg === "check batch done");
  const edgeChecks = edgeLines.reduce((a, l) => a + l.checks, 0);
  const edge = sumD1(edgeLines);
  const subrequests = edgeLines.reduce((a, l) => a + l.subrequests, 0);
  const queueMessages = tickLines.reduce((a, l) => a + l.enqueued_batches, 0);

  // Agent results.
  pushes = 0;
  assignmentCalls = 0;
  const agentMark = w.logs.length;
  const cpuAgent0 = workerdCpu(w);
  const storeAgent0 = pointStoreRequests();
  const agentResults = await runAgent(o.ticks);
  await waitUntil(
    "every agent request line",
    () => requestLines(agentMark, ["/api/v1/results", "/api/v1/agents/me"]).length >= pushes + assignmentCalls,
  );
  const cpuAgent = workerdCpu(w);
  const agentFetches = pointStoreRequests() - storeAgent0;
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
  const summaryLines = statusAll.filter((l) => l.path === "/api/v1/status");
  const pageLines = statusAll.filter((l) => l.path !== "/api/v1/status");
  const summary = sumD1(summaryLines);
  const page = sumD1(pageLines);

  const all = {
    invocations: edge.invocations + agent.invocations,
    statements: edge.statements + agent.statements,
    rows_read: edge.rows_read + agent.rows_read,
    rows_written: edge.rows_written + agent.rows_written,
    unmetered: edge.unmetered + agent.unmetered,
  };
  const cpuPer = (a: number | null, b: number | null, k: number) => (a === null || b === null ? null : round((b - a) / k, 2));
  const ingestLines = agentLines.filter((l) => l.path === "/api/v1/results");
  return {
    monitors: { edge: n, agent: n, interval_s: 60 },
    edge: {
      ticks: o.ticks,
      checks: edgeChecks,
      totals: { ...edge, subrequests, queue_messages: queueMessages, point_store_requests: pointStoreRequests() - storeEdge0 },
      per_check: {
        ...per(edge, edgeChecks),
        subrequests: round(subrequests / edgeChecks, 3),
        queue_messages: round(queueMessages / edgeChecks, 4),
        queue_operations: round((queueMessages * QUEUES_PRICES.operationsPerMessage) / edgeChecks, 4),
      },
      workerd_process_cpu_ms_per_check: cpuPer(cpuEdge0, cpuEdge, edgeChecks),
      workerd_process_cpu_ms_per_invocation: cpuPer(cpuEdge0, cpuEdge, edge.invocations),
    },
    agent: {
      simulated_minutes: o.ticks,
      pushes,
      assignment_refreshes: assignmentCalls,
      results: agentResults,
      totals: { ...agent, subrequests: agentFetches },
      per_check: {
        ...per(agent, agentResults),
        subrequests: round(agentFetches / agentResults, 3),
        queue_messages: 0,
        queue_operations: 0,
      },
      workerd_process_cpu_ms_per_check: cpuPer(cpuAgent0, cpuAgent, agentResults),
      workerd_process_cpu_ms_per_invocation: cpuPer(cpuAgent0, cpuAgent, agent.invocations),
    },
    all_checks: { checks: edgeChecks + agentResults, per_check: per(all, edgeChecks + agentResults) },
    // D1 statements (queries) per invocation, by kind: Free allows 50 per invocation, Paid 1,000.
    per_invocation: {
      tick: perInvocation(tickLines),
      queue_batch: perInvocation(batchLines),
      ingest_request: perInvocation(ingestLines),
      assignments_request: perInvocation(agentLines.filter((l) => l.path !== "/api/v1/results")),
      status_summary: perInvocation(summaryLines),
      status_page: perInvocation(pageLines),
    },
    status: {
      summary: { reads: summary.invocations, per_read: per(summary, summary.invocations) },
      monitor_page: { reads: page.invocations, per_read: per(page, page.invocations) },
      workerd_process_cpu_ms_per_read: cpuPer(cpuStatus0, cpuStatus, statusAll.length),
    },
    unmetered_statements: all.unmetered + summary.unmetered + page.unmetered,
  };
}

type Measured = Awaited<ReturnType<typeof measure>>;
type Runner = "edge" | "agent";

/** What pricing needs from one measured run for one runner. */
type Rates = {
  rows_read: number;
  rows_written: number;
  /** Worker invocations per check (edge: the tick and its queue batches). */
  invocations: number;
  queue_messages: number;
  /** OS CPU of workerd per check: an upper bound; null off Linux. */
  cpu_ms: number | null;
  /** The most D1 statements and subrequests one invocation of this runner used (null: not reported). */
  d1_statements_max: number;
  subrequests_max: number | null;
};

function ratesOf(m: Measured, runner: Runner): Rates {
  const r = m[runner];
  const kinds =
    runner === "edge"
      ? [m.per_invocation.tick, m.per_invocation.queue_batch]
      : [m.per_invocation.ingest_request, m.per_invocation.assignments_request];
  const present = kinds.filter((k) => k !== null);
  const sub = present.map((k) => k.subrequests_max);
  return {
    rows_read: r.per_check.rows_read,
    rows_written: r.per_check.rows_written,
    invocations: r.per_check.invocations,
    queue_messages: r.per_check.queue_messages,
    cpu_ms: r.workerd_process_cpu_ms_per_check,
    d1_statements_max: Math.max(...present.map((k) => k.d1_statements_max)),
    subrequests_max: sub.every((s) => s !== null) ? Math.max(...(sub as number[])) : null,
  };
}

/**
 * One agent's requests per minute for `monitors` 1-minute monitors: a push every PUSH_EVERY_S of at most
 * MAX_BATCH_RESULTS results each, and the assignments refresh. (The measured invocations per check come
 * from one agent with few monitors, where each push carries few results; they do not scale with monitors.)
 */
function agentRequestsPerMinute(monitors: number): number {
  const perPush = (monitors * PUSH_EVERY_S) / 60;
  return (60 / PUSH_EVERY_S) * Math.max(1, Math.ceil(perPush / MAX_BATCH_RESULTS)) + 60 / ASSIGNMENTS_EVERY_S;
}

/** One month of 1-minute checks of `monitors` monitors at the measured rates, on the Free and the Paid plan (bench/prices.ts). */
export function monthlyCost(monitors: number, runner: Runner, r: Rates) {
  const checksPerDay = monitors * CHECKS_PER_DAY;
  const day = {
    requests:
      runner === "edge" ? Math.max(CHECKS_PER_DAY, checksPerDay * r.invocations) : agentRequestsPerMinute(monitors) * CHECKS_PER_DAY,
    cpu_ms: r.cpu_ms === null ? null : checksPerDay * r.cpu_ms,
    rows_read: checksPerDay * r.rows_read,
    rows_written: checksPerDay * r.rows_written,
    queue_operations: checksPerDay * r.queue_messages * QUEUES_PRICES.operationsPerMessage,
  };
  const month = {
    requests: Math.round(day.requests * DAYS_PER_MONTH),
    cpu_ms_at_most: day.cpu_ms === null ? null : Math.round(day.cpu_ms * DAYS_PER_MONTH),
    rows_read: Math.round(day.rows_read * DAYS_PER_MONTH),
    rows_written: Math.round(day.rows_written * DAYS_PER_MONTH),
    queue_operations: Math.round(day.queue_operations * DAYS_PER_MONTH),
  };
  // Free: every daily allowance, and the per-invocation limits as measured.
  const exceeded = (checks: Array<[string, number, number]>) =>
    checks.filter(([, used, limit]) => used > limit).map(([what, used, limit]) => `${what} x${round(used / limit, 1)}`);
  const free = exceeded([
    ["rows written", day.rows_written, D1_PRICES.free.rowsWrittenPerDay],
    ["rows read", day.rows_read, D1_PRICES.free.rowsReadPerDay],
    ["requests", day.requests, WORKERS_PRICES.free.requestsPerDay],
    ["queue ops", day.queue_operations, QUEUES_PRICES.free.operationsPerDay],
    ["D1 queries/inv", r.d1_statements_max, LIMITS.d1QueriesPerInvocation.free],
    ["subrequests/inv", r.subrequests_max ?? 0, LIMITS.subrequestsPerInvocation.free],
  ]);
  const paidLimits = exceeded([
    ["D1 queries/inv", r.d1_statements_max, LIMITS.d1QueriesPerInvocation.paid],
    ["subrequests/inv", r.subrequests_max ?? 0, LIMITS.subrequestsPerInvocation.paid],
  ]);
  const w = WORKERS_PRICES.paid;
  const usd = {
    base: w.usdPerMonth,
    requests: overage(month.requests, w.requestsPerMonth, w.usdPerMillionRequests),
    cpu_at_most: month.cpu_ms_at_most === null ? null : overage(month.cpu_ms_at_most, w.cpuMsPerMonth, w.usdPerMillionCpuMs),
    rows_read: overage(month.rows_read, D1_PRICES.paid.rowsReadPerMonth, D1_PRICES.paid.usdPerMillionRead),
    rows_written: overage(month.rows_written, D1_PRICES.paid.rowsWrittenPerMonth, D1_PRICES.paid.usdPerMillionWritten),
    queue_operations: overage(month.queue_operations, QUEUES_PRICES.paid.operationsPerMonth, QUEUES_PRICES.paid.usdPerMillionOperations),
  };
  const total = Object.values(usd).reduce((a: number, x) => a + (x ?? 0), 0);
  return {
    monitors,
    runner,
    checks_per_month: checksPerDay * DAYS_PER_MONTH,
    per_month: month,
    free: { fits: free.length === 0, exceeded: free },
    paid: {
      fits: paidLimits.length === 0,
      exceeded: paidLimits,
      usd_per_month: round(total, 2),
      usd: Object.fromEntries(Object.entries(usd).map(([k, v]) => [k, v === null ? null : round(v, 2)])),
    },
    plan: free.length === 0 ? "Free" : paidLimits.length === 0 ? "Paid" : "neither as measured",
  };
}

const fmt = (x: number) => (x >= 1e9 ? `${round(x / 1e9, 2)} B` : x >= 1e6 ? `${round(x / 1e6, 2)} M` : x.toLocaleString("en-US"));

/** A text table; columns after the first `left` are right-aligned. */
function table(rows: Array<Record<string, string>>, left = 3): string {
  const cols = Object.keys(rows[0]!);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < left ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join("  ");
  return [line(cols), line(width.map((w) => "-".repeat(w))), ...rows.map((r) => line(cols.map((c) => r[c]!)))].join("\n");
}

const show = (x: number | null | undefined, d = 2) => (x === null || x === undefined ? "n/a" : String(round(x, d)));

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

  // What one check costs, as measured.
  const perCheckRows: Array<Record<string, string>> = [];
  const invocationRows: Array<Record<string, string>> = [];
  for (const size of sizes)
    for (const store of ["embedded", "influxdb"] as const) {
      const m = runs[String(size)]![store];
      for (const runner of ["edge", "agent"] as const) {
        const p = m[runner].per_check;
        perCheckRows.push({
          store,
          runner,
          monitors: size.toLocaleString("en-US"),
          "rows written": show(p.rows_written),
          "rows read": show(p.rows_read),
          "D1 queries": show(p.statements),
          invocations: show(p.invocations, 4),
          subrequests: show(p.subrequests, 3),
          "queue msgs": show(p.queue_messages, 4),
          "CPU ms <=": show(m[runner].workerd_process_cpu_ms_per_check),
        });
      }
      for (const [kind, s] of Object.entries(m.per_invocation))
        if (s)
          invocationRows.push({
            store,
            monitors: size.toLocaleString("en-US"),
            invocation: kind,
            count: String(s.invocations),
            "D1 queries max": String(s.d1_statements_max),
            "D1 queries mean": show(s.d1_statements_mean),
            "rows read mean": show(s.d1_rows_read_mean, 1),
            "rows written mean": show(s.d1_rows_written_mean, 1),
            "subrequests max": show(s.subrequests_max, 0),
          });
    }
  process.stdout.write(
    `\nPer check, after a warm-up round (D1 from its own meta; subrequests: edge from the Worker's lines, agent counted at the point store;\n` +
      `CPU: OS CPU of every workerd process under wrangler dev, local D1 and queue included, an upper bound, not the Worker's CPU time):\n${table(perCheckRows)}\n`,
  );
  process.stdout.write(
    `\nD1 queries per invocation (limit ${LIMITS.d1QueriesPerInvocation.free} on Free, ${LIMITS.d1QueriesPerInvocation.paid} on Paid):\n${table(invocationRows)}\n`,
  );

  // Each priced size uses the rates measured at the nearest size at or below it (the small run for 100).
  const measuredAt = (m: number) => String(sizes.filter((s) => s <= m).pop() ?? sizes[0]);
  const rows: Array<Record<string, string>> = [];
  const cost: unknown[] = [];
  for (const store of ["embedded", "influxdb"] as const)
    for (const runner of ["edge", "agent"] as const)
      for (const m of [100, 1000, 10_000]) {
        const from = measuredAt(m);
        const c = monthlyCost(m, runner, ratesOf(runs[from]![store], runner));
        cost.push({ store, rates_measured_with: Number(from), ...c });
        rows.push({
          store,
          runner,
          monitors: m.toLocaleString("en-US"),
          "requests/mo": fmt(c.per_month.requests),
          "CPU ms/mo <=": c.per_month.cpu_ms_at_most === null ? "n/a" : fmt(c.per_month.cpu_ms_at_most),
          "rows read/mo": fmt(c.per_month.rows_read),
          "rows written/mo": fmt(c.per_month.rows_written),
          "queue ops/mo": fmt(c.per_month.queue_operations),
          fits: c.plan,
          "Free plan": c.free.fits ? "fits" : `no: ${c.free.exceeded.join(", ")}`,
          "Paid $/mo": `${c.paid.fits ? "" : "(over limits) "}${c.paid.usd_per_month.toFixed(2)}`,
          "of which CPU <=": c.paid.usd.cpu_at_most === null ? "n/a" : c.paid.usd.cpu_at_most!.toFixed(2),
          "rates from run": from,
        });
      }
  const wp = WORKERS_PRICES;
  const first = runs[String(sizes[0])]!.embedded;
  process.stdout.write(
    `\nPer month (${DAYS_PER_MONTH} days of 1-minute checks), prices read ${PRICES_READ_ON} (bench/prices.ts). ` +
      `Free: ${fmt(wp.free.requestsPerDay)} requests, ${fmt(D1_PRICES.free.rowsReadPerDay)} rows read, ${fmt(D1_PRICES.free.rowsWrittenPerDay)} written and ` +
      `${fmt(QUEUES_PRICES.free.operationsPerDay)} queue operations a day, ${LIMITS.d1QueriesPerInvocation.free} D1 queries and ${LIMITS.subrequestsPerInvocation.free} subrequests per invocation. ` +
      `Paid: $${wp.paid.usdPerMonth} a month with ${fmt(wp.paid.requestsPerMonth)} requests ($${wp.paid.usdPerMillionRequests}/M beyond), ${fmt(wp.paid.cpuMsPerMonth)} CPU ms ` +
      `($${wp.paid.usdPerMillionCpuMs}/M), ${fmt(D1_PRICES.paid.rowsReadPerMonth)} rows read ($${D1_PRICES.paid.usdPerMillionRead}/M), ${fmt(D1_PRICES.paid.rowsWrittenPerMonth)} written ` +
      `($${D1_PRICES.paid.usdPerMillionWritten.toFixed(2)}/M), ${fmt(QUEUES_PRICES.paid.operationsPerMonth)} queue operations ($${QUEUES_PRICES.paid.usdPerMillionOperations}/M) included.\n` +
      `${table(rows)}\n` +
      `Every invocation (tick, queue batch, HTTP request) is priced as one Workers request. Edge requests and queue messages per check are the measured ones ` +
      `(queue messages from the tick lines' enqueued_batches; a message holds one batch's ids, at most EDGE_SUBREQUEST_BUDGET (50 by default) of at most 64 characters, under 4 KB, so it is ${QUEUES_PRICES.operationsPerMessage} operations: write, read, delete). ` +
      `Agent requests are one agent pushing every ${PUSH_EVERY_S} s (at most ${MAX_BATCH_RESULTS} results a push) and refreshing its assignments every ${ASSIGNMENTS_EVERY_S} s. ` +
      `CPU is priced at its upper bound, so the Paid totals are upper bounds too; the Free plan's ${wp.free.cpuMsPerInvocation} ms of CPU per invocation cannot be checked here ` +
      `(the upper bound per invocation with ${sizes[0]} monitors: ${show(first.edge.workerd_process_cpu_ms_per_invocation, 0)} ms edge, ${show(first.agent.workerd_process_cpu_ms_per_invocation, 0)} ms agent). ` +
      `D1 storage (${LIMITS.d1DatabaseMaxBytes.free / 1e6} MB per database on Free, ${LIMITS.d1DatabaseMaxBytes.paid / 1e9} GB on Paid) is not checked here: bench/fleet.ts measures it.\n`,
  );
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
    note: "rows from D1's own meta, summed per invocation by the Worker (d1_* fields of its last log line); per check = over the measured ticks, queue batches and agent pushes after a warm-up round, under wrangler dev's local D1. Edge subrequests and queue messages come from the Worker's tick and batch lines; agent subrequests are the requests counted at a proxy in front of InfluxDB (the only host ingest fetches here: no channels are configured; the embedded store fetches nothing). Status reads are not in the per-check figures (they depend on who has the status page open). Agent pushes run in compressed time: the token's last-use stamp, at most once a minute, is written less often than a real agent's would be (≤ 1 row per agent per minute).",
    cpu_ms_per_check:
      "not available under wrangler dev: workerd does not report per-invocation CPU time locally (Cloudflare reports it in Workers Logs and Tail Workers). workerd_process_cpu_ms_* is the OS CPU time of every workerd process under wrangler dev over the phase (local D1, queue, asset and proxy services included): an upper bound, not the Worker's CPU time; the monthly table prices CPU at that bound",
    prices: { read_on: PRICES_READ_ON, workers: WORKERS_PRICES, d1: D1_PRICES, queues: QUEUES_PRICES, limits: LIMITS },
    runs,
    monthly: cost,
    status_page_one_viewer: viewer,
  };
}
