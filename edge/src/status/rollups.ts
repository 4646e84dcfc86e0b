// Hourly and daily uptime rollups: sizes, windows, window sums, and how results are counted into a
// pack's open hours and closed into rows; pure (their storage is db/rollups.ts).
import type { Cells, Counts, Pack } from "../db/packs.ts";
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
export const SIZES = { "1h": HOUR, "1d": DAY } as const;
export type Size = keyof typeof SIZES;

/** The uptime windows the status API reports, each a count of rollups of one size ending with the current one. */
export const WINDOWS = {
  "24h": { size: HOUR, n: 24 },
  "7d": { size: DAY, n: 7 },
  "30d": { size: DAY, n: 30 },
  "90d": { size: DAY, n: 90 },
} as const;
export type WindowName = keyof typeof WINDOWS;

/** The uptime windows /metrics exports; each is the status API's window of the same length (1d = its 24h), so the figures agree. */
export const UPTIME_WINDOWS = ["1d", "7d", "30d"] as const;
export type UptimeWindow = (typeof UPTIME_WINDOWS)[number];
export const METRICS_WINDOW: Record<UptimeWindow, (typeof WINDOWS)[WindowName]> = {
  "1d": WINDOWS["24h"],
  "7d": WINDOWS["7d"],
  "30d": WINDOWS["30d"],
};

export const floorTo = (ts: number, size: number) => Math.floor(ts / size) * size;

export type WindowFigures = { checks: number; up: number; uptime: number | null; avg_latency_ms: number | null };

export function figures(rows: Array<{ checks: number; up: number; latency_sum: number; latency_n: number }>): WindowFigures {
  let checks = 0,
    up = 0,
    sum = 0,
    n = 0;
  for (const r of rows) {
    checks += r.checks;
    up += r.up;
    sum += r.latency_sum;
    n += r.latency_n;
  }
  return { checks, up, uptime: checks ? up / checks : null, avg_latency_ms: n ? sum / n : null };
}

/** An hour stays open this long after it ends, so results pushed a little late still count in the pack. */
export const CLOSE_GRACE_MS = 5 * 60_000;

type Countable = { monitor: string; location: string; ts: number; ok: boolean; latency_ms: number | null };

export function addCounts(cells: Cells, monitor: string, location: string, c: Counts): void {
  const m = cells[monitor] ?? (cells[monitor] = {});
  const cur = m[location] ?? (m[location] = [0, 0, 0, 0]);
  for (let i = 0; i < 4; i++) cur[i]! += c[i]!;
}

const countsOf = (r: Countable): Counts => {
  const measured = r.ok && r.latency_ms !== null;
  return [1, r.ok ? 1 : 0, measured ? r.latency_ms! : 0, measured ? 1 : 0];
};

export function mergeCells(into: Cells, from: Cells): Cells {
  for (const [monitor, locs] of Object.entries(from)) for (const [loc, c] of Object.entries(locs)) addCounts(into, monitor, loc, c);
  return into;
}

/** Adds `cells` of an hour to the deltas of its hourly and daily rows. */
function addHour(deltas: Map<string, Cells>, hour: number, cells: Cells): void {
  for (const key of [`1h:${hour}`, `1d:${floorTo(hour, DAY)}`]) mergeCells(deltas.get(key) ?? deltas.set(key, {}).get(key)!, cells);
}

/**
 * Counts `results` into the pack: into its open hours, or, for an hour closed already, into the
 * deltas for its stored rows; then closes the open hours that ended more than CLOSE_GRACE_MS before
 * `now`, moving them into the deltas. Returns the deltas by "<size>:<start>". Mutates `pack`.
 */
export function foldIntoPack(pack: Pack, results: Countable[], now: number): Map<string, Cells> {
  const deltas = new Map<string, Cells>();
  for (const r of results) {
    const hour = floorTo(r.ts, HOUR);
    const cells: Cells = {};
    addCounts(cells, r.monitor, r.location, countsOf(r));
    if (hour < pack.closedTo) addHour(deltas, hour, cells);
    else mergeCells(pack.hours[hour] ?? (pack.hours[hour] = {}), cells);
  }
  for (const [start, cells] of Object.entries(pack.hours)) {
    const hour = Number(start);
    if (hour + HOUR + CLOSE_GRACE_MS > now) continue;
    addHour(deltas, hour, cells);
    delete pack.hours[hour];
    pack.closedTo = Math.max(pack.closedTo, hour + HOUR);
  }
  return deltas;
}

type CellLike = { monitor: string; start: number; counts: Counts };

export type RollupSums = { monitor: string; start: number; checks: number; up: number; latency_sum: number; latency_n: number };

/** Rollups of one size with `from <= start < to`, summed over locations, per monitor and start, ordered. */
export function sumByStart(cells: CellLike[]): RollupSums[] {
  const map = new Map<string, RollupSums>();
  for (const c of cells) {
    const key = `${c.monitor}\u0000${c.start}`;
    const row =
      map.get(key) ?? map.set(key, { monitor: c.monitor, start: c.start, checks: 0, up: 0, latency_sum: 0, latency_n: 0 }).get(key)!;
    row.checks += c.counts[0];
    row.up += c.counts[1];
    row.latency_sum += c.counts[2];
    row.latency_n += c.counts[3];
  }
  return [...map.values()].sort((a, b) => (a.monitor === b.monitor ? a.start - b.start : a.monitor < b.monitor ? -1 : 1));
}
