// RATE_LIMITS: which limits are enforced.
import { describe, expect, it } from "vitest";
import { rateLimitsVar } from "./rate-limits.ts";

describe("RATE_LIMITS", () => {
  it('is every limit when unset, empty or "on", none when "off", else the limits it names', () => {
    const all = ["failed_auth", "token", "agent", "public", "ping"];
    expect(rateLimitsVar.parse(undefined)).toEqual(all);
    expect(rateLimitsVar.parse("")).toEqual(all);
    expect(rateLimitsVar.parse("on")).toEqual(all);
    expect(rateLimitsVar.parse("off")).toEqual([]);
    expect(rateLimitsVar.parse(" failed_auth , public,public")).toEqual(["failed_auth", "public"]);
  });

  it("refuses names that are no limit, and on or off among others", () => {
    for (const bad of ["everything", "token,tokens", "on,public", ","]) {
      const r = rateLimitsVar.safeParse(bad);
      expect(r.success, bad).toBe(false);
      expect(r.error?.issues[0]?.message).toMatch(/^must be "on", "off" or limits from failed_auth, token, agent, public, ping/);
    }
  });
});
