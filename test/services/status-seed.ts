// Seeds a local D1 file (wrangler dev's, after migrations) with monitors, states, 90 days of hourly and
// daily rollups and recent points, straight through node:sqlite: the status UI's test and bench data.
import { readdirSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Monitor, type MonitorInput } from "../../contract/index.ts";

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** The D1 database file wrangler dev keeps under `--persist-to <state>`. */
export function d1File(state: string): string {
  const dir = path.join(state, "v3/d1/miniflare-D1DatabaseObject");
  const f = readdirSync(dir).find((n) => n.endsWith(".sqlite") && n !== "metadata.sqlite");
  if (!f) throw new Error(`no D1 database file in ${dir}`);
  return path.join(dir, f);
}

type Status = "up" | "down" | "pending" | "paused" | "maintenance";

export type SeedMonitor = {
  input: MonitorInput;
  status: Status;
  /** How long ago its current status began. */
  sinceAgo: number;
  /** How long it has been checked (history starts then); Infinity = longer than 90 days. */
  age: number;
  /** Whole UTC days (0 = today, 1 = yesterday, …) with no checks at all. */
  gapDays?: number[];
  /** Hours ago (0 = the current hour) with no checks. */
  gapHours?: number[];
  /** Hours ago in which some checks failed, and how many. */
  failedHours?: Record<number, number>;
  lastError?: { kind: string; message: string };
  /** Recent points: the newest `failing` of them failed with lastError. */
  failing?: number;
  /** Up to this many failed checks in any hour, varying hour by hour (real fleets are not round). */
  flaky?: number;
};

const secretHeader = "Bearer ium-seeded-secret-0000";

/**
 * The scenario the browser test reads: every status, groups and no group, a private target with
 * secrets, a public target, a young monitor (days without data), a gap of days, failed hours.
 */
export function scenario(): SeedMonitor[] {
  return [
    {
      input: { id: "web-home", name: "Homepage", group: "Website", kind: "http", target: "https://www.example.test/", public_target: true },
      status: "up",
      sinceAgo: 3 * DAY,
      age: Infinity,
      gapHours: [5, 6, 7],
      failedHours: [30, 31, 50].reduce((o, h) => ({ ...o, [h]: 12 }), {} as Record<number, number>),
    },
    {
      input: { id: "web-api", name: "Public API", group: "Website", kind: "http", target: "https://api.example.test/v1/health" },
      status: "up",
      sinceAgo: 9 * DAY,
      age: Infinity,
      failedHours: { 200: 60, 201: 30 },
    },
    {
      input: {
        id: "db-primary",
        name: "Primary database",
        group: "Databases",
        kind: "tcp",
        target: "db-primary.corp.example.test:5432",
        locations: ["dc1"],
      },
      status: "down",
      sinceAgo: 14 * MINUTE,
      age: Infinity,
      failedHours: { 0: 14 },
      lastError: { kind: "refused", message: "connect ECONNREFUSED 10.0.4.12:5432 (db-primary.corp.example.test)" },
      failing: 14,
    },
    {
      input: { id: "db-replica", name: "Replica database", group: "Databases", kind: "tcp", target: "db-replica.corp.example.test:5432" },
      status: "up",
      sinceAgo: 40 * DAY,
      age: Infinity,
    },
    {
      input: { id: "queue", name: "Job queue", group: "Internal", kind: "icmp", target: "queue.corp.example.test" },
      status: "pending",
      sinceAgo: 2 * HOUR,
      age: 2 * HOUR,
    },
    {
      input: { id: "billing", name: "Billing API", group: "Internal", kind: "http", target: "https://billing.corp.example.test/" },
      status: "up",
      sinceAgo: 20 * DAY,
      age: 60 * DAY,
      gapDays: [12, 13, 14],
    },
    {
      input: {
        id: "admin",
        name: "Admin panel",
        group: "Internal",
        kind: "http",
        target: "https://admin.corp.example.test/login?key=seeded-key",
        http: { method: "POST", headers: { authorization: secretHeader }, body: '{"probe":"seeded-body"}', keyword: "SEEDED-KEYWORD" },
      },
      status: "up",
      sinceAgo: 5 * DAY,
      age: Infinity,
    },
    {
      input: { id: "search", name: "Search cluster", group: "Internal", kind: "http", target: "https://search.corp.example.test/" },
      status: "maintenance",
      sinceAgo: HOUR,
      age: Infinity,
      gapHours: [0],
    },
    {
      input: { id: "legacy-ftp", name: "Legacy FTP", kind: "tcp", target: "ftp.corp.example.test:21", enabled: false },
      status: "paused",
      sinceAgo: 30 * DAY,
      age: Infinity,
      gapDays: Array.from({ length: 30 }, (_, i) => i),
    },
  ];
}

/** Strings of the scenario's configuration that a public page must never show. */
export const SCENARIO_SECRETS = [
  "corp.example.test",
  "10.0.4.12",
  secretHeader,
  "seeded-body",
  "SEEDED-KEYWORD",
  "seeded-key",
  "api.example.test",
];

