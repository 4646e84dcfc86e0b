// The Worker's settings (vars and secrets, as text) with their defaults and one line each; config.ts adds the bindings.
// No Workers types or APIs here, so docs and scripts can read the list in Node.
import { z } from "zod";
import { egressRulesVar } from "../../../contract/egress.ts";
import { boolVar, enumVar, envVar, intVar, optionalString, settingsOf, stringVar } from "../../../contract/settings.ts";
import { LEVELS } from "../observability/log.ts";
import { RATE_LIMIT_NAMES, rateLimitsVar } from "./rate-limits.ts";

export const SettingsSchema = z.object({
  ADMIN_TOKEN: z
    .string('is not set: run "wrangler secret put ADMIN_TOKEN" (or put it in .dev.vars locally)')
    .min(16, "must be at least 16 characters")
    .describe("bootstrap admin token (secret, at least 16 characters); always works"),
  // Rotating ADMIN_TOKEN without downtime: the old one stays accepted until a set time (docs/security.md).
  ADMIN_TOKEN_PREVIOUS: envVar(z.string().min(16, "must be at least 16 characters").optional()).describe(
    "the bootstrap admin token being replaced (secret); accepted until ADMIN_TOKEN_PREVIOUS_UNTIL",
  ),
  ADMIN_TOKEN_PREVIOUS_UNTIL: envVar(
    z.iso
      .datetime({ offset: true, error: "must be an RFC 3339 time, e.g. 2026-03-01T12:00:00Z" })
      .transform((v) => Date.parse(v))
      .optional(),
  ).describe("RFC 3339 time from which ADMIN_TOKEN_PREVIOUS is refused; required with it"),
  TOKEN_MAX_LIFETIME_DAYS: intVar(0, 0, 3650).describe(
    "longest lifetime of a token's secret, in days; tokens created or rotated without an expiry get it; 0: no limit",
  ),
  PUBLIC_STATUS: boolVar(false).describe("true makes the status pages, their API, the badges and /metrics public"),
  LOG_LEVEL: enumVar(LEVELS, "info").describe("the least level logged"),
  INFLUX_URL: envVar(z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }).optional()).describe(
    "InfluxDB base URL (v1-compatible API); unset: the embedded point store in D1",
  ),
  INFLUX_DATABASE: stringVar("uptime").describe("InfluxDB database (or bucket on 2.x/3.x)"),
  INFLUX_RETENTION_POLICY: optionalString.describe("InfluxDB retention policy to write to"),
  INFLUX_TOKEN: optionalString.describe("InfluxDB token (2.x/3.x/Cloud), not together with a username and password"),
  INFLUX_USERNAME: optionalString.describe("InfluxDB user (1.x basic auth), with INFLUX_PASSWORD"),
  INFLUX_PASSWORD: optionalString.describe("InfluxDB password (1.x basic auth), with INFLUX_USERNAME"),
  EDGE_SUBREQUEST_BUDGET: intVar(50, 4, 10000).describe("subrequests one cron or queue invocation may use"),
  OUTBOX_MAX_POINTS: intVar(100_000, 5, 10_000_000).describe("most points the D1 outbox holds while InfluxDB is unreachable"),
  OUTBOX_BACKOFF_MAX_S: intVar(600, 1, 86_400).describe("longest wait between retries of the outbox, in seconds"),
  AGENT_LIVENESS_S: intVar(40, 2, 3600).describe("seconds after which a silent agent loses its share of its location's monitors"),
  // The daily trim (see retention.ts): ages in days; hourly rollups feed the 30-day latency series, daily ones the 90-day bars.
  RETENTION_POINTS_DAYS: intVar(30, 1, 36_500).describe("days the embedded store keeps raw points"),
  RETENTION_INGESTED_DAYS: intVar(7, 1, 36_500).describe("days result ids are remembered to recognise an agent's retried batch"),
  RETENTION_HOURLY_ROLLUPS_DAYS: intVar(35, 31, 36_500).describe("days hourly rollups are kept"),
  RETENTION_DAILY_ROLLUPS_DAYS: intVar(400, 90, 36_500).describe("days daily rollups are kept"),
  RETENTION_NOTIFICATIONS_DAYS: intVar(30, 1, 36_500).describe("days delivered and skipped notifications are kept"),
  RETENTION_INCIDENTS_DAYS: intVar(400, 1, 36_500).describe("days resolved incidents are kept"),
  RETENTION_AUDIT_DAYS: intVar(400, 1, 36_500).describe("days audit log entries are kept"),
  TRIM_BATCH_ROWS: intVar(5000, 1, 100_000).describe("rows one DELETE of the daily trim removes"),
  TRIM_MAX_BATCHES: intVar(200, 1, 900).describe("DELETEs one daily trim may make"),
  CERT_WARNING_DAYS: intVar(14, 0, 3650).describe("default certificate warning threshold, in days left"),
  REMIND_EVERY_S: intVar(0, 0, 30 * 86400).describe("default reminder interval while down, in seconds; 0: off"),
  // What enters is bounded: result times around now (an agent's outbox keeps results up to 7 days by default), and how much there may be.
  RESULT_MAX_AGE_S: intVar(8 * 86400, 3600, 366 * 86400).describe("oldest result time ingest accepts, in seconds before now"),
  RESULT_MAX_AHEAD_S: intVar(300, 0, 3600).describe("furthest result time ingest accepts, in seconds after now (clock skew)"),
  MAX_MONITORS: intVar(10_000, 1, 1_000_000).describe("most monitors"),
  MAX_TOKENS: intVar(1000, 1, 100_000).describe("most API tokens"),
  MAX_AGENTS: intVar(1000, 1, 100_000).describe("most registered agents"),
  MAX_CHANNELS: intVar(200, 1, 10_000).describe("most notification channels"),
  MAX_MAINTENANCE_WINDOWS: intVar(500, 1, 100_000).describe("most maintenance windows"),
  HOST_CHECKS_PER_MIN: intVar(600, 1, 1_000_000).describe("most checks per minute all monitors together may aim at one target host"),
  HOST_BODY_BYTES_PER_MIN: intVar(1_048_576, 0, 1_000_000_000).describe(
    "most request-body bytes per minute all monitors together may send to one target host",
  ),
  // The limits' values are their bindings' ([[ratelimits]] in wrangler.toml); this chooses which are enforced (docs/security.md).
  RATE_LIMITS: rateLimitsVar.describe(
    `rate limits enforced: "on" (all), "off" (none) or some of ${RATE_LIMIT_NAMES.join(", ")}, comma-separated`,
  ),
  // The egress policy (contract/egress.ts, docs/security.md): checks and channels reach public addresses only, unless listed here.
  EGRESS_ALLOW: egressRulesVar.describe(
    "CIDR ranges, addresses and host names (*.example.com) that checks and channels may reach although the egress policy refuses their kind",
  ),
  EGRESS_DENY: egressRulesVar.describe("CIDR ranges, addresses and host names that checks and channels may never reach"),
});

export type SettingName = keyof typeof SettingsSchema.shape;

/** The Worker's settings (bindings aside): name, whether required, default and one line each. */
export const SETTINGS = settingsOf(SettingsSchema);
