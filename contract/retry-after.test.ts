// Retry-After as both callers read it (the edge's alert delivery, the agent's pushes): RFC 9110's two forms, and nothing else.
import { describe, expect, it } from "vitest";
import { parseHttpDate, parseRetryAfter } from "./retry-after.ts";

const S = 1000;
const H = 3600 * S;
const DAY = 24 * H;
const now = Date.parse("2026-11-27T10:00:00Z");

describe("parseRetryAfter", () => {
  it("reads delta-seconds", () => {
    expect(parseRetryAfter("120", now, DAY)).toBe(120 * S);
    expect(parseRetryAfter(" 0 ", now, DAY)).toBe(0);
    expect(parseRetryAfter("007", now, DAY)).toBe(7 * S);
  });

  it("reads an HTTP date as the wait until it; a date already past waits 0", () => {
    expect(parseRetryAfter("Fri, 27 Nov 2026 10:02:30 GMT", now, DAY)).toBe(150 * S);
    expect(parseRetryAfter("Fri, 27 Nov 2026 09:00:00 GMT", now, DAY)).toBe(0);
    expect(parseRetryAfter("Thu, 01 Jan 1970 00:00:00 GMT", now, DAY)).toBe(0);
    // The agent's former test, with its own now.
    const then = Date.parse("2025-11-27T04:00:00Z");
    expect(parseRetryAfter("Thu, 27 Nov 2025 04:00:30 GMT", then, DAY)).toBe(30 * S);
    expect(parseRetryAfter("Thu, 27 Nov 2025 03:00:00 GMT", then, DAY)).toBe(0);
  });

  it("bounds every wait by the caller's maximum, however large the value", () => {
    expect(parseRetryAfter("3600", now, 15 * 60 * S)).toBe(15 * 60 * S);
    expect(parseRetryAfter("99999999999999999999", now, DAY)).toBe(DAY);
    expect(parseRetryAfter("9".repeat(400), now, DAY)).toBe(DAY); // Number() gives Infinity
    expect(parseRetryAfter("Fri, 31 Dec 9999 23:59:59 GMT", now, DAY)).toBe(DAY);
    expect(parseRetryAfter("120", now, 0)).toBe(0);
  });

  it("is null when absent or not one of RFC 9110's forms", () => {
    for (const v of [
      null,
      "",
      "soon",
      "-5",
      "+5",
      "1.5",
      "1e3",
      "5 min",
      "0x10",
      "12 junk",
      "Tuesday 5",
      "2026-11-27T10:02:30Z",
      "Fri, 27 Nov 2026 10:02:30",
    ])
      expect(parseRetryAfter(v, now, DAY), String(v)).toBeNull();
  });
});

describe("parseHttpDate", () => {
  const at = Date.parse("1994-11-06T08:49:37Z");

  it("reads IMF-fixdate and, as recipients must, the obsolete RFC 850 and asctime forms", () => {
    expect(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT", now)).toBe(at);
    expect(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT", now)).toBe(at);
    expect(parseHttpDate("Sun Nov  6 08:49:37 1994", now)).toBe(at);
    expect(parseHttpDate("sun, 06 nov 1994 08:49:37 gmt", now)).toBe(at);
  });

  it("places RFC 850's two-digit years no more than 50 years ahead", () => {
    expect(parseHttpDate("Monday, 01-Jan-30 00:00:00 GMT", now)).toBe(Date.parse("2030-01-01T00:00:00Z"));
    expect(parseHttpDate("Wednesday, 01-Jan-76 00:00:00 GMT", now)).toBe(Date.parse("2076-01-01T00:00:00Z"));
    expect(parseHttpDate("Saturday, 01-Jan-77 00:00:00 GMT", now)).toBe(Date.parse("1977-01-01T00:00:00Z"));
  });

  it("refuses times that do not exist, and keeps a leap second", () => {
    expect(parseHttpDate("Sat, 31 Feb 2026 10:00:00 GMT", now)).toBeNull();
    expect(parseHttpDate("Sat, 29 Feb 2025 10:00:00 GMT", now)).toBeNull();
    expect(parseHttpDate("Thu, 29 Feb 2024 10:00:00 GMT", now)).toBe(Date.parse("2024-02-29T10:00:00Z"));
    expect(parseHttpDate("Fri, 27 Nov 2026 24:00:00 GMT", now)).toBeNull();
    expect(parseHttpDate("Fri, 27 Nov 2026 10:60:00 GMT", now)).toBeNull();
    expect(parseHttpDate("Fri, 00 Nov 2026 10:00:00 GMT", now)).toBeNull();
    expect(parseHttpDate("Wed, 31 Dec 2025 23:59:60 GMT", now)).toBe(Date.parse("2026-01-01T00:00:00Z"));
  });

  it("takes a year as written, not as Date.UTC's 1900-based two-digit years", () => {
    const year50 = new Date(0);
    year50.setUTCFullYear(50, 0, 1);
    expect(parseHttpDate("Mon, 01 Jan 0050 00:00:00 GMT", now)).toBe(year50.getTime());
  });
});
