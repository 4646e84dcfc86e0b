// Hourly and daily uptime rollups: pure aggregation of results and window sums (their SQL is in db/rollups.ts).
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

export type RollupRow = {
  monitor: string;
  size: Size;
  start: number;
  location: string;
  checks: number;
  up: number;
  latency_sum: number;
  latency_n: number;
};

type Countable = { monitor: string; location: string; ts: number; ok: boolean; latency_ms: number | null };

export const floorTo = (ts: number, size: number) => Math.floor(ts / size) * size;

/** Sums results into one delta per (monitor, size, start, location). Pure. */
export function rollupDeltas(results: Countable[]): RollupRow[] {
  const map = new Map<string, RollupRow>();
  for (const r of results) {
    for (const size of Object.keys(SIZES) as Size[]) {
      const start = floorTo(r.ts, SIZES[size]);
      const key = `${r.monitor}\u0000${size}\u0000${start}\u0000${r.location}`;
      let row = map.get(key);
      if (!row) {
        row = { monitor: r.monitor, size, start, location: r.location, checks: 0, up: 0, latency_sum: 0, latency_n: 0 };
        map.set(key, row);
      }
      row.checks += 1;
      if (r.ok) {
        row.up += 1;
        if (r.latency_ms !== null) {
          row.latency_sum += r.latency_ms;
          row.latency_n += 1;
        }
      }
    }
  }
  return [...map.values()];
}

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
