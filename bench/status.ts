// Benchmark: GET /api/v1/status (all monitors, and the status page's first page of 100) with 100
// monitors × 30 days of 1-minute history (4.32 M results), or 1,000 × 3 days, once per point store. History is seeded straight into the stores (D1's SQLite file for the
// embedded store, line protocol for InfluxDB) with the rollups the Worker keeps as results arrive.
import { packRows, packedHistory } from "../test/services/status-seed.ts";
import { readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Monitor } from "../contract/index.ts";
import { toLine } from "../edge/src/points/telegraf.ts";
import type { StoredResult } from "../edge/src/points/store.ts";
import { createDatabase, startInflux } from "../test/services/influxdb.ts";
import { MINUTE, cleanup, migrate, percentile, round, tempState, worker, type BenchWorker } from "./lib.ts";

const DAY = 86_400_000;

type Store = "embedded" | "influxdb";
type Opts = { monitors: number; days: number; requests: number; stores?: Store[] };

export function d1File(state: string): string {
  const dir = path.join(state, "v3/d1/miniflare-D1DatabaseObject");
  const f = readdirSync(dir).find((n) => n.endsWith(".sqlite") && n !== "metadata.sqlite");
  if (!f) throw new Error(`no D1 database file in ${dir}`);
  return path.join(dir, f);
}

/** The i-th minute of monitor m: deterministic up/down and latency. */
function sample(m: number, i: number) {
  const ok = (i * 7919 + m * 104729) % 1000 !== 0; // 99.9 % up
  return { ok, latency: ok ? 20 + ((i * 31 + m * 17) % 200) / 10 : null };
}

function* results(o: Opts, now: number): Generator<StoredResult> {
  const first = Math.floor(now / MINUTE) * MINUTE - o.days * DAY;
  const n = (o.days * DAY) / MINUTE;
  for (let m = 0; m < o.monitors; m++)
    for (let i = 0; i < n; i++) {
      const s = sample(m, i);
      const id = `st-${String(m).padStart(3, "0")}`;
      yield {
        id: `${id}-${i}`,
        monitor: id,
        ts: first + i * MINUTE,
        ok: s.ok,
        latency_ms: s.latency,
        location: "edge",
        agent: null,
        error: s.ok ? null : { kind: "status", message: "got 503 Service Unavailable, expected 2xx" },
        http: { status: s.ok ? 200 : 503, content_length: 10 },
        kind: "http",
        target: `https://${id}.example.test/`,
        method: "GET",
      };
    }
}

/** Monitors, states and rollups in D1; raw points too when `rawInD1` (the embedded store). */
export function seedD1(file: string, o: Opts, now: number, rawInD1: boolean) {
  const db = new DatabaseSync(file);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;");
  db.exec("BEGIN");
  const mon = db.prepare(
    "INSERT INTO monitors (id, spec, kind, runner, enabled, interval_s, created_at, updated_at, pack) VALUES (?, ?, 'http', 'edge', 1, 60, ?, ?, ?)",
  );
  const ids = Array.from({ length: o.monitors }, (_, m) => `st-${String(m).padStart(3, "0")}`);
  // Not due (last run far ahead): the bench measures reads only.
  const { packOf, rows } = packRows(
    ids.map((id) => ({
      id,
      runner: "edge",
      interval_s: 60,
      enabled: true,
      status: "up",
      since: now - DAY,
      last_check_at: now - MINUTE,
      last_error: null,
      last_latency_ms: 25,
    })),
    now,
  );
  ids.forEach((id, m) => {
    const spec = Monitor.parse({ id, name: `Service ${m}`, group: `Group ${m % 5}`, kind: "http", target: `https://${id}.example.test/` });
    mon.run(id, JSON.stringify(spec), now - o.days * DAY, now, packOf.get(id)!);
  });
  const pack = db.prepare("INSERT INTO state_packs (pack, version, members, body) VALUES (?, 1, ?, ?)");
  for (const r of rows) pack.run(...r);
  const roll = new Map<string, number[]>();
  const history = packedHistory(db);
  for (const r of results(o, now)) {
    if (rawInD1)
      history.point.run(
        r.id,
        r.monitor,
        "http",
        "edge",
        null,
        r.ts,
        r.ok ? 1 : 0,
        r.latency_ms,
        r.error?.kind ?? null,
        r.error?.message ?? null,
        JSON.stringify(r.http),
      );
    for (const [size, ms] of [
      ["1h", 3_600_000],
      ["1d", DAY],
    ] as const) {
      const key = `${r.monitor}|${size}|${Math.floor(r.ts / ms) * ms}`;
      const v = roll.get(key) ?? roll.set(key, [0, 0, 0, 0]).get(key)!;
      v[0]! += 1;
      if (r.ok) {
        v[1]! += 1;
        if (r.latency_ms !== null) {
          v[2]! += r.latency_ms;
          v[3]! += 1;
        }
      }
    }
  }
  for (const [key, v] of roll) {
    const [monitor, size, start] = key.split("|");
    history.rollup.run(monitor!, size!, Number(start), "edge", v[0]!, v[1]!, v[2]!, v[3]!);
  }
  history.flush(packOf);
  db.exec("COMMIT");
  db.exec("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;");
  db.close();
}

