// Validates the Worker's bindings and vars once per isolate; a bad configuration is reported, not thrown.
import { z } from "zod";
import { toIssues, type Issue } from "../../../contract/index.ts";
import type { Env } from "./env.ts";
import type { CheckBatchMessage } from "../scheduler/messages.ts";
import { LEVELS, createLogger } from "../observability/log.ts";

const emptyToUndefined = (v: unknown) => (v === "" ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const intVar = (def: number, min: number, max: number) =>
  z.preprocess(
    emptyToUndefined,
    z
      .union([z.number(), z.string().regex(/^\d+$/, "must be a whole number")])
      .default(def)
      .transform(Number)
      .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`)),
  );
const boolVar = z.preprocess(
  emptyToUndefined,
  z.enum(["true", "false", "1", "0"], 'must be "true" or "false"').default("false").transform((v) => v === "true" || v === "1"),
);

const ConfigSchema = z
  .object({
    DB: z.custom<D1Database>(
      (v) => typeof (v as { prepare?: unknown } | undefined)?.prepare === "function",
      'D1 binding is missing: add [[d1_databases]] with binding = "DB" to wrangler.toml',
    ),
    CHECKS_QUEUE: z.custom<Queue<CheckBatchMessage>>(
      (v) => typeof (v as { sendBatch?: unknown } | undefined)?.sendBatch === "function",
      'Queue binding is missing: add [[queues.producers]] with binding = "CHECKS_QUEUE" (and its consumer) to wrangler.toml',
    ),
    ADMIN_TOKEN: z
      .string('is not set: run "wrangler secret put ADMIN_TOKEN" (or put it in .dev.vars locally)')
      .min(16, "must be at least 16 characters"),
    PUBLIC_STATUS: boolVar,
    LOG_LEVEL: z.preprocess(emptyToUndefined, z.enum(LEVELS).default("info")),
    INFLUX_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }).optional()),
    INFLUX_DATABASE: z.preprocess(emptyToUndefined, z.string().min(1).default("uptime")),
    INFLUX_RETENTION_POLICY: optionalString,
    INFLUX_TOKEN: optionalString,
    INFLUX_USERNAME: optionalString,
    INFLUX_PASSWORD: optionalString,
    EDGE_SUBREQUEST_BUDGET: intVar(50, 4, 10000),
    OUTBOX_MAX_POINTS: intVar(100_000, 5, 10_000_000),
    OUTBOX_BACKOFF_MAX_S: intVar(600, 1, 86_400),
    AGENT_LIVENESS_S: intVar(40, 2, 3600),
    // The daily trim (see retention.ts): ages in days; hourly rollups feed the 30-day latency series, daily ones the 90-day bars.
    RETENTION_POINTS_DAYS: intVar(30, 1, 36_500),
    RETENTION_INGESTED_DAYS: intVar(7, 1, 36_500),
    RETENTION_HOURLY_ROLLUPS_DAYS: intVar(35, 31, 36_500),
    RETENTION_DAILY_ROLLUPS_DAYS: intVar(400, 90, 36_500),
    RETENTION_NOTIFICATIONS_DAYS: intVar(30, 1, 36_500),
    RETENTION_INCIDENTS_DAYS: intVar(400, 1, 36_500),
    TRIM_BATCH_ROWS: intVar(5000, 1, 100_000),
    TRIM_MAX_BATCHES: intVar(200, 1, 900),
    CERT_WARNING_DAYS: intVar(14, 0, 3650),
    REMIND_EVERY_S: intVar(0, 0, 30 * 86400),
  });

export type InfluxConfig = {
  url: string;
  database: string;
  retentionPolicy: string | null;
  auth: { token: string } | { username: string; password: string } | null;
};

export type Config = {
  db: D1Database;
  adminToken: string;
  publicStatus: boolean;
  logLevel: (typeof LEVELS)[number];
  influx: InfluxConfig | null;
  subrequestBudget: number;
  outboxMaxPoints: number;
  outboxBackoffMaxMs: number;
  agentLivenessMs: number;
  /** What the daily trim keeps (ages in ms) and how much it deletes per statement and per run. */
  retention: {
    pointsMs: number;
    ingestedMs: number;
    hourlyRollupsMs: number;
    dailyRollupsMs: number;
    notificationsMs: number;
    incidentsMs: number;
    batchRows: number;
    maxBatches: number;
  };
  certWarningDays: number;
  remindEveryMs: number;
  queue: Queue<CheckBatchMessage>;
};

export type ConfigResult = { ok: true; config: Config } | { ok: false; issues: Issue[] };

/** Rules across settings, checked on the raw values so they are reported alongside field problems. */
function crossProblems(env: Env): Issue[] {
  const set = (v: string | undefined) => v !== undefined && v !== "";
  const out: Issue[] = [];
  if (set(env.INFLUX_TOKEN) && (set(env.INFLUX_USERNAME) || set(env.INFLUX_PASSWORD)))
    out.push({ path: "INFLUX_TOKEN", message: "set either INFLUX_TOKEN or INFLUX_USERNAME/INFLUX_PASSWORD, not both" });
  if (set(env.INFLUX_USERNAME) !== set(env.INFLUX_PASSWORD))
    out.push({ path: set(env.INFLUX_USERNAME) ? "INFLUX_PASSWORD" : "INFLUX_USERNAME", message: "INFLUX_USERNAME and INFLUX_PASSWORD go together" });
  if (!set(env.INFLUX_URL))
    for (const k of ["INFLUX_TOKEN", "INFLUX_USERNAME", "INFLUX_RETENTION_POLICY"] as const)
      if (set(env[k])) out.push({ path: k, message: "is set but INFLUX_URL is not" });
  return out;
}

export function parseConfig(env: Env): ConfigResult {
  const r = ConfigSchema.safeParse(env);
  const issues = [...(r.success ? [] : toIssues(r.error)), ...crossProblems(env)];
  if (!r.success || issues.length > 0) return { ok: false, issues };
  const e = r.data;
  return {
    ok: true,
    config: {
      db: e.DB,
      adminToken: e.ADMIN_TOKEN,
      publicStatus: e.PUBLIC_STATUS,
      logLevel: e.LOG_LEVEL,
      influx: e.INFLUX_URL
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
        : null,
      subrequestBudget: e.EDGE_SUBREQUEST_BUDGET,
      outboxMaxPoints: e.OUTBOX_MAX_POINTS,
      outboxBackoffMaxMs: e.OUTBOX_BACKOFF_MAX_S * 1000,
      agentLivenessMs: e.AGENT_LIVENESS_S * 1000,
      retention: {
        pointsMs: e.RETENTION_POINTS_DAYS * 86_400_000,
        ingestedMs: e.RETENTION_INGESTED_DAYS * 86_400_000,
        hourlyRollupsMs: e.RETENTION_HOURLY_ROLLUPS_DAYS * 86_400_000,
        dailyRollupsMs: e.RETENTION_DAILY_ROLLUPS_DAYS * 86_400_000,
        notificationsMs: e.RETENTION_NOTIFICATIONS_DAYS * 86_400_000,
        incidentsMs: e.RETENTION_INCIDENTS_DAYS * 86_400_000,
        batchRows: e.TRIM_BATCH_ROWS,
        maxBatches: e.TRIM_MAX_BATCHES,
      },
      certWarningDays: e.CERT_WARNING_DAYS,
      remindEveryMs: e.REMIND_EVERY_S * 1000,
      queue: e.CHECKS_QUEUE,
    },
  };
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
