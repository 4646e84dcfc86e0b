// The UI's pure parts: figures, day levels and texts, the banner, grouping, the status page's view,
// filter and "problems first", and the chart's geometry.
import { describe, expect, it } from "vitest";
import { chartModel, niceCeil } from "./chart.ts";
import { ago, dayLevel, dayText, duration, ms, pct } from "./format.ts";
import { countsText, defaultView, filterSummary, filterTerms, groups, matches, overall, problemsFirst } from "./model.ts";
import type { MonitorSummary, Status } from "./types.ts";

describe("figures", () => {
  it("never round uptime up, and say 'no data' for none", () => {
    expect([pct(1), pct(0.99996), pct(0.5), pct(0), pct(null)]).toEqual(["100%", "99.99%", "50.00%", "0.00%", "no data"]);
  });
  it("format latency and durations", () => {
    expect([ms(null), ms(3.14159), ms(250.4), ms(1234)]).toEqual(["—", "3.1 ms", "250 ms", "1.23 s"]);
    expect([duration(4_000), duration(14 * 60_000), duration(3 * 3_600_000 + 5 * 60_000), duration(50 * 3_600_000)]).toEqual([
      "4 s",
      "14 min",
      "3 h 5 min",
      "2 d 2 h",
    ]);
    expect(ago("2026-01-01T00:00:00.000Z", Date.parse("2026-01-01T00:02:00.000Z"))).toBe("2 min ago");
    expect(ago(null, 0)).toBe("never");
  });
});

describe("days", () => {
  const days = { from: "2026-01-01", checks: [0, 1440, 1440, 100, 100], up: [0, 1440, 1430, 96, 50] };
  it("draw a day without checks as 'none', never as up", () => {
    expect(days.checks.map((c, i) => dayLevel(c, days.up[i]!))).toEqual(["none", "ok", "minor", "major", "bad"]);
  });
  it("say what each day was, in UTC dates", () => {
    expect(dayText(days, 0)).toBe("2026-01-01: no data (no checks)");
    expect(dayText(days, 2)).toBe("2026-01-03: 99.30% up, 1430 of 1440 checks passed");
  });
});

const mon = (id: string, status: Status, group: string | null = null): MonitorSummary => ({
  id,
  name: id.toUpperCase(),
  group,
  kind: "http",
  status,
  since: null,
  last_check_at: null,
  latency_ms: null,
  uptime: { "24h": null, "7d": null, "30d": null, "90d": null },
  days: { from: "2026-01-01", checks: [], up: [] },
});

describe("banner", () => {
  it("is up only when every checked monitor is up; paused ones do not count", () => {
    expect(overall([mon("a", "up"), mon("b", "paused")])).toMatchObject({ level: "up", title: "All systems operational" });
    expect(overall([mon("a", "up"), mon("b", "down")])).toMatchObject({ level: "degraded", title: "1 of 2 monitors down" });
    expect(overall([mon("a", "up"), mon("b", "pending")])).toMatchObject({ level: "degraded", title: "1 monitor not confirmed up yet" });
    expect(overall([mon("a", "down"), mon("b", "down"), mon("c", "maintenance")])).toMatchObject({
      level: "down",
      title: "All 2 monitors down",
    });
    expect(overall([])).toMatchObject({ level: "none", title: "No monitors yet" });
    expect(countsText(overall([mon("a", "up"), mon("b", "down"), mon("c", "maintenance")]).counts)).toBe(
      "1 up · 1 down · 1 in maintenance",
    );
  });
  it("groups by name, the ungrouped last as Other", () => {
    const g = groups([mon("z", "up", "Web"), mon("a", "up"), mon("b", "up", "DB"), mon("c", "up", "Web")]);
    expect(g.map((x) => [x.name, x.monitors.map((m) => m.id)])).toEqual([
      ["DB", ["b"]],
      ["Web", ["c", "z"]],
      ["Other", ["a"]],
    ]);
  });
});