async function seedInflux(url: string, database: string, o: Opts, now: number) {
  let lines: string[] = [];
  const flush = async () => {
    const res = await fetch(`${url}/write?db=${database}&precision=ms`, { method: "POST", body: lines.join("\n") });
    if (res.status !== 204) throw new Error(`influx write ${res.status}: ${await res.text()}`);
    lines = [];
  };
  for (const r of results(o, now)) {
    lines.push(toLine(r));
    if (lines.length >= 20_000) await flush();
  }
  if (lines.length) await flush();
}

/** What the status page asks first (ui/src/status-page.ts). */
const FIRST_PAGE = "/api/v1/status?limit=100";

async function measure(w: BenchWorker, o: Opts) {
  const time = async (p: string) => {
    const t = performance.now();
    const r = await w.api("GET", p);
    if (r.status !== 200) throw new Error(`${p}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
    return performance.now() - t;
  };
  for (let i = 0; i < 10; i++) await time("/api/v1/status");
  // The runtime's floor: a route that reads nothing, through the same server and client.
  const floor: number[] = [];
  for (let i = 0; i < o.requests; i++) floor.push(await time("/healthz"));
  floor.sort((a, b) => a - b);
  const status: number[] = [];
  for (let i = 0; i < o.requests; i++) status.push(await time("/api/v1/status"));
  const uptime: number[] = [];
  const now = Date.now();
  for (let i = 0; i < Math.min(100, o.requests); i++) {
    const id = `st-${String(i % o.monitors).padStart(3, "0")}`;
    uptime.push(await time(`/api/v1/monitors/${id}/uptime?from=${now - 30 * DAY}&to=${now}&bucket=1d`));
  }
  status.sort((a, b) => a - b);
  uptime.sort((a, b) => a - b);
  // The status page's first view: one page of 100 monitors with their day bars.
  const firstPage: number[] = [];
  for (let i = 0; i < o.requests; i++) firstPage.push(await time(FIRST_PAGE));
  firstPage.sort((a, b) => a - b);
  // The whole list without day bars (uptime windows only).
  const noDays: number[] = [];
  for (let i = 0; i < o.requests; i++) noDays.push(await time("/api/v1/status?days=none"));
  noDays.sort((a, b) => a - b);
  const body = await w.api("GET", "/api/v1/status");
  const page = await w.api("GET", FIRST_PAGE);
  return {
    status_p50_ms: round(percentile(status, 50)),
    status_p99_ms: round(percentile(status, 99)),
    status_bytes: JSON.stringify(body.body).length,
    status_gzip_bytes: gzipSync(JSON.stringify(body.body)).length,
    first_page_p50_ms: round(percentile(firstPage, 50)),
    first_page_p99_ms: round(percentile(firstPage, 99)),
    healthz_p50_ms: round(percentile(floor, 50)),
    no_days_p50_ms: round(percentile(noDays, 50)),
    no_days_p99_ms: round(percentile(noDays, 99)),
    first_page_bytes: JSON.stringify(page.body).length,
    first_page_gzip_bytes: gzipSync(JSON.stringify(page.body)).length,
    uptime_30d_raw_p50_ms: round(percentile(uptime, 50)),
    uptime_30d_raw_p99_ms: round(percentile(uptime, 99)),
    sample_uptime_30d: body.body.monitors[0].uptime["30d"],
  };
}

export async function benchStatus(o: Opts = { monitors: 100, days: 30, requests: 200 }) {
  const total = o.monitors * ((o.days * DAY) / MINUTE);
  const out: Record<string, unknown> = { monitors: o.monitors, days: o.days, results: total };
  const now = Date.now();

  const stores = o.stores ?? ["embedded", "influxdb"];
  // Embedded store (D1).
  if (stores.includes("embedded")) {
    const state = tempState("ium-bench-status-");
    try {
      await migrate(state);
      const t = performance.now();
      seedD1(d1File(state), o, now, true);
      const seedS = (performance.now() - t) / 1000;
      const w = await worker(state);
      try {
        out.embedded = { seed_s: round(seedS, 1), ...(await measure(w, o)) };
      } finally {
        await w.stop();
      }
    } finally {
      cleanup(state);
    }
  }

  // InfluxDB.
  if (stores.includes("influxdb")) {
    const influx = await startInflux();
    const state = tempState("ium-bench-status-influx-");
    try {
      await createDatabase(influx, "uptime");
      await migrate(state);
      const t = performance.now();
      seedD1(d1File(state), o, now, false);
      await seedInflux(influx.url, "uptime", o, now);
      const seedS = (performance.now() - t) / 1000;
      const w = await worker(state, { INFLUX_URL: influx.url, INFLUX_DATABASE: "uptime" });
      try {
        out.influxdb = { seed_s: round(seedS, 1), ...(await measure(w, o)) };
      } finally {
        await w.stop();
      }
    } finally {
      cleanup(state);
      await influx.destroy();
    }
  }
  return out;
}
