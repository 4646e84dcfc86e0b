// Result ids (ULIDs): the same maker on the edge and in the agent.
import { describe, expect, it } from "vitest";
import { newResultId, ulidFactory } from "./ids.ts";

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** The time a ULID encodes (its first 10 base32 digits). */
const timeOf = (id: string) => [...id.slice(0, 10)].reduce((t, c) => t * 32 + ALPHABET.indexOf(c), 0);

describe("ulidFactory", () => {
  it("makes 26 Crockford base32 digits whose first 10 are the time", () => {
    const make = ulidFactory();
    const ts = Date.parse("2026-11-27T10:00:00.123Z");
    const id = make(ts);
    expect(id).toMatch(ULID);
    expect(timeOf(id)).toBe(ts);
    expect(ulidFactory()(0).slice(0, 10)).toBe("0000000000");
  });

  it("encodes the 80 random bits big-endian, 5 bits a digit", () => {
    const make = ulidFactory((n) => new Uint8Array(n).fill(0xff));
    expect(make(1)).toBe(`0000000001${"Z".repeat(16)}`);
    const zero = ulidFactory((n) => new Uint8Array(n));
    expect(zero(1)).toBe(`0000000001${"0".repeat(16)}`);
  });

  it("within one millisecond, increments the random part, so ids sort in the order made", () => {
    const make = ulidFactory();
    const ids = Array.from({ length: 1000 }, () => make(1_700_000_000_000));
    expect(new Set(ids).size).toBe(1000);
    expect([...ids].sort()).toEqual(ids);
  });

  it("carries the increment across bytes", () => {
    const bytes = [1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xff];
    const make = ulidFactory((n) => Uint8Array.from({ length: n }, (_, i) => bytes[i % 10]!));
    const a = make(5);
    const b = make(5);
    expect(b > a).toBe(true);
    // ...0x08 0xff 0xff + 1 = ...0x09 0x00 0x00
    const inc = ulidFactory((n) => Uint8Array.from({ length: n }, (_, i) => [1, 2, 3, 4, 5, 6, 7, 9, 0, 0][i % 10]!));
    expect(b).toBe(inc(5));
  });

  it("keeps the last time when the clock goes back, so ids still sort in the order made", () => {
    const make = ulidFactory();
    const first = make(2000);
    const earlier = make(1000);
    expect(earlier > first).toBe(true);
    expect(timeOf(earlier)).toBe(2000);
    const later = make(3000);
    expect(timeOf(later)).toBe(3000);
    expect(later > earlier).toBe(true);
  });

  it("draws random bytes 4 KiB at a time, not once per id", () => {
    const sizes: number[] = [];
    const make = ulidFactory((n) => {
      sizes.push(n);
      return crypto.getRandomValues(new Uint8Array(n));
    });
    for (let ms = 1; ms <= 1000; ms++) make(ms);
    // 10 bytes a millisecond: 409 ids from each 4,096-byte draw.
    expect(sizes).toEqual([4096, 4096, 4096]);
  });

  it("draws nothing until the first id (workerd refuses random values at a module's top level)", () => {
    let draws = 0;
    ulidFactory((n) => {
      draws++;
      return new Uint8Array(n);
    });
    expect(draws).toBe(0);
  });
});

describe("newResultId", () => {
  it("is one shared maker: distinct, time-ordered ids", () => {
    const ts = Date.now();
    const a = newResultId(ts);
    const b = newResultId(ts);
    expect(a).toMatch(ULID);
    expect(b).toMatch(ULID);
    expect(b > a).toBe(true);
    expect(timeOf(newResultId(ts + 1))).toBe(ts + 1);
  });
});
