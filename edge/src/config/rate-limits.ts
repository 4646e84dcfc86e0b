// The Worker's rate limits, listed once: each one's Rate Limiting binding, what it counts per, and its period;
// and the RATE_LIMITS setting that chooses which are enforced. No Workers types here (settings.ts reads it in Node).
import { z } from "zod";
import { envVar } from "../../../contract/settings.ts";

/**
 * The limit and the period themselves are the binding's (`[[ratelimits]]` in wrangler.toml): the binding
 * cannot tell them at run time. `period` here is what Retry-After says; test/repo checks it against wrangler.toml.
 */
export const RATE_LIMITS = {
  failed_auth: { binding: "RATE_LIMIT_FAILED_AUTH", period: 60, per: "client address", counts: "requests answered 401" },
  token: { binding: "RATE_LIMIT_TOKEN", period: 60, per: "token", counts: "API requests with a user token" },
  agent: { binding: "RATE_LIMIT_AGENT", period: 60, per: "agent", counts: "an agent's pushes and assignment polls" },
  public: { binding: "RATE_LIMIT_PUBLIC", period: 60, per: "client address", counts: "anonymous status API, badge and /readyz requests" },
  ping: { binding: "RATE_LIMIT_PING", period: 60, per: "heartbeat monitor", counts: "pings with a valid key" },
} as const;

export type RateLimitName = keyof typeof RATE_LIMITS;
export const RATE_LIMIT_NAMES = Object.keys(RATE_LIMITS) as RateLimitName[];
export type RateLimitBinding = (typeof RATE_LIMITS)[RateLimitName]["binding"];

/** RATE_LIMITS: "on" (every limit), "off" (none), or the names of the limits to enforce, comma-separated. */
export const rateLimitsVar = envVar(
  z
    .string()
    .default("on")
    .transform((v, ctx): RateLimitName[] => {
      const words = v
        .split(",")
        .map((w) => w.trim())
        .filter(Boolean);
      if (words.length === 1 && words[0] === "on") return [...RATE_LIMIT_NAMES];
      if (words.length === 1 && words[0] === "off") return [];
      const unknown = words.filter((w) => !(RATE_LIMIT_NAMES as string[]).includes(w));
      if (unknown.length > 0 || words.length === 0)
        ctx.addIssue({
          code: "custom",
          message: `must be "on", "off" or limits from ${RATE_LIMIT_NAMES.join(", ")}, comma-separated${unknown.length ? ` (not ${unknown.join(", ")})` : ""}`,
        });
      return [...new Set(words)] as RateLimitName[];
    }),
);
