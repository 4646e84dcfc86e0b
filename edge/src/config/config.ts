// Validates the Worker's bindings and vars once per isolate; a bad configuration is reported, not thrown.
import { z } from "zod";
import { edgePolicy } from "../../../contract/egress.ts";
import { toIssues, type Issue } from "../../../contract/index.ts";
import type { Env } from "./env.ts";
import type { CheckBatchMessage } from "../scheduler/messages.ts";
import { createLogger } from "../observability/log.ts";
import { SettingsSchema } from "./settings.ts";
import { RATE_LIMIT_NAMES, RATE_LIMITS, type RateLimitBinding, type RateLimitName } from "./rate-limits.ts";

/** A Rate Limiting binding, optional: an older wrangler.toml has none (no limit, a warning in /readyz). */
const rateLimitBinding = z
  .custom<RateLimit>(
    (v) => typeof (v as { limit?: unknown } | undefined)?.limit === "function",
    "must be a Rate Limiting binding ([[ratelimits]] in wrangler.toml)",
  )
  .optional();
const rateLimitBindings = Object.fromEntries(RATE_LIMIT_NAMES.map((name) => [RATE_LIMITS[name].binding, rateLimitBinding])) as Record<
  RateLimitBinding,
  typeof rateLimitBinding
>;

const ConfigSchema = z.object({
  DB: z.custom<D1Database>(
    (v) => typeof (v as { prepare?: unknown } | undefined)?.prepare === "function",
    'D1 binding is missing: add [[d1_databases]] with binding = "DB" to wrangler.toml',
  ),
  CHECKS_QUEUE: z.custom<Queue<CheckBatchMessage>>(
    (v) => typeof (v as { sendBatch?: unknown } | undefined)?.sendBatch === "function",
    'Queue binding is missing: add [[queues.producers]] with binding = "CHECKS_QUEUE" (and its consumer) to wrangler.toml',
  ),
  ...rateLimitBindings,
  ...SettingsSchema.shape,
});

export type InfluxConfig = {
  url: string;
  database: string;
  retentionPolicy: string | null;
  auth: { token: string } | { username: string; password: string } | null;
};

/** The validated settings as the Worker uses them: durations in ms, InfluxDB's grouped. */
function toConfig(e: z.output<typeof ConfigSchema>) {
  const influx: InfluxConfig | null = e.INFLUX_URL
    ? {
        url: e.INFLUX_URL.replace(/\/+$/, ""),
        database: e.INFLUX_DATABASE,
        retentionPolicy: e.INFLUX_RETENTION_POLICY ?? null,
        auth: e.INFLUX_TOKEN
          ? { token: e.INFLUX_TOKEN }
          : e.INFLUX_USERNAME && e.INFLUX_PASSWORD
            ? { username: e.INFLUX_USERNAME, password: e.INFLUX_PASSWORD }
            : null,
      }
    : null;
  return {
    db: e.DB,
    adminToken: e.ADMIN_TOKEN,
    /** The bootstrap admin token being replaced, accepted before `until` (epoch ms); null outside a rotation. */
    adminTokenPrevious:
      e.ADMIN_TOKEN_PREVIOUS !== undefined && e.ADMIN_TOKEN_PREVIOUS_UNTIL !== undefined
        ? { token: e.ADMIN_TOKEN_PREVIOUS, until: e.ADMIN_TOKEN_PREVIOUS_UNTIL }
        : null,
    /** Longest lifetime of a token's secret in ms; null: no limit. */
    tokenMaxLifetimeMs: e.TOKEN_MAX_LIFETIME_DAYS === 0 ? null : e.TOKEN_MAX_LIFETIME_DAYS * 86_400_000,
    publicStatus: e.PUBLIC_STATUS,
    logLevel: e.LOG_LEVEL,
    influx,
    subrequestBudget: e.EDGE_SUBREQUEST_BUDGET,
    outboxMaxPoints: e.OUTBOX_MAX_POINTS,
    outboxBackoffMaxMs: e.OUTBOX_BACKOFF_MAX_S * 1000,
    agentLivenessMs: e.AGENT_LIVENESS_S * 1000,
    /** What the daily trim keeps (ages in ms) and how much it deletes per statement and per run. */
    retention: {
      pointsMs: e.RETENTION_POINTS_DAYS * 86_400_000,
      ingestedMs: e.RETENTION_INGESTED_DAYS * 86_400_000,
      hourlyRollupsMs: e.RETENTION_HOURLY_ROLLUPS_DAYS * 86_400_000,
      dailyRollupsMs: e.RETENTION_DAILY_ROLLUPS_DAYS * 86_400_000,
      notificationsMs: e.RETENTION_NOTIFICATIONS_DAYS * 86_400_000,
      incidentsMs: e.RETENTION_INCIDENTS_DAYS * 86_400_000,
      auditMs: e.RETENTION_AUDIT_DAYS * 86_400_000,
      batchRows: e.TRIM_BATCH_ROWS,
      maxBatches: e.TRIM_MAX_BATCHES,
    },
    certWarningDays: e.CERT_WARNING_DAYS,
    remindEveryMs: e.REMIND_EVERY_S * 1000,
    resultMaxAgeMs: e.RESULT_MAX_AGE_S * 1000,
    resultMaxAheadMs: e.RESULT_MAX_AHEAD_S * 1000,
    caps: {
      monitors: e.MAX_MONITORS,
      tokens: e.MAX_TOKENS,
      agents: e.MAX_AGENTS,
      channels: e.MAX_CHANNELS,
      maintenance: e.MAX_MAINTENANCE_WINDOWS,
      hostChecksPerMin: e.HOST_CHECKS_PER_MIN,
      hostBodyBytesPerMin: e.HOST_BODY_BYTES_PER_MIN,
    },
    queue: e.CHECKS_QUEUE,
    /** Where checks and channels may go (contract/egress.ts): public addresses, plus EGRESS_ALLOW, minus EGRESS_DENY. */
    egress: edgePolicy({ allow: e.EGRESS_ALLOW, deny: e.EGRESS_DENY }),
    rateLimits: enforcedRateLimits(e),
  };
}

