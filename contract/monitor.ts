// The Monitor: what to check, where from and how often. Shared by edge/ and probe-agent/.
import { z } from "zod";
import { isIPv4, isIPv6, normalizeTarget, parseDnsServer } from "./target.ts";
import { compileLinear } from "./regex.ts";
import { problemCheck } from "./issues.ts";
import { encodingProblem, headerValueProblem, textProblem } from "./text.ts";

/** Human text (names, groups, tag values): trimmed, no controls, bidi overrides or broken Unicode. */
export const PlainText = (max: number) => z.string().trim().min(1).max(max).superRefine(problemCheck(textProblem));

/** Bytes-like text (request bodies, tcp payloads, keywords): any characters but halves of a surrogate pair, which no encoding can send. */
const WellFormed = z.string().superRefine(problemCheck(encodingProblem));

export const KINDS = ["http", "tcp", "icmp", "tls", "dns", "heartbeat"] as const;
export type Kind = (typeof KINDS)[number];
/** Kinds nothing runs: the monitored job calls in (a ping URL on the Worker), and the tick notices silence. */
export const PUSH_KINDS = ["heartbeat"] as const satisfies readonly Kind[];
export type PushKind = (typeof PUSH_KINDS)[number];
/** Kinds an agent runs: every kind but the pushed ones. */
export const AGENT_KINDS = KINDS.filter((k): k is Exclude<Kind, PushKind> => !(PUSH_KINDS as readonly Kind[]).includes(k));
export type AgentKind = Exclude<Kind, PushKind>;
export const RUNNERS = ["edge", "agent"] as const;
export type Runner = (typeof RUNNERS)[number];

/** Minimum interval per runner: cron ticks once a minute; agents schedule themselves. */
export const MIN_INTERVAL_S: Record<Runner, number> = { edge: 60, agent: 10 };
/** Kinds the Workers runtime can run; the rest need an agent. */
export const EDGE_KINDS: readonly Kind[] = ["http"];

/** Where a kind runs when `runner` is left out: http on the edge, heartbeats watched by the Worker, the rest on agents. */
export function defaultRunner(kind: Kind): Runner {
  return EDGE_KINDS.includes(kind) || kind === "heartbeat" ? "edge" : "agent";
}

export const Slug = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
    "must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit",
  );
export const MonitorId = Slug;
export const Location = Slug;

const StatusSpec = z
  .union([
    z.number().int().min(100).max(599),
    z.string().regex(/^([1-5]\d\d|[1-5]xx)$/, 'must be a status code like "200" or a class like "2xx"'),
  ])
  .transform((v) => String(v));

export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

export const HttpOptions = z.strictObject({
  method: z.enum(HTTP_METHODS).default("GET"),
  headers: z
    .record(
      z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "is not a valid header name"),
      z.string().max(8192).superRefine(problemCheck(headerValueProblem)),
    )
    .refine((h) => Object.keys(h).length <= 50, "at most 50 headers")
    .default({}),
  body: WellFormed.max(65536).nullable().default(null),
  expected_status: z.array(StatusSpec).min(1).max(50).default(["2xx"]),
  follow_redirects: z.boolean().default(true),
  keyword: WellFormed.min(1).max(1024).nullable().default(null),
  keyword_absent: WellFormed.min(1).max(1024).nullable().default(null),
});
export type HttpOptions = z.output<typeof HttpOptions>;

export const TcpOptions = z
  .strictObject({
    send: WellFormed.max(4096).nullable().default(null),
    expect: WellFormed.min(1).max(4096).nullable().default(null),
    expect_regex: z.boolean().default(false),
  })
  .superRefine((o, ctx) => {
    // Compiled at create, with the engine the agent matches with, so a bad pattern fails here and not at every check.
    if (!o.expect_regex || o.expect === null) return;
    const re = compileLinear(o.expect);
    if (!re.ok) ctx.addIssue({ code: "custom", path: ["expect"], message: `is not a usable regular expression: ${re.error}` });
  });
export type TcpOptions = z.output<typeof TcpOptions>;

export const IcmpOptions = z.strictObject({
  count: z.number().int().min(1).max(20).default(3),
});
export type IcmpOptions = z.output<typeof IcmpOptions>;