/** `n` healthy monitors in one group, to make the page as heavy as a real fleet. */
export function fleet(n: number): SeedMonitor[] {
  return Array.from({ length: n }, (_, i) => {
    const id = `fleet-${String(i).padStart(3, "0")}`;
    return {
      input: {
        id,
        name: `Fleet node ${String(i).padStart(3, "0")}`,
        group: "Workers fleet",
        kind: "http",
        target: `https://${id}.corp.example.test/`,
      },
      status: "up" as const,
      sinceAgo: (i + 1) * HOUR,
      age: Infinity,
      flaky: 2,
    };
  });
}

function hash(s: string): number {
  let h = 2166136261;
  for (const c of s) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h;
}

/** Deterministic latency (ms) of a monitor in an hour. */
function latencyOf(id: string, hour: number): number {
  const h = hash(id) % 997;
  return 18 + (h % 40) + 6 * Math.sin((hour + h) / 5) + ((hour * 7 + h) % 5);
}

export type SeedState = {
  id: string;
  runner: "edge" | "agent";
  interval_s: number;
  enabled: boolean;
  status: string;
  since: number;
  last_check_at: number | null;
  last_error: unknown;
  last_latency_ms: number | null;
};

/** Packs of 32 per runner in id order, as the Worker keeps monitor state (edge/src/db/packs.ts); "ran" far ahead: never due. */
export function packRows(states: SeedState[], now: number): { packOf: Map<string, string>; rows: Array<[string, number, string]> } {
  const packOf = new Map<string, string>();
  const groups = new Map<string, Record<string, unknown>>();
  const counts = { edge: 0, agent: 0 };
  for (const s of [...states].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const key = `${s.runner}:${Math.floor(counts[s.runner]++ / 32)}`;
    packOf.set(s.id, key);
    const members = groups.get(key) ?? groups.set(key, {}).get(key)!;
    members[s.id] = {
      every: s.interval_s,
      edge: s.runner === "edge",
      on: s.enabled,
      ran: now + 365 * DAY,
      hops: 0,
      state: {
        status: s.status,
        since: s.since,
        last_check_at: s.last_check_at,
        last_error: s.last_error ?? null,
        last_latency_ms: s.last_latency_ms,
        consecutive_failures: 0,
        consecutive_successes: 0,
        degraded: false,
        slow_streak: 0,
        incident_id: null,
        cert_warned_for: null,
      },
      locations: {},
      latest: {},
    };
  }
  return { packOf, rows: [...groups].map(([key, members]) => [key, Object.keys(members).length, JSON.stringify({ members })]) };
}

/**
 * Collects rollups and points as rows of the old per-result tables (the same `run` arguments) and
 * writes them in the Worker's packed shape (rollup_packs, point_packs) once packs are known.
 */
export function packedHistory(db: DatabaseSync) {
  const rollups = new Map<string, Record<string, Record<string, number[]>>>(); // "<monitor>|<size>|<start>" → cells
  const points = new Map<string, unknown[][]>(); // "<monitor>|<hour>" → records
  return {
    rollup: {
      run(monitor: string, size: string, start: number, location: string, c: number, u: number, ls: number, ln: number) {
        const key = `${monitor}|${size}|${start}`;
        const cells = rollups.get(key) ?? rollups.set(key, {}).get(key)!;
        const cur = ((cells[monitor] ??= {})[location] ??= [0, 0, 0, 0]);
        cur[0]! += c;
        cur[1]! += u;
        cur[2]! += ls;
        cur[3]! += ln;
      },
    },
    point: {
      run(id: string, monitor: string, kind: string, location: string, agent: string | null, ts: number, ...rest: unknown[]) {
        const key = `${monitor}|${Math.floor(ts / HOUR)}`;
        (points.get(key) ?? points.set(key, []).get(key)!).push([agent ? `${agent}/${id}` : id, kind, location, agent, ts, ...rest]);
      },
    },
    flush(packOf: Map<string, string>) {
      const byRow = new Map<string, Record<string, Record<string, number[]>>>();
      for (const [key, cells] of rollups) {
        const [monitor, size, start] = key.split("|");
        const rowKey = `${packOf.get(monitor!)}|${size}|${start}`;
        Object.assign(byRow.get(rowKey) ?? byRow.set(rowKey, {}).get(rowKey)!, cells);
      }
      const roll = db.prepare("INSERT INTO rollup_packs (pack, size, start, body) VALUES (?, ?, ?, ?)");
      for (const [key, body] of byRow) {
        const [pack, size, start] = key.split("|");
        roll.run(pack!, size!, Number(start), JSON.stringify(body));
      }
      const point = db.prepare("INSERT INTO point_packs (pack, ts, seq, first, body) VALUES (?, ?, ?, ?, ?)");
      for (const [key, recs] of points) {
        const [monitor] = key.split("|");
        const ts = recs.map((r) => r[4] as number);
        point.run(packOf.get(monitor!)!, Math.max(...ts), `seed:${key}`, Math.min(...ts), JSON.stringify({ [monitor!]: recs }));
      }
    },
  };
}

