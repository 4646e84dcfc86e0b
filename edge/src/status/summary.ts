// The status summary: every monitor's state, uptime windows and 90 daily buckets, from rollups; and one
// monitor's detail (latency series, recent checks). Pure apart from the reads, so the arithmetic and
// what a public caller may see are tested on their own.
import { toRfc3339, type CheckError, type CheckResult, type MonitorSpec } from "../../../contract/index.ts";
import type { StoredMonitor } from "../db/monitors.ts";
import type { PointStore } from "../points/store.ts";
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
  const [hourly, daily] = await Promise.all([
    readRollups(db, "1h", floorTo(now, HOUR) - 23 * HOUR, now + 1),
    readRollups(db, "1d", floorTo(now, DAY) - (DAYS - 1) * DAY, now + 1),
  ]);
  return summarise(monitors, hourly, daily, now);
}

/** One monitor's summary (as in the status list), reading only its own rollups. */
export async function loadMonitorSummary(db: D1Database, m: StoredMonitor, now: number) {
  const [hourly, daily] = await Promise.all([
    readRollups(db, "1h", floorTo(now, HOUR) - 23 * HOUR, now + 1, m.spec.id),
    readRollups(db, "1d", floorTo(now, DAY) - (DAYS - 1) * DAY, now + 1, m.spec.id),
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

/** Everything in a monitor's configuration that may name a private host or carry a secret. */
function secretsOf(spec: MonitorSpec): string[] {
  const out = [spec.target];
  try {
    if (spec.kind === "http") out.push(new URL(spec.target).host, new URL(spec.target).hostname);
  } catch {
    /* validated at write time; nothing more to hide */
  }
  const hp = /^\[?([^\]]+?)\]?:(\d+)$/.exec(spec.target);
  if (hp) out.push(hp[1]!);
  if (spec.kind === "http") {
    out.push(...Object.values(spec.http.headers));
    if (spec.http.body) out.push(spec.http.body);
    if (spec.http.keyword) out.push(spec.http.keyword);
    if (spec.http.keyword_absent) out.push(spec.http.keyword_absent);
  }
  if (spec.kind === "tcp") for (const s of [spec.tcp.send, spec.tcp.expect]) if (s) out.push(s);
  if (spec.kind === "tls" && spec.tls.server_name) out.push(spec.tls.server_name);
  // Longest first, so a URL is hidden whole rather than leaving its path behind its hidden host.
  return [...new Set(out.map((s) => s.trim()).filter((s) => s.length >= 3))].sort((a, b) => b.length - a.length);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * An error message fit for a public page: the monitor's target, headers, body, keywords and any
 * URL or IP address are replaced, since agents' messages name the hosts and addresses they tried.
 */
export function publicMessage(message: string, spec: MonitorSpec): string {
  let out = message;
  for (const s of secretsOf(spec)) out = out.replace(new RegExp(escapeRegExp(s), "gi"), "[hidden]");
  return out
    .replace(/\bhttps?:\/\/[^\s"'<>]+/gi, "[hidden]")
    .replace(/\[[0-9a-f:.]*:[0-9a-f:.]*\](:\d+)?/gi, "[hidden]")
    .replace(/\b(?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{0,4}\b/gi, "[hidden]")
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, "[hidden]");
}

function viewError(error: CheckError | null, spec: MonitorSpec, publicView: boolean): CheckError | null {
  if (!error) return null;
  return publicView && !spec.public_target ? { kind: error.kind, message: publicMessage(error.message, spec) } : error;
}

/**
 * One monitor for the monitor page. A public view (PUBLIC_STATUS=true) carries no configuration:
 * the target only when the monitor is marked `public_target`, error messages scrubbed of hosts,
 * addresses and secrets, and no agent ids; a viewer's view has the target and the messages as they are.
 */
export function monitorDetail(
  m: StoredMonitor,
  hourly: Row[],
  daily: Row[],
  checks: CheckResult[] | null,
  checksError: string | null,
  now: number,
  publicView: boolean,
) {
  const [summary] = summarise([m], hourly, daily, now);
  return {
    generated_at: toRfc3339(now),
    monitor: {
      ...summary!,
      target: publicView && !m.spec.public_target ? null : m.spec.target,
      last_error: viewError(m.state.last_error, m.spec, publicView),
    },
    latency: Object.fromEntries(Object.entries(SERIES).map(([name, s]) => [name, latencySeries(hourly, s.size, s.n, now)])),
    checks:
      checks?.map((r) => ({
        ts: toRfc3339(r.ts),
        ok: r.ok,
        latency_ms: r.latency_ms,
        location: r.location,
        error: viewError(r.error, m.spec, publicView),
      })) ?? null,
    checks_error: checksError,
  };
}

/** Reads what monitorDetail needs. The point store failing leaves `checks` null and says why; the rest comes from D1. */
export async function loadMonitorDetail(db: D1Database, store: PointStore, m: StoredMonitor, now: number, publicView: boolean) {
  const id = m.spec.id;
  const [hourly, daily, recent] = await Promise.all([
    readRollups(db, "1h", floorTo(now, 4 * HOUR) - (SERIES["30d"].n - 1) * 4 * HOUR, now + 1, id),
    readRollups(db, "1d", floorTo(now, DAY) - (DAYS - 1) * DAY, now + 1, id),
    store
      .checks({ monitor: id, kind: m.spec.kind, from: now - RECENT_CHECKS_WINDOW, to: now + 1, limit: RECENT_CHECKS })
      .then((checks) => ({ checks, error: null }))
      // The store's own message may name its URL, so a public page only learns that it failed.
      .catch((e: unknown) => ({
        checks: null,
        error: publicView
          ? "recent checks are unavailable: the point store cannot answer"
          : `recent checks are unavailable: ${e instanceof Error ? e.message : String(e)}`,
      })),
  ]);
  return monitorDetail(m, hourly, daily, recent.checks, recent.error, now, publicView);
}