/** The limits RATE_LIMITS turns on, with their bindings; `unbound`: turned on, but wrangler.toml has no binding for them. */
function enforcedRateLimits(e: z.output<typeof ConfigSchema>) {
  const limiters: Partial<Record<RateLimitName, RateLimit>> = {};
  const unbound: RateLimitName[] = [];
  for (const name of e.RATE_LIMITS) {
    const binding = e[RATE_LIMITS[name].binding];
    if (binding) limiters[name] = binding;
    else unbound.push(name);
  }
  return { limiters, unbound };
}

export type Config = ReturnType<typeof toConfig>;

export type ConfigResult = { ok: true; config: Config } | { ok: false; issues: Issue[] };

/** Rules across settings, checked on the raw values so they are reported alongside field problems. */
function crossProblems(env: Env): Issue[] {
  const set = (v: string | undefined) => v !== undefined && v !== "";
  const out: Issue[] = [];
  if (set(env.INFLUX_TOKEN) && (set(env.INFLUX_USERNAME) || set(env.INFLUX_PASSWORD)))
    out.push({ path: "INFLUX_TOKEN", message: "set either INFLUX_TOKEN or INFLUX_USERNAME/INFLUX_PASSWORD, not both" });
  if (set(env.INFLUX_USERNAME) !== set(env.INFLUX_PASSWORD))
    out.push({
      path: set(env.INFLUX_USERNAME) ? "INFLUX_PASSWORD" : "INFLUX_USERNAME",
      message: "INFLUX_USERNAME and INFLUX_PASSWORD go together",
    });
  // Without an end the old admin token would be accepted for ever, which is no rotation.
  if (set(env.ADMIN_TOKEN_PREVIOUS) && !set(env.ADMIN_TOKEN_PREVIOUS_UNTIL))
    out.push({
      path: "ADMIN_TOKEN_PREVIOUS_UNTIL",
      message: "is required with ADMIN_TOKEN_PREVIOUS: the RFC 3339 time from which the previous admin token is refused",
    });
  if (!set(env.INFLUX_URL))
    for (const k of ["INFLUX_TOKEN", "INFLUX_USERNAME", "INFLUX_RETENTION_POLICY"] as const)
      if (set(env[k])) out.push({ path: k, message: "is set but INFLUX_URL is not" });
  return out;
}

export function parseConfig(env: Env): ConfigResult {
  const r = ConfigSchema.safeParse(env);
  const issues = [...(r.success ? [] : toIssues(r.error)), ...crossProblems(env)];
  if (!r.success || issues.length > 0) return { ok: false, issues };
  return { ok: true, config: toConfig(r.data) };
}

const cache = new WeakMap<object, ConfigResult>();
let lastReported = "";

/** The validated configuration, computed once per env object; problems are logged once. */
export function loadConfig(env: Env): ConfigResult {
  let result = cache.get(env);
  if (!result) {
    result = parseConfig(env);
    cache.set(env, result);
    if (!result.ok) {
      const key = JSON.stringify(result.issues);
      if (key !== lastReported) {
        lastReported = key;
        createLogger("error").error("configuration invalid", { issues: result.issues });
      }
    }
  }
  return result;
}
