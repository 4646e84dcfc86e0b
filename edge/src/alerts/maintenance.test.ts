// Maintenance windows: one-off bounds, weekly windows in a time zone (with DST and past midnight).
import { describe, expect, it } from "vitest";
import { MaintenanceWindow, activeAt, inMaintenance } from "./maintenance.ts";

const weekly = (extra: Record<string, unknown>) => MaintenanceWindow.parse({ id: "w", name: "w", kind: "weekly", ...extra });

describe("maintenance windows", () => {
  it("one-off: [starts_at, ends_at)", () => {
    const w = MaintenanceWindow.parse({
      id: "o",
      name: "o",
      kind: "once",
      starts_at: "2026-11-27T10:00:00Z",
      ends_at: "2026-11-27T11:00:00Z",
    });
    expect(activeAt(w, Date.parse("2026-11-27T09:59:59Z"))).toBe(false);
    expect(activeAt(w, Date.parse("2026-11-27T10:00:00Z"))).toBe(true);
    expect(activeAt(w, Date.parse("2026-11-27T10:59:59Z"))).toBe(true);
    expect(activeAt(w, Date.parse("2026-11-27T11:00:00Z"))).toBe(false);
  });

  it("weekly in a time zone, following its daylight saving time", () => {
    const w = weekly({ days: ["sat"], start: "02:00", duration_min: 120, time_zone: "Europe/Berlin" });
    // Saturday 2026-07-04, CEST (UTC+2): 02:00-04:00 local = 00:00-02:00 UTC.
    expect(activeAt(w, Date.parse("2026-07-04T00:30:00Z"))).toBe(true);
    expect(activeAt(w, Date.parse("2026-07-04T02:00:00Z"))).toBe(false);
    // Saturday 2026-12-05, CET (UTC+1): 02:00-04:00 local = 01:00-03:00 UTC.
    expect(activeAt(w, Date.parse("2026-12-05T00:30:00Z"))).toBe(false);
    expect(activeAt(w, Date.parse("2026-12-05T02:30:00Z"))).toBe(true);
    // Not on Sunday.
    expect(activeAt(w, Date.parse("2026-12-06T02:30:00Z"))).toBe(false);
  });

  it("weekly windows that run past midnight", () => {
    const w = weekly({ days: ["fri"], start: "23:00", duration_min: 180 });
    expect(activeAt(w, Date.parse("2026-11-27T23:30:00Z"))).toBe(true); // Friday
    expect(activeAt(w, Date.parse("2026-11-28T01:59:00Z"))).toBe(true); // Saturday morning
    expect(activeAt(w, Date.parse("2026-11-28T02:00:00Z"))).toBe(false);
  });

  it("applies to its monitors only, or to every monitor when it lists none", () => {
    const only = MaintenanceWindow.parse({ id: "a", name: "a", kind: "once", monitors: ["db"], starts_at: 0, ends_at: 10 });
    expect(inMaintenance([only], "db", 5)).toBe(true);
    expect(inMaintenance([only], "web", 5)).toBe(false);
    const all = { ...only, monitors: [] };
    expect(inMaintenance([all], "web", 5)).toBe(true);
  });

  it("rejects bad windows by path", () => {
    const r = MaintenanceWindow.safeParse({
      id: "b",
      name: "b",
      kind: "weekly",
      days: ["funday"],
      start: "25:00",
      duration_min: 0,
      time_zone: "Mars/Olympus",
    });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join("."));
    for (const p of ["days.0", "start", "duration_min", "time_zone"]) expect(paths).toContain(p);
  });
});
