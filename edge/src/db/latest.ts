// The latest result of each monitor per location (kept in its state pack), for /metrics.
import type { StoredResult } from "../points/store.ts";
import { readAllPacks } from "./packs.ts";

export type LatestRow = {
  monitor: string;
  location: string;
  ts: number;
  up: 0 | 1;
  latency_ms: number | null;
  error_kind: string | null;
  tls_expires_at: number | null;
};

/** The newest result of each (monitor, location) among `results`. Pure. */
export function latestOf(results: StoredResult[]): LatestRow[] {
  const out = new Map<string, LatestRow>();
  for (const r of results) {
    const key = `${r.monitor}\u0000${r.location}`;
    const seen = out.get(key);
    if (seen && seen.ts > r.ts) continue;
    out.set(key, {
      monitor: r.monitor,
      location: r.location,
      ts: r.ts,
      up: r.ok ? 1 : 0,
      latency_ms: r.latency_ms,
      error_kind: r.error?.kind ?? null,
      tls_expires_at: r.tls?.expires_at ?? null,
    });
  }
  return [...out.values()];
}

/** Latest results of every monitor, by monitor and location, from the state packs. */
export async function readLatest(db: D1Database): Promise<LatestRow[]> {
  const out: LatestRow[] = [];
  for (const pack of await readAllPacks(db))
    for (const [monitor, m] of pack.members) for (const [location, l] of Object.entries(m.latest)) out.push({ monitor, location, ...l });
  return out.sort((a, b) => (a.monitor === b.monitor ? (a.location < b.location ? -1 : 1) : a.monitor < b.monitor ? -1 : 1));
}
