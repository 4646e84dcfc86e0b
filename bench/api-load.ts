// Benchmark: the API under concurrent load, with autocannon. GET /api/v1/status, GET /api/v1/monitors,
// one monitor's checks and uptime, and agent ingest (POST /api/v1/results) at each concurrency, against
// the bundled Worker under Miniflare's own server (bench/miniflare-worker.ts: workerd, no wrangler dev
// proxy), D1 as the point store. Then agent ingest with InfluxDB as the store in 1,000-result batches,
// against raw InfluxDB /write of the same points on the same server. Non-2xx answers and socket errors
// must be 0: every row counts them, and the report lists any that were not.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, loadavg } from "node:os";
import autocannon from "autocannon";
import { newResultId } from "../contract/ids.ts";
import { MAX_BATCH_RESULTS, type CheckResult } from "../contract/index.ts";
import { toLine } from "../edge/src/points/telegraf.ts";
import { apiClient } from "../test/services/http.ts";
import { createDatabase, influxQuery, startInflux, type InfluxServer } from "../test/services/influxdb.ts";
import { TOKEN, cleanup, migrate, pool, round, tempState } from "./lib.ts";
import { bundleWorker, miniflareWorker, type MiniflareWorker } from "./miniflare-worker.ts";

/**
 * The bench's monitors are aimed at loopback with one host's budget lifted (nothing checks them: their runner is the agent).
 * It measures capacity, so no rate limit (its Miniflare has no Rate Limiting bindings; RATE_LIMITS=off says so, without a warning).
 */
const VARS = {
  ADMIN_TOKEN: TOKEN,
  LOG_LEVEL: "info",
  HOST_CHECKS_PER_MIN: "1000000",
  EGRESS_ALLOW: "127.0.0.0/8,::1,localhost",
  RATE_LIMITS: "off",
};
const AGENT = "load-a";
const LOCATION = "bench";
/** Results each monitor has before the reads are measured. */
const SEED_PER_MONITOR = 60;
/** Results per ingest request in the concurrency runs: about one agent's 10-s push for 100 monitors checked every minute. */
const INGEST_BATCH = 20;
/** The InfluxDB comparison: the largest batch the API takes, from this many connections. */
const INFLUX_BATCH = MAX_BATCH_RESULTS;
const INFLUX_CONCURRENCY = 8;
/** Each endpoint is warmed up this long at the lowest concurrency first, not counted. */
const WARMUP_S = 1;
/** Seconds a request may take before the client gives up (a socket error): the agent's push timeout (probe-agent/src/push.ts). */
const TIMEOUT_S = 30;
/** A row needs this many answers per connection, else its run is made longer (see measure). */
const MIN_ANSWERS_PER_CONNECTION = 3;

type Endpoint = {
  name: string;
  request: autocannon.Request;
  headers: Record<string, string>;
  /** Writes only: results stored, as the answers say, in the last run and in all runs. */
  stored?: { run: number; total: number };
};

type Row = {
  endpoint: string;
  concurrency: number;
  duration_s: number;
  req_per_s: number;
  /** Writes only: results stored per second. */
  results_per_s?: number;
  p50_ms: number;
  p99_ms: number;
  requests: number;
  non_2xx: number;
  /** Connection errors and timeouts. */
  socket_errors: number;
  status_codes: Record<string, number>;
};

const target = (id: string) => `http://127.0.0.1/${id}`;

const version = (pkg: string) => JSON.parse(readFileSync(createRequire(import.meta.url).resolve(`${pkg}/package.json`), "utf8")).version;

/**
 * Results for `monitors` in turn, as the bench agent reports them, timed now; a monitor's results are at
 * least 1 ms apart, so no two share a series and time in InfluxDB (which would keep one of them).
 */
function resultSource(monitors: string[]) {
  const last = new Map<string, number>();
  let seq = 0;
  return (n: number): CheckResult[] =>
    Array.from({ length: n }, () => {
      const i = seq++;
      const monitor = monitors[i % monitors.length]!;
      const ts = Math.max(Date.now(), (last.get(monitor) ?? 0) + 1);
      last.set(monitor, ts);
      return {
        id: newResultId(ts),
        monitor,
        ts,
        ok: true,
        latency_ms: 5 + (i % 40),
        location: LOCATION,
        agent: AGENT,
        error: null,
        http: { status: 200, content_length: 12 },
      };
    });
}