export const TlsOptions = z.strictObject({
  server_name: z.string().min(1).max(253).nullable().default(null),
});
export type TlsOptions = z.output<typeof TlsOptions>;

export const DNS_RECORD_TYPES = ["A", "AAAA", "CNAME", "MX", "TXT", "NS", "SOA"] as const;
export const DNS_TRANSPORTS = ["udp", "tcp"] as const;
/** Response codes by their RFC 1035/2136 names, as dig prints them, in value order (NOERROR = 0 … NOTZONE = 10). */
export const DNS_RCODES = [
  "NOERROR",
  "FORMERR",
  "SERVFAIL",
  "NXDOMAIN",
  "NOTIMP",
  "REFUSED",
  "YXDOMAIN",
  "YXRRSET",
  "NXRRSET",
  "NOTAUTH",
  "NOTZONE",
] as const;

/** Most values `dns.expected_values` may list, and most values a result reports (DnsDetail.values). */
export const MAX_DNS_VALUES = 50;

/**
 * A DNS query (the target is the name asked for) and what its answer must hold: the response code one of
 * `valid_rcodes`, every `expected_values` entry among the answer's values, at least one value matching
 * `answer_regex`, and between `min_answers` and `max_answers` records of the asked type (docs/checks.md).
 */
export const DnsOptions = z
  .strictObject({
    record_type: z.enum(DNS_RECORD_TYPES).default("A"),
    /** `host` or `host:port` (IPv6 as `[addr]:port`) of the server to ask (port 53 when left out); null = the agent's system resolver. */
    server: z
      .string()
      .min(1)
      .max(261)
      .superRefine((s, ctx) => {
        const hp = s === "" ? null : parseDnsServer(s); // "" is reported by min(1)
        if (typeof hp === "string") ctx.addIssue({ code: "custom", message: hp });
      })
      .nullable()
      .default(null),
    transport: z.enum(DNS_TRANSPORTS).default("udp"),
    recursion_desired: z.boolean().default(true),
    valid_rcodes: z
      .array(z.enum(DNS_RCODES))
      .min(1)
      .max(DNS_RCODES.length)
      .refine((r) => new Set(r).size === r.length, "must not repeat a response code")
      .default(["NOERROR"]),
    /** Values that must all be among the answer's (as the agent prints them: docs/checks.md); names match case-insensitively, with or without the trailing dot. */
    expected_values: z
      .array(z.string().trim().min(1).max(2048).superRefine(problemCheck(encodingProblem)))
      .max(MAX_DNS_VALUES)
      .default([]),
    /** A regular expression (RE2 syntax) at least one answer value must match; null = none. */
    answer_regex: WellFormed.min(1).max(4096).nullable().default(null),
    /** Fewest and most records of `record_type` the answer section may hold; null = no bound. */
    min_answers: z.number().int().min(0).max(65535).nullable().default(null),
    max_answers: z.number().int().min(0).max(65535).nullable().default(null),
  })
  .superRefine((o, ctx) => {
    // Compiled at create, with the engine the agent matches with (as tcp.expect), so a bad pattern fails here.
    if (o.answer_regex !== null) {
      const re = compileLinear(o.answer_regex);
      if (!re.ok) ctx.addIssue({ code: "custom", path: ["answer_regex"], message: `is not a usable regular expression: ${re.error}` });
    }
    if (o.min_answers !== null && o.max_answers !== null && o.min_answers > o.max_answers)
      ctx.addIssue({ code: "custom", path: ["max_answers"], message: `must be at least min_answers (${o.min_answers})` });
    const address = o.record_type === "A" ? isIPv4 : o.record_type === "AAAA" ? isIPv6 : null;
    if (address)
      o.expected_values.forEach((v, i) => {
        if (v !== "" && !address(v))
          ctx.addIssue({
            code: "custom",
            path: ["expected_values", i],
            message: `${JSON.stringify(v)} is not an ${o.record_type === "A" ? "IPv4" : "IPv6"} address, which every ${o.record_type} value is`,
          });
      });
    if (o.max_answers !== null && o.expected_values.length > o.max_answers)
      ctx.addIssue({
        code: "custom",
        path: ["expected_values"],
        message: `lists ${o.expected_values.length} values, more than max_answers (${o.max_answers}) allows`,
      });
  });
export type DnsOptions = z.output<typeof DnsOptions>;

