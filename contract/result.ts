// A check result and the batch agents push: the contract between probe-agent/ and edge/.
import { z } from "zod";
import { Location, MonitorId, Slug } from "./monitor.ts";
import { problemCheck } from "./issues.ts";
import { MAX_MESSAGE, encodingProblem, textProblem } from "./text.ts";
import { Timestamp } from "./time.ts";

export const ERROR_KINDS = [
  "timeout",
  "dns",
  "refused",
  "unreachable",
  "connection",
  "tls",
  "status",
  "keyword",
  "permission",
  "other",
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** Text that must encode as UTF-8 (no half surrogate pairs), checked with the path named. */
const encodable = (max: number) => z.string().max(max).superRefine(problemCheck(encodingProblem));

export const CheckError = z.strictObject({
  kind: z.enum(ERROR_KINDS),
  message: encodable(MAX_MESSAGE).min(1),
});
export type CheckError = z.output<typeof CheckError>;

/** The longest duration a result may report: an hour, far past any check's timeout, so sums and averages stay finite. */
export const MAX_RESULT_MS = 3_600_000;
const Ms = z.number().finite().nonnegative().max(MAX_RESULT_MS, `must be at most ${MAX_RESULT_MS} ms`);

export const HttpDetail = z.strictObject({
  status: z.number().int().min(100).max(599).nullable(),
  content_length: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).nullable().default(null),
});
export const TcpDetail = z.strictObject({ port: z.number().int().min(1).max(65535) });
export const IcmpDetail = z.strictObject({
  sent: z.number().int().nonnegative().max(1000),
  received: z.number().int().nonnegative().max(1000),
  loss: z.number().min(0).max(1),
  rtt_min_ms: Ms.nullable(),
  rtt_avg_ms: Ms.nullable(),
  rtt_max_ms: Ms.nullable(),
});
export const TlsDetail = z.strictObject({
  expires_at: Timestamp.nullable(),
  days_left: z.number().finite().min(-1e6).max(1e6).nullable(),
  issuer: encodable(1024).nullable(),
  common_name: encodable(1024).nullable().default(null),
  verified: z.boolean().nullable().default(null),
});

export const CheckResult = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 characters of letters, digits, '_' or '-'"),
    monitor: MonitorId,
    ts: Timestamp,
    ok: z.boolean(),
    latency_ms: Ms.nullable(),
    location: Location,
    agent: Slug.nullable().default(null),
    error: CheckError.nullable().default(null),
    http: HttpDetail.optional(),
    tcp: TcpDetail.optional(),
    icmp: IcmpDetail.optional(),
    tls: TlsDetail.optional(),
  })
  .superRefine((r, ctx) => {
    if (!r.ok && r.error === null) ctx.addIssue({ code: "custom", path: ["error"], message: "a failed result (ok: false) must say why" });
    if (r.ok && r.error !== null)
      ctx.addIssue({ code: "custom", path: ["error"], message: "a successful result (ok: true) carries no error" });
  });
export type CheckResult = z.output<typeof CheckResult>;

export const MAX_BATCH_RESULTS = 1000;

/** What an agent pushes to POST /api/v1/results. */
export const IngestBatch = z.strictObject({
  version: z.string().max(64).superRefine(problemCheck(textProblem)).optional(),
  backlog: z.number().int().nonnegative().max(1e9).optional(),
  results: z.array(CheckResult).max(MAX_BATCH_RESULTS, `at most ${MAX_BATCH_RESULTS} results per batch`),
});
export type IngestBatch = z.output<typeof IngestBatch>;
