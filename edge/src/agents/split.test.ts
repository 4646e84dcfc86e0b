// Replica split: exactly one owner per monitor, balanced, minimal movement when a replica leaves.
import { describe, expect, it } from "vitest";
import { ownerOf, split } from "./split.ts";

const monitors = Array.from({ length: 1000 }, (_, i) => `mon-${i}`);

describe("split", () => {
  it("gives each monitor to exactly one replica", () => {
    const s = split(monitors, ["a", "b", "c"]);
    const all = [...s.values()].flat();
    expect(all.sort()).toEqual([...monitors].sort());
  });
  it("is roughly balanced", () => {
    const s = split(monitors, ["dc1-a", "dc1-b", "dc1-c"]);
    for (const list of s.values()) expect(list.length).toBeGreaterThan(280), expect(list.length).toBeLessThan(390);
  });
  it("moves only the leaving replica's monitors", () => {
    const before = split(monitors, ["a", "b", "c"]);
    const after = split(monitors, ["a", "c"]);
    for (const m of before.get("a")!) expect(after.get("a")).toContain(m);
    for (const m of before.get("c")!) expect(after.get("c")).toContain(m);
    expect(after.get("a")!.length + after.get("c")!.length).toBe(1000);
  });
  it("is stable whatever the order of replicas", () => {
    for (const m of monitors.slice(0, 50)) expect(ownerOf(m, ["x", "y", "z"])).toBe(ownerOf(m, ["z", "x", "y"]));
  });
  it("has no owner without replicas", () => {
    expect(ownerOf("m", [])).toBeNull();
    expect(split(["m"], []).size).toBe(0);
  });
});
