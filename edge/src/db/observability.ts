// D1 reads behind /metrics: uptime per monitor, location and window from rollups, and the point outbox.
import { HOUR, METRICS_WINDOW as WINDOW_OF, UPTIME_WINDOWS, floorTo, type UptimeWindow } from "../status/rollups.ts";
import { readAllPacks } from "./packs.ts";
import { readCells } from "./rollups.ts";

export type WindowRow = { monitor: string; location: string; window: UptimeWindow; checks: number; up: number };

/** Checks and up results per monitor, location and /metrics window, from the rollups (monitors that still exist). */
export async function readUptimeWindows(db: D1Database, now: number): Promise<WindowRow[]> {
  const [packs, ids] = await Promise.all([readAllPacks(db), db.prepare("SELECT id FROM monitors").all<{ id: string }>()]);
  const exists = new Set(ids.results.map((r) => r.id));
  const out: WindowRow[] = [];
  for (const w of UPTIME_WINDOWS) {
    const { size, n } = WINDOW_OF[w];
    const cells = await readCells(db, size === HOUR ? "1h" : "1d", floorTo(now, size) - (n - 1) * size, now + 1, packs);
    const sums = new Map<string, WindowRow>();
    for (const c of cells) {
      if (!exists.has(c.monitor)) continue;
      const key = `${c.monitor}\u0000${c.location}`;
      const row = sums.get(key) ?? sums.set(key, { monitor: c.monitor, location: c.location, window: w, checks: 0, up: 0 }).get(key)!;
      row.checks += c.counts[0];
      row.up += c.counts[1];
    }
    out.push(
      ...[...sums.values()].sort((a, b) => (a.monitor === b.monitor ? (a.location < b.location ? -1 : 1) : a.monitor < b.monitor ? -1 : 1)),
    );
  }
  return out;
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
