// The agent's configuration: environment variables, validated once at startup with every problem listed.
import { z } from "zod";
import { agentPolicy, egressRulesVar, portRangesVar, type EgressPolicy } from "../../contract/egress.ts";
import { toIssues, type Issue } from "../../contract/index.ts";
import { emptyToUndefined, enumVar, envVar, intVar, optionalString, settingsOf, stringVar } from "../../contract/settings.ts";
import { readTokenFileSync } from "./token-file.ts";

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

/** Whole numbers are read from text only: process.env holds no numbers. */
const TEXT = { numbers: false };

const duration = (fallback: string, minMs: number) =>
  envVar(
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
const proxyUrl = envVar(
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

export const SettingsSchema = z.object({
  EDGE_URL: envVar(
    z.string({ error: "is required: the edge's base URL, e.g. https://uptime.example.net" }).transform((s, ctx) => {
      const url = parseHttpUrl(s);
      if (typeof url === "string") {
        ctx.addIssue({
          code: "custom",
          message: url === "not a URL" ? "must be an absolute http:// or https:// URL" : "must use http:// or https://",
        });
        return z.NEVER;
      }
      if (url.search || url.hash) {
        ctx.addIssue({ code: "custom", message: "must not have a query string or fragment" });
        return z.NEVER;
      }
      return url.href.replace(/\/+$/, "");
    }),
  ).describe("the edge's base URL, http:// or https://"),
  // One of AGENT_TOKEN and AGENT_TOKEN_FILE is required, never both: loadConfig checks the pair (tokenIssues).
  AGENT_TOKEN: envVar(z.string().regex(/^\S+$/, "must not contain whitespace").optional()).describe(
    "the token POST /api/v1/agents returned for this agent; read once, a new one needs a restart (else AGENT_TOKEN_FILE)",
  ),
  // Read here, once, so that a missing or empty file stops the agent at startup; the agent re-reads it while it runs.
  AGENT_TOKEN_FILE: envVar(
    z
      .string()
      .optional()
      .transform((file, ctx) => {
        if (file === undefined) return undefined;
        const r = readTokenFileSync(file);
        if (!r.ok) {
          ctx.addIssue({ code: "custom", message: r.problem });
          return z.NEVER;
        }
        return { file, token: r.token };
      }),
  ).describe(
    "a file holding the agent's token (a mounted Kubernetes Secret), read again while the agent runs: a new token needs no restart",
  ),
  AGENT_TOKEN_RELOAD_S: intVar(10, 1, 3600, TEXT).describe(
    "seconds between reads of AGENT_TOKEN_FILE (also read at once when the edge refuses the token)",
  ),
  AGENT_LISTEN: envVar(
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
  ).describe("host:port of /healthz and /metrics (port 0: any free port)"),
  AGENT_DATA_DIR: stringVar("./data").describe("the outbox and the last good assignments; one agent per directory"),
  OUTBOX_MAX_RESULTS: intVar(100_000, 1, 100_000_000, TEXT).describe("results the outbox holds at most; past that the oldest are dropped"),
  OUTBOX_MAX_AGE: duration("7d", 60_000).describe("results older than this are dropped undelivered"),
  CONCURRENCY: intVar(256, 1, 10_000, TEXT).describe("checks running at once"),
  ASSIGNMENTS_REFRESH_S: intVar(30, 1, 3600, TEXT).describe("seconds between assignment refreshes"),
  PUSH_BATCH: intVar(500, 1, 1000, TEXT).describe("results per push"),
  SHUTDOWN_TIMEOUT: duration("8s", 0).describe("how long SIGTERM may take: running checks finish, then one last push"),
  LOG_LEVEL: enumVar(LOG_LEVELS, "info", `must be one of ${LOG_LEVELS.join(", ")}`).describe("the least level logged"),
  HTTPS_PROXY: proxyUrl.describe("proxy for an https:// edge (also https_proxy)"),
  HTTP_PROXY: proxyUrl.describe("proxy for an http:// edge (also http_proxy)"),
  NO_PROXY: optionalString.describe("hosts the edge is reached without the proxy (also no_proxy)"),
  // The egress policy of the checks (contract/egress.ts, docs/security.md), applied to the addresses names resolve to.
  EGRESS_ALLOW: egressRulesVar.describe(
    "CIDR ranges and addresses checks may reach although the agent refuses their kind (link-local, metadata, unspecified, multicast, broadcast)",
  ),
  EGRESS_DENY: egressRulesVar.describe("CIDR ranges, addresses and host names checks may never reach, checked after DNS resolution"),
  EGRESS_ALLOW_PORTS: portRangesVar.describe("the only ports tcp, tls and http checks may connect to (22,443,8000-8999); unset: any"),
  EGRESS_DENY_PORTS: portRangesVar.describe("ports tcp, tls and http checks may never connect to"),
});

/** The agent's settings: name, whether required, default and one line each. */
export const SETTINGS = settingsOf(SettingsSchema);

/**
 * How the agent reaches the edge through a proxy (the usual HTTPS_PROXY, HTTP_PROXY and NO_PROXY,
 * upper or lower case). Only the edge connection uses it: checks always go straight to their targets.
 */
export type EdgeProxy = { httpsProxy?: string; httpProxy?: string; noProxy?: string };

export type ConfigResult = { ok: true; config: AgentConfig } | { ok: false; issues: Issue[] };

/** Reads the agent's settings from environment variables; never throws. */
export function loadConfig(vars: Record<string, string | undefined>): ConfigResult {
  // Proxy variables are honoured in either case, the upper-case one first.
  const either = (name: string) => vars[name] || vars[name.toLowerCase()];
  const r = SettingsSchema.safeParse({
    ...vars,
    HTTPS_PROXY: either("HTTPS_PROXY"),
    HTTP_PROXY: either("HTTP_PROXY"),
    NO_PROXY: either("NO_PROXY"),
  });
  const issues = [...(r.success ? [] : toIssues(r.error)), ...tokenIssues(vars)];
  if (!r.success || issues.length) return { ok: false, issues: inSettingsOrder(issues) };
  return { ok: true, config: toAgentConfig(r.data) };
}

const TOKEN_REQUIRED = "is required, or AGENT_TOKEN_FILE: the token POST /api/v1/agents returned for this agent";
const TOKEN_TWICE = "AGENT_TOKEN and AGENT_TOKEN_FILE are both set; give the token one way only";

/** The agent's token comes from exactly one of AGENT_TOKEN and AGENT_TOKEN_FILE (empty counts as unset). */
function tokenIssues(vars: Record<string, string | undefined>): Issue[] {
  const inline = emptyToUndefined(vars.AGENT_TOKEN) !== undefined;
  const file = emptyToUndefined(vars.AGENT_TOKEN_FILE) !== undefined;
  if (inline && file) return [{ path: "AGENT_TOKEN", message: TOKEN_TWICE }];
  if (!inline && !file) return [{ path: "AGENT_TOKEN", message: TOKEN_REQUIRED }];
  return [];
}

/** Issues in the order the schema declares the settings, as the operator reads them. */
function inSettingsOrder(issues: Issue[]): Issue[] {
  const order = Object.keys(SettingsSchema.shape);
  const rank = (i: Issue) => {
    const n = order.indexOf(i.path.split(/[.[]/)[0]!);
    return n < 0 ? order.length : n;
  };
  return issues
    .map((issue, at) => ({ issue, at }))
    .sort((a, b) => rank(a.issue) - rank(b.issue) || a.at - b.at)
    .map((x) => x.issue);
}

/** The validated settings as the agent uses them: durations in ms, the proxy settings grouped. */
function toAgentConfig(e: z.output<typeof SettingsSchema>) {
  const edgeProxy: EdgeProxy | null =
    e.HTTPS_PROXY || e.HTTP_PROXY
      ? {
          ...(e.HTTPS_PROXY ? { httpsProxy: e.HTTPS_PROXY } : {}),
          ...(e.HTTP_PROXY ? { httpProxy: e.HTTP_PROXY } : {}),
          ...(e.NO_PROXY ? { noProxy: e.NO_PROXY } : {}),
        }
      : null;
  return {
    edgeUrl: e.EDGE_URL,
    /** The token as read at startup (loadConfig made sure one of the two gives it). */
    token: e.AGENT_TOKEN ?? e.AGENT_TOKEN_FILE?.token ?? "",
    /** null: the token is AGENT_TOKEN's, fixed; else the agent re-reads this file every tokenReloadMs. */
    tokenFile: e.AGENT_TOKEN_FILE?.file ?? null,
    tokenReloadMs: e.AGENT_TOKEN_RELOAD_S * 1000,
    listen: e.AGENT_LISTEN,
    dataDir: e.AGENT_DATA_DIR,
    outboxMaxResults: e.OUTBOX_MAX_RESULTS,
    outboxMaxAgeMs: e.OUTBOX_MAX_AGE,
    concurrency: e.CONCURRENCY,
    assignmentsRefreshMs: e.ASSIGNMENTS_REFRESH_S * 1000,
    pushBatch: e.PUSH_BATCH,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT,
    logLevel: e.LOG_LEVEL,
    /** null: no proxy variable set, the edge is reached directly. */
    edgeProxy,
    /** Where checks may connect: the agent's defaults, EGRESS_ALLOW and EGRESS_DENY, the port lists. */
    egress: agentPolicy({ allow: e.EGRESS_ALLOW, deny: e.EGRESS_DENY, allowPorts: e.EGRESS_ALLOW_PORTS, denyPorts: e.EGRESS_DENY_PORTS }),
  };
}

/**
 * `egress` is optional for configurations built in code (tests); the checks then apply the agent's default policy.
 * So are `tokenFile` and `tokenReloadMs`: without them `token` is used as given, for the life of the agent.
 */
export type AgentConfig = Omit<ReturnType<typeof toAgentConfig>, "egress" | "tokenFile" | "tokenReloadMs"> & {
  egress?: EgressPolicy;
  tokenFile?: string | null;
  tokenReloadMs?: number;
};
