// The latest result of each monitor per location (table latest_results), for /metrics.
import type { StoredResult } from "../points/store.ts";

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

const COLUMNS = ["monitor", "location", "ts", "up", "latency_ms", "error_kind", "tls_expires_at"] as const;

/**
 * Statements recording the batch's newest results; an older result than the stored one changes
 * nothing (agents deliver late), and a check that read no certificate keeps the last known expiry.
 * Commit them with the rollups (recordResults' `extra`), so both move together.
 */
export function upsertLatest(db: D1Database, results: StoredResult[]): D1PreparedStatement[] {
  const rows = latestOf(results);
  if (rows.length === 0) return [];
  return [
    db
      .prepare(
        `INSERT INTO latest_results (${COLUMNS.join(", ")})
         SELECT ${COLUMNS.map((_, i) => `json_extract(value, '$[${i}]')`).join(", ")} FROM json_each(?1) WHERE true
         ON CONFLICT (monitor, location) DO UPDATE SET ts = excluded.ts, up = excluded.up, latency_ms = excluded.latency_ms,
           error_kind = excluded.error_kind, tls_expires_at = COALESCE(excluded.tls_expires_at, latest_results.tls_expires_at)
         WHERE excluded.ts >= latest_results.ts`,
      )
      .bind(JSON.stringify(rows.map((r) => COLUMNS.map((c) => r[c])))),
  ];
}

/** Latest results of the monitors that still exist, by monitor and location. */
export async function readLatest(db: D1Database): Promise<LatestRow[]> {
  const r = await db
    .prepare(`SELECT l.* FROM latest_results l WHERE l.monitor IN (SELECT id FROM monitors) ORDER BY l.monitor, l.location`)
    .all<LatestRow>();
  return r.results;
}
