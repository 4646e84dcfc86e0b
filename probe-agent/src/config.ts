// The agent's configuration: environment variables, validated once at startup with every problem listed.
import { z } from "zod";
import { toIssues, type Issue } from "../../contract/index.ts";

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses durations like `30s`, `15m`, `7d` or `1h30m` into milliseconds; null when it is not one. */
export function parseDuration(text: string): number | null {
  const s = text.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(s)) return null;
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) total += Number(m[1]) * UNITS_MS[m[2]!]!;
  return Math.round(total);
}

export type Listen = { host: string; port: number };

/** Parses `host:port` (IPv6 as `[addr]:port`); port 0 asks the OS for a free port. */
export function parseListen(text: string): Listen | string {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  if (!m) return "must be host:port, e.g. 0.0.0.0:9464 (IPv6 as [::]:9464)";
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port > 65535) return "port must be between 0 and 65535";
  return { host: m[1]!, port };
}

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** An unset or empty variable takes the default (or is reported missing when required). */
const env = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === "" ? undefined : v), schema);

const int = (min: number, max: number, fallback: number) =>
  env(
    z
      .string()
      .regex(/^\d+$/, "must be a whole number")
      .transform(Number)
      .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
      .default(fallback),
  );

const duration = (fallback: string, minMs: number) =>
  env(
    z
      .string()
      .default(fallback)
      .transform((s, ctx) => {
        const ms = parseDuration(s);
        if (ms === null) {
          ctx.addIssue({ code: "custom", message: 'must be a duration such as "30s", "15m", "7d" or "1h30m"' });
          return z.NEVER;
        }
        if (ms < minMs) {
          ctx.addIssue({ code: "custom", message: `must be at least ${minMs / 1000} s` });
          return z.NEVER;
        }
        return ms;
      }),
  );

/** An http:// or https:// URL, or why the text is not one. */
function parseHttpUrl(text: string): URL | "not a URL" | "not http" {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "not a URL";
  }
  return url.protocol === "http:" || url.protocol === "https:" ? url : "not http";
}

const PROXY_MESSAGE = "must be the proxy's URL with http:// or https://, e.g. http://proxy.internal:3128";

/** A proxy URL: http:// or https://, credentials allowed (proxy authentication). */
const proxyUrl = env(
  z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined) return undefined;
      const url = parseHttpUrl(s);
      if (typeof url === "string") {
        ctx.addIssue({ code: "custom", message: PROXY_MESSAGE });
        return z.NEVER;
      }
      return url.href;
    }),
);

const Env = z.object({
  EDGE_URL: env(
    z
      .string({ error: "is required: the edge's base URL, e.g. https://uptime.example.net" })
      .transform((s, ctx) => {
        const url = parseHttpUrl(s);
        if (typeof url === "string") {
          ctx.addIssue({ code: "custom", message: url === "not a URL" ? "must be an absolute http:// or https:// URL" : "must use http:// or https://" });
          return z.NEVER;
        }
        if (url.search || url.hash) {
          ctx.addIssue({ code: "custom", message: "must not have a query string or fragment" });
          return z.NEVER;
        }
        return url.href.replace(/\/+$/, "");
      }),
  ),
  AGENT_TOKEN: env(
    z
      .string({ error: "is required: the token POST /api/v1/agents returned for this agent" })
      .regex(/^\S+$/, "must not contain whitespace"),
  ),
  AGENT_LISTEN: env(
    z
      .string()
      .default("0.0.0.0:9464")
      .transform((s, ctx) => {
        const l = parseListen(s);
        if (typeof l === "string") {
          ctx.addIssue({ code: "custom", message: l });
          return z.NEVER;
        }
        return l;
      }),
  ),
  AGENT_DATA_DIR: env(z.string().default("./data")),
  OUTBOX_MAX_RESULTS: int(1, 100_000_000, 100_000),
  OUTBOX_MAX_AGE: duration("7d", 60_000),
  CONCURRENCY: int(1, 10_000, 256),
  ASSIGNMENTS_REFRESH_S: int(1, 3600, 30),
  PUSH_BATCH: int(1, 1000, 500),
  SHUTDOWN_TIMEOUT: duration("8s", 0),
  LOG_LEVEL: env(z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` }).default("info")),
  HTTPS_PROXY: proxyUrl,
  HTTP_PROXY: proxyUrl,
  NO_PROXY: env(z.string().optional()),
});

/**
 * How the agent reaches the edge through a proxy (the usual HTTPS_PROXY, HTTP_PROXY and NO_PROXY,
 * upper or lower case). Only the edge connection uses it: checks always go straight to their targets.
 */
export type EdgeProxy = { httpsProxy?: string; httpProxy?: string; noProxy?: string };

export type AgentConfig = {
  edgeUrl: string;
  token: string;
  listen: Listen;
  dataDir: string;
  outboxMaxResults: number;
  outboxMaxAgeMs: number;
  concurrency: number;
  assignmentsRefreshMs: number;
  pushBatch: number;
  shutdownTimeoutMs: number;
  logLevel: LogLevel;
  /** null: no proxy variable set, the edge is reached directly. */
  edgeProxy: EdgeProxy | null;
};

export type ConfigResult = { ok: true; config: AgentConfig } | { ok: false; issues: Issue[] };

/** Reads the agent's settings from environment variables; never throws. */
export function loadConfig(vars: Record<string, string | undefined>): ConfigResult {
  // Proxy variables are honoured in either case, the upper-case one first.
  const either = (name: string) => vars[name] || vars[name.toLowerCase()];
  const r = Env.safeParse({ ...vars, HTTPS_PROXY: either("HTTPS_PROXY"), HTTP_PROXY: either("HTTP_PROXY"), NO_PROXY: either("NO_PROXY") });
  if (!r.success) return { ok: false, issues: toIssues(r.error) };
  const e = r.data;
  return {
    ok: true,
    config: {
      edgeUrl: e.EDGE_URL,
      token: e.AGENT_TOKEN,
      listen: e.AGENT_LISTEN,
      dataDir: e.AGENT_DATA_DIR,
      outboxMaxResults: e.OUTBOX_MAX_RESULTS,
      outboxMaxAgeMs: e.OUTBOX_MAX_AGE,
      concurrency: e.CONCURRENCY,
      assignmentsRefreshMs: e.ASSIGNMENTS_REFRESH_S * 1000,
      pushBatch: e.PUSH_BATCH,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT,
      logLevel: e.LOG_LEVEL,
      edgeProxy:
        e.HTTPS_PROXY || e.HTTP_PROXY
          ? {
              ...(e.HTTPS_PROXY ? { httpsProxy: e.HTTPS_PROXY } : {}),
              ...(e.HTTP_PROXY ? { httpProxy: e.HTTP_PROXY } : {}),
              ...(e.NO_PROXY ? { noProxy: e.NO_PROXY } : {}),
            }
          : null,
    },
  };
}
