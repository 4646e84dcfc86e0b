// What the address-keyed limits count per, and the 429 they answer.
import { describe, expect, it } from "vitest";
import { clientKey, rateLimited } from "./rate-limit.ts";

describe("clientKey", () => {
  it("keeps an IPv4 address, and puts an IPv6 address's whole /64 under one key", () => {
    expect(clientKey("203.0.113.7")).toBe("203.0.113.7");
    expect(clientKey("2001:db8:1:2::1")).toBe("2001:db8:1:2::/64");
    expect(clientKey("2001:0DB8:0001:0002:ffff:ffff:ffff:ffff")).toBe("2001:db8:1:2::/64");
    expect(clientKey("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
  });

  it("gives one shared key to a missing or malformed address (only local runs lack Cloudflare's header)", () => {
    expect(clientKey(undefined)).toBe("unknown");
    expect(clientKey("")).toBe("unknown");
    expect(clientKey("not-an-address, 10.0.0.1")).toBe("unknown");
  });
});

describe("rateLimited", () => {
  it("is the API's 429 naming the limit and its key, with the period as Retry-After", () => {
    const e = rateLimited("failed_auth", "203.0.113.7");
    expect(e.status).toBe(429);
    expect(e.code).toBe("rate_limited");
    expect(e.headers).toEqual({ "retry-after": "60" });
    expect(e.message).toBe(
      'rate limit "failed_auth" reached: too many requests answered 401 for this client address (203.0.113.7); retry after 60 s',
    );
  });
});