/** A job that calls in: silent for longer than the period (`interval_s`) plus `grace_s`, it is down. */
export const HeartbeatOptions = z.strictObject({
  grace_s: z
    .number()
    .int()
    .min(0)
    .max(7 * 86400)
    .default(300),
});
export type HeartbeatOptions = z.output<typeof HeartbeatOptions>;

/** Each kind's option block, listed once: key = kind = block name. */
const OPTION_BLOCKS = {
  http: HttpOptions,
  tcp: TcpOptions,
  icmp: IcmpOptions,
  tls: TlsOptions,
  dns: DnsOptions,
  heartbeat: HeartbeatOptions,
} as const;

const MonitorFields = z.strictObject({
  id: MonitorId,
  name: PlainText(200).optional(),
  group: PlainText(100).nullable().default(null),
  kind: z.enum(KINDS),
  /** What is checked; heartbeat monitors take none (their job calls the Worker). */
  target: z.string().min(1).max(2048).optional(),
  /** How often it is checked; for a heartbeat, the period the job runs on (up to 30 days). */
  interval_s: z
    .number()
    .int()
    .min(10)
    .max(30 * 86400)
    .default(60),
  timeout_ms: z.number().int().min(100).max(120000).optional(),
  runner: z.enum(RUNNERS).optional(),
  locations: z.array(Location).max(50).default([]),
  enabled: z.boolean().default(true),
  /** Show `target` on the public status page; off by default, as targets often name private hosts. */
  public_target: z.boolean().default(false),
  tags: z
    .record(Slug, z.string().max(256).superRefine(problemCheck(textProblem)))
    .refine((t) => Object.keys(t).length <= 50, "at most 50 tags")
    .default({}),
  /** Failed results in a row before the monitor is down; left out, 2 (a heartbeat's missed deadline or failure ping: 1). */
  failure_threshold: z.number().int().min(1).max(100).optional(),
  success_threshold: z.number().int().min(1).max(100).default(1),
  /** Re-run a failed check once at once and keep the second answer, so a single dropped packet is not a failure. */
  confirm_failures: z.boolean().default(true),
  /** Locations that must see it down before the monitor is down; null = a majority of its locations. */
  quorum: z.number().int().min(1).max(50).nullable().default(null),
  /** Degraded when successful checks are slower than this for `degraded_after` checks in a row; null = off. */
  latency_threshold_ms: z.number().int().min(1).max(120000).nullable().default(null),
  degraded_after: z.number().int().min(1).max(100).default(3),
  /** Warn when a tls check's certificate has fewer days left; null = the Worker's CERT_WARNING_DAYS. */
  certificate_warning_days: z.number().int().min(0).max(3650).nullable().default(null),
  /** Remind every this many seconds while down; null = the Worker's REMIND_EVERY_S (0 = off). */
  remind_every_s: z
    .number()
    .int()
    .min(0)
    .max(30 * 86400)
    .nullable()
    .default(null),
  http: HttpOptions.optional(),
  tcp: TcpOptions.optional(),
  icmp: IcmpOptions.optional(),
  tls: TlsOptions.optional(),
  dns: DnsOptions.optional(),
  heartbeat: HeartbeatOptions.optional(),
});

/**
 * A monitor as given to the API: strict, with defaults applied and cross-field rules checked.
 * The output always has `name`, `runner`, `timeout_ms` and exactly the option block of its kind.
 */
