// The Monitor: what to check, where from and how often. Shared by edge/ and probe-agent/.
import { z } from "zod";
import { normalizeTarget } from "./target.ts";
import { compileLinear } from "./regex.ts";
import { problemCheck } from "./issues.ts";
import { encodingProblem, headerValueProblem, textProblem } from "./text.ts";

/** Human text (names, groups, tag values): trimmed, no controls, bidi overrides or broken Unicode. */
export const PlainText = (max: number) => z.string().trim().min(1).max(max).superRefine(problemCheck(textProblem));

/** Bytes-like text (request bodies, tcp payloads, keywords): any characters but halves of a surrogate pair, which no encoding can send. */
const WellFormed = z.string().superRefine(problemCheck(encodingProblem));

export const KINDS = ["http", "tcp", "icmp", "tls"] as const;
export type Kind = (typeof KINDS)[number];
export const RUNNERS = ["edge", "agent"] as const;
export type Runner = (typeof RUNNERS)[number];

/** Minimum interval per runner: cron ticks once a minute; agents schedule themselves. */
export const MIN_INTERVAL_S: Record<Runner, number> = { edge: 60, agent: 10 };
/** Kinds the Workers runtime can run; the rest need an agent. */
export const EDGE_KINDS: readonly Kind[] = ["http"];

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

/** Each kind's option block, listed once: key = kind = block name. */
const OPTION_BLOCKS = { http: HttpOptions, tcp: TcpOptions, icmp: IcmpOptions, tls: TlsOptions } as const;

const MonitorFields = z.strictObject({
  id: MonitorId,
  name: PlainText(200).optional(),
  group: PlainText(100).nullable().default(null),
  kind: z.enum(KINDS),
  target: z.string().min(1).max(2048),
  interval_s: z.number().int().min(10).max(86400).default(60),
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
  failure_threshold: z.number().int().min(1).max(100).default(2),
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
});

/**
 * A monitor as given to the API: strict, with defaults applied and cross-field rules checked.
 * The output always has `name`, `runner`, `timeout_ms` and exactly the option block of its kind.
 */
export const Monitor = MonitorFields.superRefine((m, ctx) => {
  const runner = m.runner ?? (EDGE_KINDS.includes(m.kind) ? "edge" : "agent");
  const normal = normalizeTarget(m.kind, m.target);
  if ("error" in normal) ctx.addIssue({ code: "custom", path: ["target"], message: `${m.kind} target ${normal.error}` });
  if (runner === "edge" && !EDGE_KINDS.includes(m.kind))
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
  const runner = m.runner ?? (EDGE_KINDS.includes(m.kind) ? "edge" : "agent");
  const timeout_ms = m.timeout_ms ?? Math.min(10000, Math.floor((m.interval_s * 1000) / 2));
  const { http, tcp, icmp, tls, ...rest } = m;
  const blocks = { http, tcp, icmp, tls };
  // Stored normalised (an http URL as its href, hosts canonical), so what is checked, shown and budgeted is one spelling.
  const normal = normalizeTarget(m.kind, m.target);
  return {
    ...rest,
    target: "target" in normal ? normal.target : m.target,
    name: m.name ?? m.id,
    runner,
    timeout_ms,
    [m.kind]: blocks[m.kind] ?? OPTION_BLOCKS[m.kind].parse({}),
  } as MonitorSpec;
});

type Common = Omit<z.output<typeof MonitorFields>, "name" | "runner" | "timeout_ms" | Kind> & {
  name: string;
  runner: Runner;
  timeout_ms: number;
};
/** A validated monitor: common fields plus the option block of its kind. */
export type MonitorSpec =
  | (Common & { kind: "http"; http: HttpOptions })
  | (Common & { kind: "tcp"; tcp: TcpOptions })
  | (Common & { kind: "icmp"; icmp: IcmpOptions })
  | (Common & { kind: "tls"; tls: TlsOptions });
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
