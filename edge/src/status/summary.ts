// The status summary: every monitor's state, uptime windows and 90 daily buckets, from rollups; and one
// monitor's detail (latency series, recent checks). Pure apart from the reads, so the arithmetic and
// what a public caller may see are tested on their own.
import { toRfc3339, type CheckResult, type MonitorSpec } from "../../../contract/index.ts";
import { base64url } from "../api/crypto.ts";
import { errorView, type Audience } from "../api/redact.ts";
import { listMonitorsWithPacks, type StoredMonitor } from "../db/monitors.ts";
import type { PointStore } from "../points/store.ts";
import { readPacks } from "../db/packs.ts";
import { readCells, readRollups, type Cell } from "../db/rollups.ts";
import { DAY, HOUR, WINDOWS, figures, floorTo, type WindowName } from "./rollups.ts";

export { WINDOWS, type WindowName } from "./rollups.ts";

type Row = { monitor: string; start: number; checks: number; up: number; latency_sum: number; latency_n: number };

/**
 * Windows, all ending now and made of whole UTC buckets including the current partial one:
 * `24h` = the last 24 hourly buckets; `7d`, `30d`, `90d` = the last 7, 30, 90 daily buckets.
 */
export const DAYS = 90;

/**
 * Latency series of the monitor page, from hourly rollups: 24 hourly points for 24h, 168 for 7d,
 * and 180 four-hour points for 30d. Buckets are aligned to UTC and end with the current one.
 */
export const SERIES = { "24h": { size: HOUR, n: 24 }, "7d": { size: HOUR, n: 168 }, "30d": { size: 4 * HOUR, n: 180 } } as const;

/** How many recent checks the monitor page lists, and how far back it looks for them. */
export const RECENT_CHECKS = 50;
const RECENT_CHECKS_WINDOW = 7 * DAY;

function groupBy(rows: Row[]) {
  const m = new Map<string, Row[]>();
  for (const r of rows) (m.get(r.monitor) ?? m.set(r.monitor, []).get(r.monitor)!).push(r);
  return m;
}

function uptimeWindows(hourly: Row[], daily: Row[], now: number): Record<WindowName, number | null> {
  const today = floorTo(now, DAY);
  const thisHour = floorTo(now, HOUR);
  const out = {} as Record<WindowName, number | null>;
  for (const [name, w] of Object.entries(WINDOWS) as Array<[WindowName, (typeof WINDOWS)[WindowName]]>) {
    const first = (w.size === HOUR ? thisHour : today) - (w.n - 1) * w.size;
    out[name] = figures((w.size === HOUR ? hourly : daily).filter((r) => r.start >= first)).uptime;
  }
  return out;
}

/**
 * The last 90 UTC days as parallel arrays (index 0 is `from`, index 89 is today): checks and up
 * results per day. A day without checks has `checks: 0`; its uptime is unknown, not 100 %.
 */
function dailyArrays(daily: Row[], now: number) {
  const today = floorTo(now, DAY);
  const first = today - (DAYS - 1) * DAY;
  const checks = new Array<number>(DAYS).fill(0);
  const up = new Array<number>(DAYS).fill(0);
  for (const r of daily) {
    const i = (r.start - first) / DAY;
    if (Number.isInteger(i) && i >= 0 && i < DAYS) {
      checks[i] = r.checks;
      up[i] = r.up;
    }
  }
  return { from: toRfc3339(first)!.slice(0, 10), checks, up };
}

/** What the status list says of a monitor before its figures: who it is and its state. */
const heading = (m: StoredMonitor) => ({
  id: m.spec.id,
  name: m.spec.name,
  group: m.spec.group,
  kind: m.spec.kind,
  status: m.state.status,
  since: toRfc3339(m.state.since),
  last_check_at: toRfc3339(m.state.last_check_at),
  latency_ms: m.state.last_latency_ms,
});

export function summarise(monitors: StoredMonitor[], hourly: Row[], daily: Row[], now: number) {
  const hourlyBy = groupBy(hourly);
  const dailyBy = groupBy(daily);
  return monitors.map((m) => {
    const d = dailyBy.get(m.spec.id) ?? [];
    return {
      ...heading(m),
      uptime: uptimeWindows(hourlyBy.get(m.spec.id) ?? [], d, now),
      days: dailyArrays(d, now),
    };
  });
}

