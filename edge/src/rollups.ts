// Hourly and daily uptime rollups: pure aggregation of results, D1 upserts, and window sums.
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
export const SIZES = { "1h": HOUR, "1d": DAY } as const;
export type Size = keyof typeof SIZES;

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

export type WindowFigures = { checks: number; up: number; uptime: number | null; avg_latency_ms: number | null };

export function figures(rows: Array<{ checks: number; up: number; latency_sum: number; latency_n: number }>): WindowFigures {
  let checks = 0, up = 0, sum = 0, n = 0;
  for (const r of rows) {
    checks += r.checks;
    up += r.up;
    sum += r.latency_sum;
    n += r.latency_n;
  }
  return { checks, up, uptime: checks ? up / checks : null, avg_latency_ms: n ? sum / n : null };
}
