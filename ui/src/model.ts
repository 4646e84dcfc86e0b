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

/** How the status page draws its monitors: a table row each, or a card each with every figure. */
export type View = "compact" | "cards";

/** More monitors than this and the status page starts in the compact view (until the visitor picks one). */
export const COMPACT_ABOVE = 20;

export function defaultView(total: number): View {
  return total > COMPACT_ABOVE ? "compact" : "cards";
}

/** "Problems first": what needs a look first; paused monitors are not checked, so they go last. */
const URGENCY: Record<Status, number> = { down: 0, pending: 1, maintenance: 2, up: 3, paused: 4 };

/**
 * Groups ordered by their most urgent monitor (ties keep their list order), and each group's monitors
 * by urgency (ties keep name order): every down monitor of the page comes before any that is up.
 */
export function problemsFirst(
  list: Array<{ name: string; monitors: MonitorSummary[] }>,
): Array<{ name: string; monitors: MonitorSummary[] }> {
  const byUrgency = (a: MonitorSummary, b: MonitorSummary) => URGENCY[a.status] - URGENCY[b.status];
  return list
    .map((g) => ({ name: g.name, monitors: [...g.monitors].sort(byUrgency) }))
    .map((g, i) => ({ g, i, worst: URGENCY[g.monitors[0]?.status ?? "paused"] }))
    .sort((a, b) => a.worst - b.worst || a.i - b.i)
    .map(({ g }) => g);
}

/** The filter box's words, lower-cased; a monitor matches when each appears in its name, group or id. */
export function filterTerms(text: string): string[] {
  return text.toLowerCase().split(/\s+/).filter(Boolean).slice(0, 20);
}

export function matches(m: MonitorSummary, terms: string[]): boolean {
  if (!terms.length) return true;
  const hay = `${m.name}\n${m.group ?? ""}\n${m.id}`.toLowerCase();
  return terms.every((t) => hay.includes(t));
}

/** What the filter's live region says: matches among the monitors loaded, and that more exist when not all are. */
export function filterSummary(matched: number, loaded: number, total: number): string {
  const scope = loaded < total ? `the ${loaded} loaded monitors (${total} in all)` : `${loaded} monitor${loaded === 1 ? "" : "s"}`;
  return `${matched === 0 ? "None" : matched} of ${scope} match${matched === 1 ? "es" : ""}.`;
}
