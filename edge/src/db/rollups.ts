// The hourly and daily rollups table: upserts of deltas and window reads.
import type { RollupRow, Size } from "../status/rollups.ts";

const ROWS_PER_STATEMENT = 12; // 8 parameters a row; D1 allows 100 per statement

/** Statements adding the deltas to the stored rollups. */
export function upsertRollups(db: D1Database, deltas: RollupRow[]): D1PreparedStatement[] {
  const out: D1PreparedStatement[] = [];
  for (let i = 0; i < deltas.length; i += ROWS_PER_STATEMENT) {
    const chunk = deltas.slice(i, i + ROWS_PER_STATEMENT);
    out.push(
      db
        .prepare(
          `INSERT INTO rollups (monitor, size, start, location, checks, up, latency_sum, latency_n) VALUES ${chunk.map(() => "(?,?,?,?,?,?,?,?)").join(",")}
           ON CONFLICT (monitor, size, start, location) DO UPDATE SET checks = checks + excluded.checks, up = up + excluded.up,
             latency_sum = latency_sum + excluded.latency_sum, latency_n = latency_n + excluded.latency_n`,
        )
        .bind(...chunk.flatMap((d) => [d.monitor, d.size, d.start, d.location, d.checks, d.up, d.latency_sum, d.latency_n])),
    );
  }
  return out;
}

/** Rollups of one size with `from <= start < to`, summed over locations, per monitor. */
export async function readRollups(db: D1Database, size: Size, from: number, to: number, monitor?: string) {
  const sql = `SELECT monitor, start, SUM(checks) AS checks, SUM(up) AS up, SUM(latency_sum) AS latency_sum, SUM(latency_n) AS latency_n
    FROM rollups WHERE size = ?1 AND start >= ?2 AND start < ?3 ${monitor ? "AND monitor = ?4" : ""}
    GROUP BY monitor, start ORDER BY monitor, start`;
  const stmt = monitor ? db.prepare(sql).bind(size, from, to, monitor) : db.prepare(sql).bind(size, from, to);
  return (await stmt.all<Omit<RollupRow, "size" | "location">>()).results;
}