/** The statuses the list counts, in the order its `counts` lists them. */
const STATUSES = ["up", "down", "pending", "maintenance", "paused"] as const;

/** Most monitors one page of GET /api/v1/status may hold. */
export const MAX_LIMIT = 1000;

/** What GET /api/v1/status was asked: a page (`limit` monitors after `after`, or all) and whether with day bars. */
export type StatusQuery = { limit: number | null; after: ListKey | null; days: boolean };

/** A monitor's place in the list: group (none last), then name, then id. */
export type ListKey = [group: string | null, name: string, id: string];

const collator = new Intl.Collator("en");

/** The list's order (the status page's): groups by name with the ungrouped last, monitors by name, then id. */
export function compareKeys(a: ListKey, b: ListKey): number {
  if (a[0] !== b[0]) {
    if (a[0] === null) return 1;
    if (b[0] === null) return -1;
    const g = collator.compare(a[0], b[0]);
    if (g) return g;
  }
  return collator.compare(a[1], b[1]) || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0);
}

const keyOf = (m: StoredMonitor): ListKey => [m.spec.group ?? null, m.spec.name, m.spec.id];

/** `next_cursor`: the last monitor's key, base64url JSON (opaque to callers). */
export function encodeCursor(k: ListKey): string {
  return base64url(new TextEncoder().encode(JSON.stringify(k)));
}

/** The key a cursor carries, or null when it is not one this API wrote. */
export function decodeCursor(cursor: string): ListKey | null {
  if (!/^[A-Za-z0-9_-]{1,2000}$/.test(cursor)) return null;
  try {
    const bin = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    const k = JSON.parse(
      new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0))),
    );
    if (
      Array.isArray(k) &&
      k.length === 3 &&
      (k[0] === null || typeof k[0] === "string") &&
      typeof k[1] === "string" &&
      typeof k[2] === "string"
    )
      return k as ListKey;
  } catch {
    /* not base64url JSON */
  }
  return null;
}

/**
 * The status list from rollup cells, without building a row per monitor and bucket: the page's
 * monitors get an index, the cells are added into flat arrays (24h totals; checks and up per day).
 * Same figures as `summarise` (integer sums divided once).
 */
export function summariseList(page: StoredMonitor[], hourCells: Cell[], dayCells: Cell[], now: number, withDays: boolean) {
  const n = page.length;
  const index = new Map<string, number>();
  page.forEach((m, i) => index.set(m.spec.id, i));
  const first24 = floorTo(now, HOUR) - (WINDOWS["24h"].n - 1) * HOUR;
  const today = floorTo(now, DAY);
  const firstDay = today - (DAYS - 1) * DAY;
  const hChecks = new Float64Array(n);
  const hUp = new Float64Array(n);
  const dChecks = new Float64Array(n * DAYS);
  const dUp = new Float64Array(n * DAYS);
  for (const c of hourCells) {
    const i = index.get(c.monitor);
    if (i === undefined || c.start < first24) continue;
    hChecks[i]! += c.counts[0];
    hUp[i]! += c.counts[1];
  }
  for (const c of dayCells) {
    const i = index.get(c.monitor);
    const d = (c.start - firstDay) / DAY;
    if (i === undefined || !Number.isInteger(d) || d < 0 || d >= DAYS) continue;
    dChecks[i * DAYS + d]! += c.counts[0];
    dUp[i * DAYS + d]! += c.counts[1];
  }
  const from = toRfc3339(firstDay)!.slice(0, 10);
  return page.map((m, i) => {
    const base = i * DAYS;
    const window = (days: number) => {
      let checks = 0;
      let up = 0;
      for (let d = DAYS - days; d < DAYS; d++) {
        checks += dChecks[base + d]!;
        up += dUp[base + d]!;
      }
      return checks ? up / checks : null;
    };
    const out: Record<string, unknown> = {
      ...heading(m),
      uptime: { "24h": hChecks[i] ? hUp[i]! / hChecks[i]! : null, "7d": window(7), "30d": window(30), "90d": window(90) },
    };
    if (withDays) {
      // Plain loops: Array.from over a typed array goes through its iterator, ten times slower here.
      const checks = new Array<number>(DAYS);
      const up = new Array<number>(DAYS);
      for (let d = 0; d < DAYS; d++) {
        checks[d] = dChecks[base + d]!;
        up[d] = dUp[base + d]!;
      }
      out.days = { from, checks, up };
    }
    return out;
  });
}

