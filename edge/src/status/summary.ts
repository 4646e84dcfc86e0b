// The status summary: every monitor's state, uptime windows and 90 daily buckets, from rollups; and one
// monitor's detail (latency series, recent checks). Pure apart from the reads, so the arithmetic and
// what a public caller may see are tested on their own.
import { toRfc3339, type CheckResult, type MonitorSpec } from "../../../contract/index.ts";
import { errorView, type Audience } from "../api/redact.ts";
import type { StoredMonitor } from "../db/monitors.ts";
import type { PointStore } from "../points/store.ts";
import { readAllPacks, readPacks } from "../db/packs.ts";
import { readRollups } from "../db/rollups.ts";
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

export function summarise(monitors: StoredMonitor[], hourly: Row[], daily: Row[], now: number) {
  const hourlyBy = groupBy(hourly);
  const dailyBy = groupBy(daily);
  return monitors.map((m) => {
    const d = dailyBy.get(m.spec.id) ?? [];
    return {
      id: m.spec.id,
      name: m.spec.name,
      group: m.spec.group,
      kind: m.spec.kind,
      status: m.state.status,
      since: toRfc3339(m.state.since),
      last_check_at: toRfc3339(m.state.last_check_at),
      latency_ms: m.state.last_latency_ms,
      uptime: uptimeWindows(hourlyBy.get(m.spec.id) ?? [], d, now),
      days: dailyArrays(d, now),
    };
  });
}

export async function loadStatus(db: D1Database, monitors: StoredMonitor[], now: number) {
  const packs = await readAllPacks(db);
  const [hourly, daily] = await Promise.all([
    readRollups(db, "1h", floorTo(now, HOUR) - 23 * HOUR, now + 1, packs),
    readRollups(db, "1d", floorTo(now, DAY) - (DAYS - 1) * DAY, now + 1, packs),
  ]);
  return summarise(monitors, hourly, daily, now);
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
) {
  const [summary] = summarise([m], hourly, daily, now);
  const publicView = audience === "public";
  return {
    generated_at: toRfc3339(now),
    monitor: {
      ...summary!,
      target: !publicView ? m.spec.target : m.spec.public_target ? publicTarget(m.spec) : null,
      last_error: errorView(m.state.last_error, audience, { monitorKind: m.spec.kind }),
    },
    latency: Object.fromEntries(Object.entries(SERIES).map(([name, s]) => [name, latencySeries(hourly, s.size, s.n, now)])),
    checks:
      checks?.map((r) => ({
        ts: toRfc3339(r.ts),
        ok: r.ok,
        latency_ms: r.latency_ms,
        location: r.location,
        error: errorView(r.error, audience, { monitorKind: r.tcp ? "tcp" : m.spec.kind, httpStatus: r.http?.status }),
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
  return monitorDetail(m, hourly, daily, recent.checks, recent.error, now, audience);
}
