// Which role passes which need, and when a token's secret stops working (its expiry, or a rotation's grace).
import { describe, expect, it } from "vitest";
import type { TokenMatch } from "../db/tokens.ts";
import { roleAllows, whyRefused } from "./auth.ts";
import { ROLES } from "./context.ts";

describe("roleAllows", () => {
  it("orders admin > editor > viewer > status; agent passes agent routes only, and nobody else does", () => {
    const passes = (need: (typeof ROLES)[number]) => ROLES.filter((have) => roleAllows(have, need));
    expect(passes("status")).toEqual(["admin", "editor", "viewer", "status"]);
    expect(passes("viewer")).toEqual(["admin", "editor", "viewer"]);
    expect(passes("editor")).toEqual(["admin", "editor"]);
    expect(passes("admin")).toEqual(["admin"]);
    expect(passes("agent")).toEqual(["agent"]);
  });
});

describe("whyRefused", () => {
  const NOW = Date.parse("2026-06-01T12:00:00Z");
  const token = (t: Partial<TokenMatch>): TokenMatch => ({
    id: "tok_1",
    name: "ci",
    role: "viewer",
    created_at: NOW - 86_400_000,
    last_used_at: null,
    expires_at: null,
    rotated_at: null,
    previous_expires_at: null,
    current: 1,
    ...t,
  });

  it("takes a current secret until its expiry, and from then on says when it expired", () => {
    expect(whyRefused(token({}), NOW)).toBeNull();
    expect(whyRefused(token({ expires_at: NOW + 1 }), NOW)).toBeNull();
    expect(whyRefused(token({ expires_at: NOW }), NOW)).toBe('the token "ci" expired at 2026-06-01T12:00:00.000Z');
  });

  it("takes a previous secret until its grace ends, whatever the current one's expiry", () => {
    const rotated = { current: 0 as const, rotated_at: NOW - 60_000, expires_at: NOW + 86_400_000 };
    expect(whyRefused(token({ ...rotated, previous_expires_at: NOW + 1 }), NOW)).toBeNull();
    expect(whyRefused(token({ ...rotated, previous_expires_at: NOW }), NOW)).toBe(
      'the token "ci" was rotated at 2026-06-01T11:59:00.000Z; this, its previous secret, stopped working at 2026-06-01T12:00:00.000Z',
    );
  });
});