/**
 * GET /api/v1/status: the monitors of the page asked for, in list order, with `total` and `counts`
 * (by status) over every monitor, and `next_cursor` (null on the last page).
 */
export async function loadStatus(db: D1Database, now: number, q: StatusQuery = { limit: null, after: null, days: true }) {
  const { monitors, packs } = await listMonitorsWithPacks(db);
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<(typeof STATUSES)[number], number>;
  const keyed = monitors.map((m) => {
    counts[m.state.status] += 1;
    return { m, k: keyOf(m) };
  });
  keyed.sort((a, b) => compareKeys(a.k, b.k));
  let start = 0;
  if (q.after) {
    const after = q.after;
    start = keyed.findIndex((e) => compareKeys(e.k, after) > 0);
    if (start < 0) start = keyed.length;
  }
  const end = q.limit === null ? keyed.length : Math.min(keyed.length, start + q.limit);
  const page = keyed.slice(start, end).map((e) => e.m);
  // Only the rollups of the page's packs: a page of 100 reads about 4 packs' rows, not every pack's.
  // (Summing in SQLite instead, json_each over the bodies, was slower: 5x for 90 days of day rows.)
  const onPage = new Set(page.map((m) => m.pack));
  const read = packs.filter((p) => onPage.has(p.key));
  const [hourCells, dayCells] = await Promise.all([
    readCells(db, "1h", floorTo(now, HOUR) - 23 * HOUR, now + 1, read),
    readCells(db, "1d", floorTo(now, DAY) - (DAYS - 1) * DAY, now + 1, read),
  ]);
  return {
    generated_at: toRfc3339(now),
    total: monitors.length,
    counts,
    monitors: summariseList(page, hourCells, dayCells, now, q.days),
    next_cursor: end < keyed.length && page.length ? encodeCursor(keyOf(page.at(-1)!)) : null,
  };
}

/** One monitor's summary (as in the status list), reading only its own rollups. */
export async function loadMonitorSummary(db: D1Database, m: StoredMonitor, now: number) {
  const only = { id: m.spec.id, pack: m.pack };
  const packs = [...(await readPacks(db, [m.pack])).values()];
  const [hourly, daily] = await Promise.all([
    readRollups(db, "1h", floorTo(now, HOUR) - 23 * HOUR, now + 1, packs, only),
    readRollups(db, "1d", floorTo(now, DAY) - (DAYS - 1) * DAY, now + 1, packs, only),
  ]);
  return summarise([m], hourly, daily, now)[0]!;
}

/** Mean latency (ms, 2 decimals), checks and up results per bucket of `size`, the last `n` ending with the current one. */
export function latencySeries(hourly: Row[], size: number, n: number, now: number) {
  const first = floorTo(now, size) - (n - 1) * size;
  const sums = Array.from({ length: n }, () => ({ checks: 0, up: 0, sum: 0, count: 0 }));
  for (const r of hourly) {
    const i = Math.floor((r.start - first) / size);
    if (i < 0 || i >= n) continue;
    const s = sums[i]!;
    s.checks += r.checks;
    s.up += r.up;
    s.sum += r.latency_sum;
    s.count += r.latency_n;
  }
  return {
    from: toRfc3339(first),
    bucket_s: size / 1000,
    avg_latency_ms: sums.map((s) => (s.count ? Math.round((s.sum / s.count) * 100) / 100 : null)),
    checks: sums.map((s) => s.checks),
    up: sums.map((s) => s.up),
  };
}

/**
 * The target as a public page shows it, for a monitor marked `public_target`: an http target's origin
 * and path (no user, password, query or fragment, where credentials travel); other kinds' host[:port]
 * as it is. Never the http options (method, headers, body, keywords).
 */
export function publicTarget(spec: MonitorSpec): string | null {
  if (spec.kind !== "http") return spec.target;
  try {
    const u = new URL(spec.target);
    return `${u.origin}${u.pathname}`;
  } catch {
    return null; // validated at write time; a target that does not parse is not shown
  }
}

