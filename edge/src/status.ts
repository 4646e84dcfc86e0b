// The status summary: every monitor's state, uptime windows and 90 daily buckets, from rollups. Pure
// apart from the two rollup reads, so its arithmetic is tested on its own.
import { toRfc3339 } from "../../contract/index.ts";
import type { StoredMonitor } from "./db/monitors.ts";
import { DAY, HOUR, figures, floorTo, readRollups } from "./rollups.ts";

type Row = { monitor: string; start: number; checks: number; up: number; latency_sum: number; latency_n: number };

/**
 * Windows, all ending now and made of whole UTC buckets including the current partial one:
 * `24h` = the last 24 hourly buckets; `7d`, `30d`, `90d` = the last 7, 30, 90 daily buckets.
 */
export const WINDOWS = { "24h": { size: HOUR, n: 24 }, "7d": { size: DAY, n: 7 }, "30d": { size: DAY, n: 30 }, "90d": { size: DAY, n: 90 } } as const;
export const DAYS = 90;

export function summarise(monitors: StoredMonitor[], hourly: Row[], daily: Row[], now: number) {
  const group = (rows: Row[]) => {
    const m = new Map<string, Row[]>();
    for (const r of rows) (m.get(r.monitor) ?? m.set(r.monitor, []).get(r.monitor)!).push(r);
    return m;
  };
  const hourlyBy = group(hourly);
  const dailyBy = group(daily);
  const today = floorTo(now, DAY);
  const thisHour = floorTo(now, HOUR);
  return monitors.map((m) => {
    const h = hourlyBy.get(m.spec.id) ?? [];
    const d = dailyBy.get(m.spec.id) ?? [];
    const uptime: Record<string, number | null> = {};
    for (const [name, w] of Object.entries(WINDOWS)) {
      const first = (w.size === HOUR ? thisHour : today) - (w.n - 1) * w.size;
      uptime[name] = figures((w.size === HOUR ? h : d).filter((r) => r.start >= first)).uptime;
    }
    const byDay = new Map(d.map((r) => [r.start, r]));
    const days = Array.from({ length: DAYS }, (_, i) => {
      const start = today - (DAYS - 1 - i) * DAY;
      const r = byDay.get(start);
      const f = figures(r ? [r] : []);
      return { date: toRfc3339(start)!.slice(0, 10), checks: f.checks, up: f.up, uptime: f.uptime, avg_latency_ms: f.avg_latency_ms };
    });
    return {
      id: m.spec.id,
      name: m.spec.name,
      group: m.spec.group,
      kind: m.spec.kind,
      status: m.state.status,
      since: toRfc3339(m.state.since),
      last_check_at: toRfc3339(m.state.last_check_at),
      latency_ms: m.state.last_latency_ms,
      uptime,
      days,
    };
  });
}

export async function loadStatus(db: D1Database, monitors: StoredMonitor[], now: number) {
  const [hourly, daily] = await Promise.all([
    readRollups(db, "1h", floorTo(now, HOUR) - 23 * HOUR, now + 1),
    readRollups(db, "1d", floorTo(now, DAY) - (DAYS - 1) * DAY, now + 1),
  ]);
  return summarise(monitors, hourly, daily, now);
}
