// Batch planning and due-time arithmetic.
import { describe, expect, it } from "vitest";
import { checkCost, nextDueAt, planBatches } from "./plan.ts";

const items = (costs: number[]) => costs.map((cost, i) => ({ id: `m${i}`, cost }));
const sums = (batches: { cost: number }[][]) => batches.map((b) => b.reduce((s, x) => s + x.cost, 0));

describe("planBatches", () => {
  it("keeps every batch within budget minus reserve and keeps every check", () => {
    const input = items(Array.from({ length: 1000 }, (_, i) => (i % 7 === 0 ? 3 : 1)));
    const batches = planBatches(input, 50, 2);
    for (const s of sums(batches)) expect(s).toBeLessThanOrEqual(48);
    expect(batches.flat().map((x) => x.id)).toEqual(input.map((x) => x.id));
  });
  it("one batch when everything fits", () => {
    expect(planBatches(items([1, 1, 1]), 50, 2)).toHaveLength(1);
    expect(planBatches([], 50, 2)).toEqual([]);
  });
  it("48 single-cost checks fit 50 with 2 reserved; the 49th starts a new batch", () => {
    expect(sums(planBatches(items(Array(49).fill(1)), 50, 2))).toEqual([48, 1]);
  });
  it("an oversized check gets a batch of its own", () => {
    expect(sums(planBatches(items([1, 11, 1]), 10, 2))).toEqual([1, 11, 1]);
  });
  it("check cost counts redirect hops, capped at 10", () => {
    expect(checkCost(0)).toBe(1);
    expect(checkCost(3)).toBe(4);
    expect(checkCost(99)).toBe(11);
  });
});

describe("nextDueAt", () => {
  const minute = Date.UTC(2026, 0, 1, 12, 0, 0);
  it("is one interval after the tick's scheduled minute", () => {
    expect(nextDueAt(minute, 60)).toBe(minute + 60_000);
    expect(nextDueAt(minute + 999, 300)).toBe(minute + 300_000);
  });
  it("a late tick still lands on the next minute slot, so the next tick runs it once", () => {
    // The 12:00 tick fires 40 s late; the 12:01 tick must find the monitor due, not skip it.
    expect(nextDueAt(minute, 60)).toBeLessThanOrEqual(minute + 60_000);
  });
});