/**
 * One monitor for the monitor page, as `audience` may see it. A public view (PUBLIC_STATUS=true, no
 * token) carries no configuration: the target only when the monitor is marked `public_target` (and
 * then only its origin and path), each error as its kind's fixed phrase, and no agent ids. A signed-in
 * caller gets the target and the check's own words; a target's answer quoted in an error (the tcp
 * check's expect mismatch) only for editors and admins, apart and marked untrusted (api/redact.ts).
 */
export function monitorDetail(
  m: StoredMonitor,
  hourly: Row[],
  daily: Row[],
  checks: CheckResult[] | null,
  checksError: string | null,
  now: number,
  audience: Audience,
  lastPing: number | null = null,
) {
  const [summary] = summarise([m], hourly, daily, now);
  const publicView = audience === "public";
  // A job's own words (a heartbeat ping's body) are check-written text: shown to whoever may read errors as written.
  const jobWords = audience !== "public" && audience !== "status";
  return {
    generated_at: toRfc3339(now),
    monitor: {
      ...summary!,
      target: !publicView ? m.spec.target : m.spec.public_target ? publicTarget(m.spec) : null,
      last_error: errorView(m.state.last_error, audience, { monitorKind: m.spec.kind }),
      // A heartbeat has no target; its page says when the job last called in instead.
      ...(m.spec.kind === "heartbeat" ? { last_ping_at: toRfc3339(lastPing) } : {}),
    },
    latency: Object.fromEntries(Object.entries(SERIES).map(([name, s]) => [name, latencySeries(hourly, s.size, s.n, now)])),
    checks:
      checks?.map((r) => ({
        ts: toRfc3339(r.ts),
        ok: r.ok,
        latency_ms: r.latency_ms,
        location: r.location,
        error: errorView(r.error, audience, { monitorKind: r.tcp ? "tcp" : m.spec.kind, httpStatus: r.http?.status }),
        ...(r.heartbeat ? { event: r.heartbeat.event, message: jobWords ? r.heartbeat.message : null } : {}),
      })) ?? null,
    checks_error: checksError,
  };
}

/** Reads what monitorDetail needs. The point store failing leaves `checks` null and says why; the rest comes from D1. */
/**
 * Where a monitor's history starts: a monitor created again under an old id starts empty, so reads
 * begin at its creation, less the clock skew ingest allows agents (their first results may predate it).
 */
export const historyStart = (createdAt: number, skewMs: number) => createdAt - skewMs;

/** `skewMs`: the clock skew ingest allows (RESULT_MAX_AHEAD_S), for historyStart. */
export async function loadMonitorDetail(
  db: D1Database,
  store: PointStore,
  m: StoredMonitor,
  now: number,
  audience: Audience,
  skewMs: number,
) {
  const id = m.spec.id;
  const publicView = audience === "public";
  const only = { id, pack: m.pack };
  const packs = [...(await readPacks(db, [m.pack])).values()];
  const [hourly, daily, recent] = await Promise.all([
    readRollups(db, "1h", floorTo(now, 4 * HOUR) - (SERIES["30d"].n - 1) * 4 * HOUR, now + 1, packs, only),
    readRollups(db, "1d", floorTo(now, DAY) - (DAYS - 1) * DAY, now + 1, packs, only),
    store
      .checks({
        monitor: id,
        kind: m.spec.kind,
        from: Math.max(now - RECENT_CHECKS_WINDOW, historyStart(m.created_at, skewMs)),
        to: now + 1,
        limit: RECENT_CHECKS,
      })
      .then((checks) => ({ checks, error: null }))
      // The store's own message may name its URL, so a public page only learns that it failed.
      .catch((e: unknown) => ({
        checks: null,
        error: publicView
          ? "recent checks are unavailable: the point store cannot answer"
          : `recent checks are unavailable: ${e instanceof Error ? e.message : String(e)}`,
      })),
  ]);
  const lastPing = packs.find((p) => p.members.has(id))?.members.get(id)?.hb?.last ?? null;
  return monitorDetail(m, hourly, daily, recent.checks, recent.error, now, audience, lastPing);
}
