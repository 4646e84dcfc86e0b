import { describe, expect, it } from "vitest";
import { isDue, phaseOf } from "./slots.ts";

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 1);

/** The minutes of one day at which a monitor that ran at every due minute runs. */
function runs(id: string, every: number, minutes = 24 * 60, skip = new Set<number>()) {
  let ran: number | null = null;
  const out: number[] = [];
  for (let k = 0; k < minutes; k++) {
    if (skip.has(k)) continue;
    const minute = T0 + k * MINUTE;
    if (isDue(id, every, ran, minute)) {
      out.push(k);
      ran = minute;
    }
  }
  return out;
}

describe("slot scheduling", () => {
  it("runs a 60 s monitor at every tick", () => {
    expect(runs("a", 60, 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("runs a monitor first at once, then once per interval at its phase", () => {
    for (const every of [120, 300, 3600]) {
      const r = runs("web-1", every);
      expect(r[0]).toBe(0);
      const gaps = r.slice(2).map((k, i) => k - r[i + 1]!);
      expect(new Set(gaps)).toEqual(new Set([every / 60]));
      // The second run is the minute holding its slot: the phase lies within that minute.
      expect((((phaseOf("web-1", every) - r[1]! * 60) % every) + every) % every).toBeLessThan(60);
    }
  });

  it("spreads phases of different monitors", () => {
    const phases = new Set(Array.from({ length: 200 }, (_, i) => Math.floor(phaseOf(`m-${i}`, 300) / 60)));
    expect(phases.size).toBe(5);
  });

  it("catches up after a tick that never came, and never runs twice in a minute", () => {
    const normal = runs("x", 300);
    const missed = normal[3]!;
    const r = runs("x", 300, 24 * 60, new Set([missed]));
    expect(r).not.toContain(missed);
    // One interval and a minute after the last run: the next tick runs it.
    expect(r).toContain(missed + 1);
    const minute = T0 + 5 * MINUTE;
    expect(isDue("x", 60, minute, minute)).toBe(false);
    expect(isDue("x", 60, minute + MINUTE, minute)).toBe(false);
  });

  it("handles intervals that are not whole minutes", () => {
    const r = runs("odd", 90, 60);
    // 90 s slots fall in 2 of every 3 minutes.
    expect(r.length).toBeGreaterThanOrEqual(39);
    expect(r.length).toBeLessThanOrEqual(41);
  });
});
