// The Worker's bindings and vars as Cloudflare hands them over, before validation (see config.ts).
import type { CheckBatchMessage } from "../scheduler/messages.ts";
import type { SettingName } from "./settings.ts";
import type { RateLimitBinding } from "./rate-limits.ts";

export type Env = {
  DB: D1Database;
  CHECKS_QUEUE: Queue<CheckBatchMessage>;
  /** The status UI's static files (ui/dist, [assets] in wrangler.toml); absent when deployed without them. */
  ASSETS?: Fetcher;
} & { [K in SettingName]?: string } & {
  /** The rate limits' bindings ([[ratelimits]] in wrangler.toml); absent from an older configuration. */
  [K in RateLimitBinding]?: RateLimit;
};
