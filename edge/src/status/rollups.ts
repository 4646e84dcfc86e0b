// Hourly and daily uptime rollups: sizes, windows and window sums, pure (their storage is db/rollups.ts).
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
