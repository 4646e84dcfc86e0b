// clip: one cut for every message and chat field, never splitting a character.
import { describe, expect, it } from "vitest";
import { MAX_MESSAGE, clip } from "./text.ts";

/** No lone surrogate: in a `u` regex, only an unpaired surrogate is a code point of category Cs. */
const wellFormed = (s: string) => !/\p{Cs}/u.test(s);

describe("clip", () => {
  it("clips messages to the contract's 2000 characters", () => {
    expect(MAX_MESSAGE).toBe(2000);
    expect(clip("x".repeat(2000))).toHaveLength(2000);
    expect(clip("x".repeat(2001))).toBe(`${"x".repeat(1999)}…`);
  });

  it("takes a limit of its own, and leaves text within it alone", () => {
    expect(clip("hello", 5)).toBe("hello");
    expect(clip("hello!", 5)).toBe("hell…");
    expect(clip("", 1)).toBe("");
  });

  it("never leaves a lone surrogate at the cut: an emoji at the boundary is kept whole or dropped whole", () => {
    // "ab" + 🔴 (two UTF-16 units) + "cd": a cut to 4 keeps 3 units before "…", which would split the emoji.
    const s = "ab🔴cd";
    expect(clip(s, 4)).toBe("ab…");
    expect(clip(s, 5)).toBe("ab🔴…");
    expect(clip(s, 6)).toBe(s);
    for (let max = 1; max <= s.length; max++) {
      const out = clip(s, max);
      expect(out.length, String(max)).toBeLessThanOrEqual(max);
      expect(wellFormed(out), String(max)).toBe(true);
    }
  });

  it("keeps a long message of emoji well-formed and within the limit", () => {
    const out = clip("🔒".repeat(1500));
    expect(out.length).toBeLessThanOrEqual(MAX_MESSAGE);
    expect(wellFormed(out)).toBe(true);
    expect(out).toBe(`${"🔒".repeat(999)}…`);
  });
});