/** `n` agent-run HTTP monitors, the agent, and `perMonitor` results for each monitor pushed through the API. */
async function seed(w: MiniflareWorker, n: number, perMonitor: number) {
  const ids = Array.from({ length: n }, (_, i) => `load-${String(i).padStart(4, "0")}`);
  await pool(ids, 8, async (id) => {
    const r = await w.api("POST", "/api/v1/monitors", { id, kind: "http", target: target(id), interval_s: 60, runner: "agent" });
    if (r.status !== 201) throw new Error(`create ${id}: ${r.status} ${r.text.slice(0, 300)}`);
  });
  const reg = await w.api("POST", "/api/v1/agents", { id: AGENT, location: LOCATION });
  if (reg.status !== 201) throw new Error(`register agent: ${reg.status} ${reg.text.slice(0, 300)}`);
  const token: string = reg.body.token;
  const next = resultSource(ids);
  const push = apiClient(() => w.url, token);
  for (let left = n * perMonitor; left > 0; left -= MAX_BATCH_RESULTS) {
    const r = await push("POST", "/api/v1/results", { results: next(Math.min(left, MAX_BATCH_RESULTS)) });
    if (r.status !== 202) throw new Error(`seed results: ${r.status} ${r.text.slice(0, 300)}`);
  }
  return { ids, token, next };
}

/** POST /api/v1/results with `batch` fresh results per request; results/s counts what the API says it accepted. */
function ingestEndpoint(token: string, next: (n: number) => CheckResult[], batch: number): Required<Endpoint> {
  const stored = { run: 0, total: 0 };
  return {
    name: `POST /api/v1/results (${batch} results)`,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    stored,
    request: {
      method: "POST",
      path: "/api/v1/results",
      setupRequest: (req) => ({ ...req, body: JSON.stringify({ results: next(batch) }) }),
      onResponse: (status, body) => {
        const accepted = status === 202 ? JSON.parse(body).accepted : 0;
        stored.run += accepted;
        stored.total += accepted;
      },
    },
  };
}

function readEndpoints(monitor: string): Endpoint[] {
  const headers = { authorization: `Bearer ${TOKEN}` };
  return ["/api/v1/status", "/api/v1/monitors", `/api/v1/monitors/${monitor}/checks`, `/api/v1/monitors/${monitor}/uptime?bucket=1h`].map(
    (path) => ({ name: `GET ${path.replace(monitor, ":id")}`, headers, request: { method: "GET", path } }),
  );
}

/**
 * `connections` clients sending `e` back to back for `durationS`. Afterwards it waits the slowest answer's time:
 * requests in flight at the end are abandoned by the client, not the server, and would load the next run.
 */
async function run(url: string, e: Endpoint, connections: number, durationS: number): Promise<autocannon.Result> {
  if (e.stored) e.stored.run = 0;
  const r = await autocannon({ url, connections, duration: durationS, timeout: TIMEOUT_S, headers: e.headers, requests: [e.request] });
  await new Promise((resolve) => setTimeout(resolve, r.latency.max));
  return r;
}

/**
 * A measured run of `e`: `durationS`, doubled up to 4× while a connection got fewer than MIN_ANSWERS_PER_CONNECTION
 * answers. Past saturation every request waits on all the others, so answers come in rounds as long as the latency,
 * and a run shorter than a few rounds says nothing.
 */
async function measure(url: string, e: Endpoint, connections: number, durationS: number): Promise<autocannon.Result> {
  let r = await run(url, e, connections, durationS);
  for (let d = durationS * 2; r.requests.total < MIN_ANSWERS_PER_CONNECTION * connections && d <= durationS * 4; d *= 2)
    r = await run(url, e, connections, d);
  return r;
}

function row(e: Endpoint, r: autocannon.Result): Row {
  const codes = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, s]) => [code, s.count ?? 0]));
  return {
    endpoint: e.name,
    concurrency: r.connections,
    duration_s: round(r.duration, 1),
    req_per_s: round(r.requests.average, 0),
    ...(e.stored ? { results_per_s: round(e.stored.run / r.duration, 0) } : {}),
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    requests: r.requests.total,
    non_2xx: r.non2xx,
    socket_errors: r.errors,
    status_codes: codes,
  };
}

/** Every endpoint at every concurrency, each after its warm-up, on a fresh Worker with D1 as the point store. */
async function measureApi(script: string, o: { concurrency: number[]; durationS: number; monitors: number }) {
  const state = tempState("ium-bench-api-load-");
  try {
    await migrate(state);
    const w = await miniflareWorker(script, state, VARS, TOKEN);
    try {
      const { ids, token, next } = await seed(w, o.monitors, SEED_PER_MONITOR);
      const rows: Row[] = [];
      for (const e of [...readEndpoints(ids[0]!), ingestEndpoint(token, next, INGEST_BATCH)]) {
        await run(w.url, e, Math.min(...o.concurrency), WARMUP_S);
        for (const c of o.concurrency) rows.push(row(e, await measure(w.url, e, c, o.durationS)));
        process.stdout.write(`api-load: ${e.name} measured\n`);
      }
      return { runtime: w.runtime, rows, worker_log_problems: w.problems.slice(0, 5) };
    } finally {
      await w.stop();
    }
  } finally {
    cleanup(state);
  }
}