export const Monitor = MonitorFields.superRefine((m, ctx) => {
  const runner = m.runner ?? defaultRunner(m.kind);
  if (m.kind === "heartbeat") {
    if (m.target !== undefined)
      ctx.addIssue({
        code: "custom",
        path: ["target"],
        message: "heartbeat monitors take no target: the job calls the monitor's ping URL",
      });
    if (runner !== "edge")
      ctx.addIssue({
        code: "custom",
        path: ["runner"],
        message: 'heartbeat monitors are watched by the Worker; use "runner": "edge" or leave it out',
      });
  } else {
    if (m.target === undefined) ctx.addIssue({ code: "custom", path: ["target"], message: `is required for ${m.kind} monitors` });
    else {
      const normal = normalizeTarget(m.kind, m.target);
      if ("error" in normal) ctx.addIssue({ code: "custom", path: ["target"], message: `${m.kind} target ${normal.error}` });
    }
    if (m.interval_s > 86400)
      ctx.addIssue({ code: "custom", path: ["interval_s"], message: `must be at most 86400 for ${m.kind} monitors` });
  }
  if (runner === "edge" && !EDGE_KINDS.includes(m.kind) && m.kind !== "heartbeat")
    ctx.addIssue({ code: "custom", path: ["runner"], message: `${m.kind} monitors cannot run on the edge; use "runner": "agent"` });
  if (runner === "edge" && m.locations.length > 0)
    ctx.addIssue({
      code: "custom",
      path: ["locations"],
      message: 'locations name agent locations; edge monitors take none (use "runner": "agent")',
    });
  if (m.interval_s < MIN_INTERVAL_S[runner])
    ctx.addIssue({ code: "custom", path: ["interval_s"], message: `must be at least ${MIN_INTERVAL_S[runner]} for ${runner} monitors` });
  if (m.timeout_ms !== undefined && m.timeout_ms >= m.interval_s * 1000)
    ctx.addIssue({ code: "custom", path: ["timeout_ms"], message: `must be less than interval_s (${m.interval_s * 1000} ms)` });
  for (const block of KINDS)
    if (block !== m.kind && m[block] !== undefined)
      ctx.addIssue({ code: "custom", path: [block], message: `only ${block} monitors take a "${block}" block; this one is ${m.kind}` });
  if (m.quorum !== null && m.locations.length > 0 && m.quorum > m.locations.length)
    ctx.addIssue({ code: "custom", path: ["quorum"], message: `cannot exceed the number of locations (${m.locations.length})` });
  if (m.remind_every_s !== null && m.remind_every_s !== 0 && m.remind_every_s < 300)
    ctx.addIssue({ code: "custom", path: ["remind_every_s"], message: "must be 0 (off) or at least 300" });
  if (new Set(m.locations).size !== m.locations.length)
    ctx.addIssue({ code: "custom", path: ["locations"], message: "must not repeat a location" });
}).transform((m) => {
  const runner = m.runner ?? defaultRunner(m.kind);
  const timeout_ms = m.timeout_ms ?? Math.min(10000, Math.floor((m.interval_s * 1000) / 2));
  const { http, tcp, icmp, tls, dns, heartbeat, ...rest } = m;
  const blocks = { http, tcp, icmp, tls, dns, heartbeat };
  // Stored normalised (an http URL as its href, hosts canonical), so what is checked, shown and budgeted is one spelling.
  // A heartbeat has no target: stored as "", which nothing checks or shows.
  const normal = m.kind === "heartbeat" || m.target === undefined ? { target: "" } : normalizeTarget(m.kind, m.target);
  return {
    ...rest,
    target: "target" in normal ? normal.target : (m.target ?? ""),
    name: m.name ?? m.id,
    runner,
    timeout_ms,
    failure_threshold: m.failure_threshold ?? (m.kind === "heartbeat" ? 1 : 2),
    [m.kind]: blocks[m.kind] ?? OPTION_BLOCKS[m.kind].parse({}),
  } as MonitorSpec;
});

type Common = Omit<z.output<typeof MonitorFields>, "name" | "runner" | "timeout_ms" | "target" | "failure_threshold" | Kind> & {
  target: string;
  failure_threshold: number;
  name: string;
  runner: Runner;
  timeout_ms: number;
};
/** A validated monitor: common fields plus the option block of its kind. */
export type MonitorSpec =
  | (Common & { kind: "http"; http: HttpOptions })
  | (Common & { kind: "tcp"; tcp: TcpOptions })
  | (Common & { kind: "icmp"; icmp: IcmpOptions })
  | (Common & { kind: "tls"; tls: TlsOptions })
  | (Common & { kind: "dns"; dns: DnsOptions })
  | (Common & { kind: "heartbeat"; heartbeat: HeartbeatOptions });
export type MonitorInput = z.input<typeof Monitor>;

export const MONITOR_STATUSES = ["up", "down", "pending", "paused", "maintenance"] as const;
export type MonitorStatus = (typeof MONITOR_STATUSES)[number];

/**
 * RFC 7396 JSON merge patch: objects merge key by key, `null` removes a key, anything else
 * replaces. PATCH applies it to the stored monitor and validates the result as a whole.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target !== null && typeof target === "object" && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