/**
 * Writes the monitors, their states, hourly rollups for the last 90 days (with daily rollups as their
 * sums) and the last hour's points. Rollups are per hour of `now`; the current hour holds only the
 * minutes elapsed. Nothing is due (last run far ahead): the Worker's cron would not disturb it.
 */
export function seedStatus(file: string, monitors: SeedMonitor[], now: number) {
  const db = new DatabaseSync(file);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;");
  db.exec("BEGIN");
  const mon = db.prepare(
    "INSERT INTO monitors (id, spec, kind, runner, enabled, interval_s, created_at, updated_at, pack) VALUES (?, ?, ?, ?, ?, 60, ?, ?, ?)",
  );
  const states: SeedState[] = [];
  const history = packedHistory(db);
  const roll = history.rollup;
  const point = history.point;
  const thisHour = Math.floor(now / HOUR) * HOUR;
  const today = Math.floor(now / DAY) * DAY;
  const minutesThisHour = Math.max(1, Math.floor((now - thisHour) / MINUTE));
  for (const m of monitors) {
    const spec = Monitor.parse(m.input);
    const created = Number.isFinite(m.age) ? now - m.age : now - 200 * DAY;
    const location = spec.runner === "agent" ? "dc1" : "edge";
    const paused = m.status === "paused";
    // The last check 20 s ago, but never before this hour began: in an hour's first 20 s the seed would otherwise
    // leave the current hour without checks, and what the tests count would depend on the clock.
    const lastCheck = paused ? now - 30 * DAY : Math.max(now - 20_000, thisHour);
    const lastLatency = m.status === "down" || paused ? null : Math.round(latencyOf(spec.id, 0) * 10) / 10;
    states.push({
      id: spec.id,
      runner: spec.runner,
      interval_s: spec.interval_s,
      enabled: spec.enabled,
      status: m.status,
      since: now - m.sinceAgo,
      last_check_at: lastCheck,
      last_error: m.lastError ?? null,
      last_latency_ms: lastLatency,
    });

    const daily = new Map<number, [number, number, number, number]>();
    for (let h = 0; h < 90 * 24; h++) {
      const start = thisHour - h * HOUR;
      if (start + HOUR <= created || start > lastCheck) continue;
      const dayAgo = (today - Math.floor(start / DAY) * DAY) / DAY;
      if (m.gapDays?.includes(dayAgo) || m.gapHours?.includes(h)) continue;
      const checks = h === 0 ? minutesThisHour : 60;
      const flaky = m.flaky ? Math.max(0, (hash(`${spec.id}/${h}`) % (4 * m.flaky + 1)) - 3 * m.flaky) : 0;
      const failed = Math.min(checks, (m.failedHours?.[h] ?? 0) + flaky);
      const up = checks - failed;
      const lat = latencyOf(spec.id, h);
      roll.run(spec.id, "1h", start, location, checks, up, lat * up, up);
      const dayStart = Math.floor(start / DAY) * DAY;
      const d = daily.get(dayStart) ?? [0, 0, 0, 0];
      daily.set(dayStart, [d[0] + checks, d[1] + up, d[2] + lat * up, d[3] + up]);
    }
    for (const [start, [checks, up, sum, n]] of daily) roll.run(spec.id, "1d", start, location, checks, up, sum, n);

    if (paused) continue;
    // The last 30 minutes of points for "recent checks", alternating locations for agent monitors.
    for (let i = 0; i < 30; i++) {
      const ts = lastCheck - i * MINUTE;
      if (ts < created) break;
      const fail = i < (m.failing ?? 0);
      const loc = spec.runner === "agent" ? (i % 2 ? "dc2" : "dc1") : "edge";
      const detail = spec.kind === "http" ? { status: fail ? 503 : 200, content_length: 12 } : spec.kind === "tcp" ? { port: 5432 } : null;
      point.run(
        `${spec.id}-p${i}`,
        spec.id,
        spec.kind,
        loc,
        spec.runner === "agent" ? `${loc}-a` : null,
        ts,
        fail ? 0 : 1,
        fail ? null : Math.round(latencyOf(spec.id, 0) * 100) / 100,
        fail ? (m.lastError?.kind ?? "connection") : null,
        fail ? (m.lastError?.message ?? "connection failed") : null,
        detail ? JSON.stringify(detail) : null,
      );
    }
  }
  const { packOf, rows } = packRows(states, now);
  for (const m of monitors) {
    const spec = Monitor.parse(m.input);
    const created = Number.isFinite(m.age) ? now - m.age : now - 200 * DAY;
    mon.run(spec.id, JSON.stringify(spec), spec.kind, spec.runner, spec.enabled ? 1 : 0, created, created, packOf.get(spec.id)!);
  }
  const pack = db.prepare("INSERT INTO state_packs (pack, version, members, body) VALUES (?, 1, ?, ?)");
  for (const r of rows) pack.run(...r);
  history.flush(packOf);
  db.exec("COMMIT");
  db.exec("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;");
  db.close();
}
