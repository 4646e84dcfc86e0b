// Pure decisions of the status page: the overall banner and the grouping of monitors.
import type { MonitorSummary, Status } from "./types.ts";

export type Overall = { level: "up" | "degraded" | "down" | "none"; title: string; counts: Record<Status, number>; total: number };

/**
 * Down when every monitor that is being checked (not paused, not in maintenance) is down; degraded
 * when some are down or still pending; up when all of them are up.
 */
export function overall(monitors: MonitorSummary[]): Overall {
  const counts: Record<Status, number> = { up: 0, down: 0, pending: 0, paused: 0, maintenance: 0 };
  for (const m of monitors) counts[m.status] += 1;
  return overallOf(counts);
}

/** The same from counts by status (what GET /api/v1/status says of every monitor, not only the page's). */
export function overallOf(counts: Record<Status, number>): Overall {
  const active = counts.up + counts.down + counts.pending;
  const total = counts.up + counts.down + counts.pending + counts.paused + counts.maintenance;
  if (active === 0) return { level: "none", title: total ? "No monitor is being checked" : "No monitors yet", counts, total };
  if (counts.down === active) return { level: "down", title: active === 1 ? "Down" : `All ${active} monitors down`, counts, total };
  if (counts.down > 0)
    return { level: "degraded", title: `${counts.down} of ${active} monitor${active === 1 ? "" : "s"} down`, counts, total };
  if (counts.pending > 0)
    return { level: "degraded", title: `${counts.pending} monitor${counts.pending === 1 ? "" : "s"} not confirmed up yet`, counts, total };
  return { level: "up", title: "All systems operational", counts, total };
}

/** "12 up · 1 down · 2 paused": every non-zero count, in a fixed order. */
export function countsText(counts: Record<Status, number>): string {
  return (["up", "down", "pending", "maintenance", "paused"] as const)
    .filter((s) => counts[s] > 0)
    .map((s) => `${counts[s]} ${s === "maintenance" ? "in maintenance" : s}`)
    .join(" · ");
}

/** Groups in name order, monitors without a group last under "Other"; monitors by name within a group. */
export function groups(monitors: MonitorSummary[]): Array<{ name: string; monitors: MonitorSummary[] }> {
  const by = new Map<string, MonitorSummary[]>();
  for (const m of monitors) {
    const g = m.group ?? "";
    (by.get(g) ?? by.set(g, []).get(g)!).push(m);
  }
  return [...by.entries()]
    .sort(([a], [b]) => (a === "" ? 1 : b === "" ? -1 : a.localeCompare(b)))
    .map(([name, list]) => ({
      name: name || "Other",
      monitors: list.sort((x, y) => x.name.localeCompare(y.name) || x.id.localeCompare(y.id)),
    }));
}
