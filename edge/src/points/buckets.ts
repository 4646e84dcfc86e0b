// Turns per-bucket sums from either store into an UptimeReport, listing every bucket that overlaps the window.
import type { UptimeBucket, UptimeQuery, UptimeReport } from "./store.ts";

export const BUCKET_MS = { "1h": 3_600_000, "1d": 86_400_000 } as const;

/** What a store sums per bucket (or once for the whole window): checks, successes, and latency of the successes that measured one. */
export type BucketSums = { start: number; checks: number; up: number; latencySum: number; latencyCount: number };

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

/** UTC-aligned bucket starts overlapping [from, to). */
export function bucketStarts(from: number, to: number, size: number): number[] {
  const out: number[] = [];
  for (let start = Math.floor(from / size) * size; start < to; start += size) out.push(start);
  return out;
}

/** Fills missing buckets with checks 0 / uptime null / avg null; the overall figures sum every bucket. */
export function assembleReport(q: UptimeQuery, sums: BucketSums[]): UptimeReport {
  const total = { checks: 0, up: 0, latencySum: 0, latencyCount: 0 };
  for (const s of sums) {
    total.checks += s.checks;
    total.up += s.up;
    total.latencySum += s.latencySum;
    total.latencyCount += s.latencyCount;
  }
  let buckets: UptimeBucket[] = [];
  if (q.bucket) {
    const size = BUCKET_MS[q.bucket];
    const byStart = new Map<number, BucketSums>();
    for (const s of sums) byStart.set(Math.floor(s.start / size) * size, s);
    buckets = bucketStarts(q.from, q.to, size).map((start) => {
      const s = byStart.get(start);
      return {
        start,
        checks: s?.checks ?? 0,
        up: s?.up ?? 0,
        uptime: s ? ratio(s.up, s.checks) : null,
        avg_latency_ms: s ? ratio(s.latencySum, s.latencyCount) : null,
      };
    });
  }
  return {
    checks: total.checks,
    up: total.up,
    uptime: ratio(total.up, total.checks),
    avg_latency_ms: ratio(total.latencySum, total.latencyCount),
    buckets,
  };
}
