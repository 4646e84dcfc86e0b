// D1 reads behind /metrics: uptime per monitor, location and window from rollups, and the point outbox.
import { METRICS_WINDOW as WINDOW_OF, UPTIME_WINDOWS, floorTo, type UptimeWindow } from "../status/rollups.ts";

export type WindowRow = { monitor: string; location: string; window: UptimeWindow; checks: number; up: number };

export async function readUptimeWindows(db: D1Database, now: number): Promise<WindowRow[]> {
  const sql = `SELECT monitor, location, SUM(checks) AS checks, SUM(up) AS up FROM rollups
    WHERE size = ?1 AND start >= ?2 AND start <= ?3 AND monitor IN (SELECT id FROM monitors)
    GROUP BY monitor, location ORDER BY monitor, location`;
  const stmts = UPTIME_WINDOWS.map((w) => {
    const { size, n } = WINDOW_OF[w];
    return db.prepare(sql).bind(size === 3_600_000 ? "1h" : "1d", floorTo(now, size) - (n - 1) * size, now);
  });
  const results = await db.batch<{ monitor: string; location: string; checks: number; up: number }>(stmts);
  return results.flatMap((r, i) => r.results.map((row) => ({ ...row, window: UPTIME_WINDOWS[i]! })));
}

export async function readOutbox(db: D1Database): Promise<{ depth: number; oldest_enqueued_at: number | null }> {
  const r = await db
    .prepare("SELECT COUNT(*) AS depth, MIN(enqueued_at) AS oldest FROM point_outbox")
    .first<{ depth: number; oldest: number | null }>();
  return { depth: r?.depth ?? 0, oldest_enqueued_at: r?.oldest ?? null };
}

/** A round trip to D1, for /readyz. */
export async function pingDb(db: D1Database): Promise<void> {
  await db.prepare("SELECT 1").first();
}