describe("status page controls", () => {
  it("starts in the compact view above 20 monitors", () => {
    expect([defaultView(0), defaultView(20), defaultView(21), defaultView(1000)]).toEqual(["cards", "cards", "compact", "compact"]);
  });
  it("match every word of the filter in the name, group or id, in any case", () => {
    const m = { ...mon("db-primary", "down", "Databases"), name: "Primary database" };
    expect(filterTerms("  Primary   DB ")).toEqual(["primary", "db"]);
    for (const q of ["", "primary", "DATABASES", "db-prim", "data prim"]) expect(matches(m, filterTerms(q)), q).toBe(true);
    for (const q of ["replica", "primary replica"]) expect(matches(m, filterTerms(q)), q).toBe(false);
    // The words are matched as text, never as a pattern.
    expect(matches(m, filterTerms(".*"))).toBe(false);
  });
  it("say how many match, and that only the loaded monitors were searched when there are more", () => {
    expect(filterSummary(2, 100, 100)).toBe("2 of 100 monitors match.");
    expect(filterSummary(1, 1, 1)).toBe("1 of 1 monitor matches.");
    expect(filterSummary(0, 100, 1000)).toBe("None of the 100 loaded monitors (1000 in all) match.");
  });
  it("put problems first: groups by their most urgent monitor, then monitors by urgency, ties in list order", () => {
    const g = groups([
      mon("a", "up", "A"),
      mon("b", "paused", "A"),
      mon("c", "up", "B"),
      mon("d", "maintenance", "B"),
      mon("e", "pending", "B"),
      mon("f", "up", "C"),
      mon("g", "down", "C"),
      mon("h", "up", "D"),
    ]);
    expect(problemsFirst(g).map((x) => [x.name, x.monitors.map((m) => `${m.id}:${m.status}`)])).toEqual([
      ["C", ["g:down", "f:up"]],
      ["B", ["e:pending", "d:maintenance", "c:up"]],
      ["A", ["a:up", "b:paused"]],
      ["D", ["h:up"]],
    ]);
    // The list it was given is left as it was.
    expect(g[2]!.monitors.map((m) => m.id)).toEqual(["f", "g"]);
  });
});

describe("chart model", () => {
  const series = {
    from: "2026-01-01T00:00:00.000Z",
    bucket_s: 3600,
    avg_latency_ms: [10, 20, null, 30, null, null, 40],
    checks: [60, 60, 0, 60, 60, 0, 60],
    up: [60, 59, 0, 60, 0, 0, 60],
  };
  it("plots one point per bucket with a latency and breaks the line at gaps", () => {
    const m = chartModel(series, 720, 240);
    expect(m.points.map((p) => p.i)).toEqual([0, 1, 3, 6]);
    expect(m.segments).toHaveLength(3);
    expect(m.segments[0]).toMatch(/^M[\d.]+ [\d.]+ L[\d.]+ [\d.]+$/);
    expect(m.points[1]).toMatchObject({ value: 20, checks: 60, up: 59, start: Date.parse("2026-01-01T01:00:00.000Z") });
  });
  it("has round y ticks from 0 above the highest value, and x ticks at the ends", () => {
    const m = chartModel(series, 720, 240);
    expect(m.yTicks.map((t) => t.value)).toEqual([0, 20, 40, 60, 80]);
    expect(m.yTicks[0]!.y).toBe(m.plot.bottom);
    expect(m.xTicks.map((t) => t.start)).toEqual([0, 2, 3, 5, 6].map((i) => Date.parse("2026-01-01T00:00:00.000Z") + i * 3_600_000));
    expect(m.points.every((p) => p.y >= m.plot.top && p.y <= m.plot.bottom && p.x > m.plot.left && p.x < m.plot.right)).toBe(true);
  });
  it("rounds steps to 1, 2 or 5 × 10^k", () => {
    expect([niceCeil(0.3), niceCeil(3), niceCeil(11), niceCeil(41), niceCeil(700)]).toEqual([0.5, 5, 20, 50, 1000]);
  });
});