/** Points in `db` once the count stops changing: requests the load generator abandoned at the end of a run may still be writing. */
async function settledPoints(influx: InfluxServer, db: string): Promise<number> {
  const count = async () => {
    const body = (await influxQuery(influx.url, 'SELECT count("up") FROM "http_response"', influx, db)) as {
      results: Array<{ series?: Array<{ values: number[][] }> }>;
    };
    return body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
  };
  let last = -1;
  for (let n = await count(); n !== last; n = await count()) {
    last = n;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return last;
}

const STATIC_ID = "0".repeat(26);

/**
 * The line toLine writes for a result of the bench's monitors, made fast: toLine runs once per monitor and
 * latency (about 35 µs a line, which would make the load generator the bottleneck), with the result's id and
 * time then put in (a ULID and an integer need no escaping). Each request's first line is checked against toLine.
 */
function lineMaker() {
  const stored = (r: CheckResult) => ({ ...r, kind: "http" as const, target: target(r.monitor), method: "GET" });
  const templates = new Map<string, string>();
  const line = (r: CheckResult) => {
    const key = `${r.monitor} ${r.latency_ms}`;
    let t = templates.get(key);
    if (t === undefined) templates.set(key, (t = toLine(stored({ ...r, id: STATIC_ID, ts: 0 }))));
    return t.replace(STATIC_ID, r.id).slice(0, -1) + r.ts;
  };
  return (results: CheckResult[]) => {
    const lines = results.map(line);
    if (lines[0] !== toLine(stored(results[0]!))) throw new Error(`line protocol differs from toLine's: ${lines[0]}`);
    return `${lines.join("\n")}\n`;
  };
}

/** Raw InfluxDB /write into `db`: each request the line protocol the Worker would write for `batch` fresh results. */
function rawWriteEndpoint(db: string, next: (n: number) => CheckResult[], batch: number): Required<Endpoint> {
  const lines = lineMaker();
  const stored = { run: 0, total: 0 };
  return {
    name: `InfluxDB /write (${batch} points)`,
    headers: { "content-type": "text/plain; charset=utf-8" },
    stored,
    request: {
      method: "POST",
      path: `/write?db=${db}&precision=ms`,
      setupRequest: (req) => ({ ...req, body: lines(next(batch)) }),
      onResponse: (status) => {
        if (status !== 204) return;
        stored.run += batch;
        stored.total += batch;
      },
    },
  };
}

/**
 * Agent ingest with InfluxDB as the point store vs raw /write of the same points, each checked by counting
 * what InfluxDB holds afterwards against what was acknowledged (warm-up included).
 */
async function measureInflux(script: string, o: { durationS: number; monitors: number }) {
  const influx = await startInflux();
  const state = tempState("ium-bench-api-load-influx-");
  try {
    await createDatabase(influx, "uptime");
    await createDatabase(influx, "raw");
    await migrate(state);
    const w = await miniflareWorker(script, state, { ...VARS, INFLUX_URL: influx.url, INFLUX_DATABASE: "uptime" }, TOKEN);
    try {
      const { ids, token, next } = await seed(w, o.monitors, 0);
      const ingest = ingestEndpoint(token, next, INFLUX_BATCH);
      await run(w.url, ingest, INFLUX_CONCURRENCY, WARMUP_S);
      const api = row(ingest, await measure(w.url, ingest, INFLUX_CONCURRENCY, o.durationS));
      const apiPoints = await settledPoints(influx, "uptime");

      const raw = rawWriteEndpoint("raw", resultSource(ids), INFLUX_BATCH);
      await run(influx.url, raw, INFLUX_CONCURRENCY, WARMUP_S);
      const rawRow = row(raw, await measure(influx.url, raw, INFLUX_CONCURRENCY, o.durationS));
      return {
        runtime: w.runtime,
        batch: INFLUX_BATCH,
        concurrency: INFLUX_CONCURRENCY,
        api: { ...api, acknowledged_total: ingest.stored.total, points_in_influxdb: apiPoints },
        raw_write: { ...rawRow, acknowledged_total: raw.stored.total, points_in_influxdb: await settledPoints(influx, "raw") },
        api_to_raw: round(api.results_per_s! / rawRow.results_per_s!, 3),
        note: "acknowledged_total counts every run, warm-up included; InfluxDB may hold more (up to concurrency × batch a run): requests in flight when autocannon stops are abandoned by the client, not the server",
        worker_log_problems: w.problems.slice(0, 5),
      };
    } finally {
      await w.stop();
    }
  } finally {
    cleanup(state);
    await influx.destroy();
  }
}

/** Both measurements, of one bundle of the Worker, so both measure the same code. */
async function measureAll(o: { concurrency: number[]; durationS: number; monitors: number }) {
  const dir = tempState("ium-bench-api-load-bundle-");
  try {
    const script = await bundleWorker(dir);
    return { api: await measureApi(script, o), influx: await measureInflux(script, o) };
  } finally {
    cleanup(dir);
  }
}

/** Rows whose connections got too few answers even in the longest run: their req/s is a rough lower bound. */
function fewAnswers(rows: Row[]): string[] {
  return rows
    .filter((r) => r.requests < MIN_ANSWERS_PER_CONNECTION * r.concurrency)
    .map(
      (r) =>
        `${r.endpoint} at ${r.concurrency}: ${r.requests} answers in ${r.duration_s} s, fewer than ${MIN_ANSWERS_PER_CONNECTION} a connection`,
    );
}

/** What must be 0 and was not, one line each. */
function problems(rows: Row[], influx: Awaited<ReturnType<typeof measureInflux>>): string[] {
  const out = [...rows, influx.api, influx.raw_write]
    .filter((r) => r.non_2xx > 0 || r.socket_errors > 0)
    .map(
      (r) =>
        `${r.endpoint} at ${r.concurrency}: ${r.non_2xx} non-2xx (${JSON.stringify(r.status_codes)}), ${r.socket_errors} socket errors`,
    );
  for (const [what, r] of [
    ["results the API accepted", influx.api],
    ["points raw /write acknowledged", influx.raw_write],
  ] as const)
    if (r.points_in_influxdb < r.acknowledged_total)
      out.push(`InfluxDB holds ${r.points_in_influxdb} points of the ${r.acknowledged_total} ${what}`);
  return out;
}

function table(rows: Array<Record<string, string>>): string {
  const cols = Object.keys(rows[0]!);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join("  ");
  return [line(cols), line(width.map((w) => "-".repeat(w))), ...rows.map((r) => line(cols.map((c) => r[c]!)))].join("\n");
}

const tableRow = (r: Row) => ({
  endpoint: r.endpoint,
  conc: String(r.concurrency),
  s: String(r.duration_s),
  "req/s": String(r.req_per_s),
  "results/s": r.results_per_s === undefined ? "" : String(r.results_per_s),
  "p50 ms": String(r.p50_ms),
  "p99 ms": String(r.p99_ms),
  requests: String(r.requests),
  "non-2xx": String(r.non_2xx),
  "socket errors": String(r.socket_errors),
});

export async function benchApiLoad(o: { concurrency: number[]; durationS: number; monitors: number }) {
  const loadAtStart = round(loadavg()[0]!, 1);
  const {
    api: { runtime, rows, worker_log_problems },
    influx,
  } = await measureAll(o);
  const found = problems(rows, influx);
  const rough = fewAnswers([...rows, influx.api, influx.raw_write]);
  const loadGenerator = `autocannon ${version("autocannon")}, in the benchmark's Node process (sharing the machine's cores with workerd)`;
  const machine = { cpus: availableParallelism(), load_average_1m: { start: loadAtStart, end: round(loadavg()[0]!, 1) } };

  process.stdout.write(
    `\nAPI under load: ${runtime}; ${loadGenerator}; ${machine.cpus} CPUs, 1-min load average ${machine.load_average_1m.start} at the start, ${machine.load_average_1m.end} at the end; ${o.monitors} monitors, D1 as the point store, ${o.durationS} s per row.\n`,
  );
  process.stdout.write(`${table(rows.map(tableRow))}\n`);
  process.stdout.write(
    `\nAgent ingest with InfluxDB as the point store, ${INFLUX_BATCH}-result batches from ${INFLUX_CONCURRENCY} connections (${influx.runtime}):\n${table(
      [influx.api, influx.raw_write].map(tableRow),
    )}\nthrough the API: ${round(influx.api_to_raw * 100, 1)} % of raw /write's results/s\n`,
  );
  process.stdout.write(
    found.length
      ? `\nNOT CLEAN: non-2xx answers, socket errors or lost points:\n  ${found.join("\n  ")}\n\n`
      : "\nEvery request answered 2xx; no socket errors; InfluxDB holds every point.\n\n",
  );
  if (rough.length) process.stdout.write(`Too few answers for a steady figure (rough lower bounds):\n  ${rough.join("\n  ")}\n\n`);
  return {
    runtime,
    load_generator: loadGenerator,
    machine,
    monitors: o.monitors,
    duration_s: o.durationS,
    warmup_s: WARMUP_S,
    timeout_s: TIMEOUT_S,
    seed_results: o.monitors * SEED_PER_MONITOR,
    ingest_batch: INGEST_BATCH,
    clean: found.length === 0,
    problems: found,
    too_few_answers: rough,
    api: rows,
    worker_log_problems,
    influxdb_ingest: influx,
  };
}
