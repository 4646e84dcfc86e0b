// Maintenance windows: one-off bounds, weekly windows in a time zone (with DST and past midnight).
import { describe, expect, it } from "vitest";
import { MaintenanceWindow, activeAt, inMaintenance } from "./maintenance.ts";

const weekly = (extra: Record<string, unknown>) => MaintenanceWindow.parse({ id: "w", name: "w", kind: "weekly", ...extra });

describe("maintenance windows", () => {
  it("one-off: [starts_at, ends_at)", () => {
    const start = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const w = MaintenanceWindow.parse({
      id: "o",
      name: "o",
      kind: "once",
      starts_at: new Date(start).toISOString(),
      ends_at: new Date(start + 3_600_000).toISOString(),
    });
    expect(activeAt(w, start - 1000)).toBe(false);
    expect(activeAt(w, start)).toBe(true);
    expect(activeAt(w, start + 3_599_000)).toBe(true);
    expect(activeAt(w, start + 3_600_000)).toBe(false);
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
    const now = Date.now();
    const only = MaintenanceWindow.parse({ id: "a", name: "a", kind: "once", monitors: ["db"], starts_at: now, ends_at: now + 10 });
    expect(inMaintenance([only], "db", now + 5)).toBe(true);
    expect(inMaintenance([only], "web", now + 5)).toBe(false);
    const all = { ...only, monitors: [] };
    expect(inMaintenance([all], "web", now + 5)).toBe(true);
  });

  it("refuses one-off times outside a year back and five years ahead, and names that are not plain text", () => {
    const now = Date.now();
    const parse = (extra: Record<string, unknown>) =>
      MaintenanceWindow.safeParse({ id: "a", name: "a", kind: "once", starts_at: now, ends_at: now + 1000, ...extra });
    const paths = (extra: Record<string, unknown>) => {
      const r = parse(extra);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    };
    const past = paths({ ends_at: 8.64e15 + 1 });
    expect(past.length).toBeGreaterThan(0);
    expect(past.every((p) => p.startsWith("ends_at: "))).toBe(true);
    expect(paths({ ends_at: "9999-12-31T00:00:00Z" })).toEqual([expect.stringMatching(/^ends_at: must be between .* \(too far ahead\)$/)]);
    expect(paths({ starts_at: 0 })).toEqual([expect.stringMatching(/^starts_at: must be between .* \(too old\)$/)]);
    expect(paths({ name: "a\u202Eb" })).toEqual([
      expect.stringMatching(/^name: must not contain a bidirectional control character: U\+202E/),
    ]);
    expect(parse({}).success).toBe(true);
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
