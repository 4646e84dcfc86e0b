// The retry schedule, pure. Reading Retry-After: contract/retry-after.test.ts.
import { describe, expect, it } from "vitest";
import { JITTER, MAX_ATTEMPTS, MAX_RETRY_AFTER_MS, RETRY_SCHEDULE_MS, nextAttemptAt, retryDelayMs } from "./delivery.ts";

const S = 1000;
const M = 60 * S;
const H = 60 * M;

describe("retry schedule", () => {
  it("is Standard Webhooks': immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h", () => {
    expect(RETRY_SCHEDULE_MS).toEqual([0, 5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 10 * H]);
    expect(MAX_ATTEMPTS).toBe(8);
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => retryDelayMs(n, () => 0.5))).toEqual([5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 10 * H]);
    expect(retryDelayMs(8)).toBeNull();
  });

  it("jitters each wait by at most ±10 %", () => {
    expect(JITTER).toBe(0.1);
    expect(retryDelayMs(1, () => 0)).toBe(4500);
    expect(retryDelayMs(1, () => 1)).toBe(5500);
    expect(retryDelayMs(4, () => 0)).toBe(1.8 * H);
  });

  it("waits for Retry-After when it is longer than the schedule, up to a day", () => {
    const half = () => 0.5;
    expect(nextAttemptAt(1000, 1, 60 * S, half)).toBe(1000 + 60 * S);
    expect(nextAttemptAt(1000, 2, 60 * S, half)).toBe(1000 + 5 * M);
    expect(nextAttemptAt(1000, 1, 3 * 24 * H, half)).toBe(1000 + MAX_RETRY_AFTER_MS);
    expect(nextAttemptAt(1000, 1, null, half)).toBe(1000 + 5 * S);
    expect(nextAttemptAt(1000, 8, 60 * S, half)).toBeNull();
  });
});
