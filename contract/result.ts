// A check result and the batch agents push: the contract between probe-agent/ and edge/.
import { z } from "zod";
import { DNS_RECORD_TYPES, Location, MAX_DNS_VALUES, MonitorId, Slug } from "./monitor.ts";
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
  /** Whether the body passed `keyword` and `keyword_absent`; present only when one is set and the body was judged. */
  keyword_matched: z.boolean().optional(),
});
export const TcpDetail = z.strictObject({
  port: z.number().int().min(1).max(65535),
  /** Whether `tcp.expect` was received; present only when the monitor sets one. */
  expect_found: z.boolean().optional(),
});
export const IcmpDetail = z.strictObject({
  sent: z.number().int().nonnegative().max(1000),
  received: z.number().int().nonnegative().max(1000),
  loss: z.number().min(0).max(1),
  rtt_min_ms: Ms.nullable(),
  rtt_avg_ms: Ms.nullable(),
  rtt_max_ms: Ms.nullable(),
  /** Population standard deviation of the replies' RTTs (as ping's mdev); present when a reply came back. */
  rtt_stddev_ms: Ms.optional(),
  /** The IP TTL (IPv6 hop limit) of the first reply; present only when the pinger reports it (iputils ping does, fping 5.1 cannot). */
  ttl: z.number().int().min(0).max(255).optional(),
});

/** Longest `san` list kept: whole names only, cut at a name (see the agent's certificates.ts). */
export const MAX_SAN = 4096;
export const CERTIFICATE_TYPES = ["leaf", "intermediate", "root"] as const;
const CertName = encodable(1024).nullable().default(null);
/** An algorithm's name as Go's crypto/x509 spells it ("SHA256-RSA", "ECDSA"), which Telegraf writes. */
const AlgorithmName = z
  .string()
  .regex(/^[A-Za-z0-9-]{1,32}$/)
  .nullable()
  .default(null);

/**
 * One certificate of the chain the server presented (and the trusted root it ends in), with what
 * Telegraf's x509_cert writes for each: the leaf first, then each issuer up to a self-signed root.
 */
export const TlsCertificate = z.strictObject({
  type: z.enum(CERTIFICATE_TYPES),
  common_name: CertName,
  organization: CertName,
  organizational_unit: CertName,
  country: CertName,
  province: CertName,
  locality: CertName,
  /** Lower-case hex without leading zeros, as Go's big.Int Text(16). */
  serial_number: z
    .string()
    .regex(/^-?[0-9a-f]{1,128}$/)
    .nullable()
    .default(null),
  signature_algorithm: AlgorithmName,
  public_key_algorithm: AlgorithmName,
  /** Bits: RSA modulus, EC curve size, 256 for Ed25519. */
  public_key_length: z.number().int().min(1).max(65536).nullable().default(null),
  issuer_common_name: CertName,
  /** The issuer name's serialNumber attribute (not the issuer certificate's serial), as Telegraf's tag. */
  issuer_serial_number: CertName,
  /** DNS names, e-mail addresses, IP addresses and URIs, comma-separated in that order. */
  san: encodable(MAX_SAN).nullable().default(null),
  not_before: Timestamp,
  not_after: Timestamp,
  verified: z.boolean(),
  verification_error: encodable(MAX_MESSAGE).nullable().default(null),
});
export type TlsCertificate = z.output<typeof TlsCertificate>;
export const MAX_CHAIN = 10;

export const TlsDetail = z.strictObject({
  expires_at: Timestamp.nullable(),
  days_left: z.number().finite().min(-1e6).max(1e6).nullable(),
  issuer: encodable(1024).nullable(),
  common_name: encodable(1024).nullable().default(null),
  verified: z.boolean().nullable().default(null),
  /** The chain, leaf first; written as one x509_cert point each. Agents before issue 16 do not send it. */
  chain: z
    .array(TlsCertificate)
    .min(1)
    .max(MAX_CHAIN)
    .refine((c) => c.every((cert, i) => (cert.type === "leaf") === (i === 0)), "must start with the leaf, and hold only one")
    .optional(),
});

/** What a DNS query got: who answered, the response code, and the answer section's records. */
export const DnsDetail = z.strictObject({
  /** The server asked, as `host:port` (`[v6]:port`); the system resolver's first server when none is set. */
  server: encodable(300),
  /** The record type asked for (the monitor's `dns.record_type`): Telegraf's record_type tag. */
  record_type: z.enum(DNS_RECORD_TYPES),
  /** The response code's value (0-4095, RFC 6895) and its name; null when no response came. */
  rcode_value: z.number().int().min(0).max(4095).nullable(),
  rcode: encodable(16).nullable(),
  /** Records of the asked type in the answer section. */
  answers: z.number().int().nonnegative().max(65535).nullable(),
  /** Their values as dig prints them (`10 mail.example.test.` for MX; TXT: its strings joined), the first MAX_DNS_VALUES. */
  values: z.array(encodable(2048)).max(MAX_DNS_VALUES).default([]),
});
export type DnsDetail = z.output<typeof DnsDetail>;

/** What a heartbeat result says: a ping from the job (`success`, `fail`, `start`), or the tick's `missed` deadline. */
export const HEARTBEAT_EVENTS = ["success", "fail", "start", "missed"] as const;
export const HeartbeatDetail = z.strictObject({
  event: z.enum(HEARTBEAT_EVENTS),
  /** The start of the run this ping ends (a `/start` ping before it), when there was one. */
  started_at: Timestamp.nullable().default(null),
  /** The first bytes of the ping's body, as text: the job's own message. */
  message: encodable(MAX_MESSAGE).nullable().default(null),
});
export type HeartbeatDetail = z.output<typeof HeartbeatDetail>;

/** Most tries one run of a check makes: the check and, for a failure, two confirming retries (contract/outcome.ts). */
export const MAX_TRIES = 3;

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
    /** A failure's tries in a row within this run, its confirming retries included (absent: 1); each counts toward `failure_threshold`. */
    tries: z.number().int().min(1).max(MAX_TRIES).optional(),
    http: HttpDetail.optional(),
    tcp: TcpDetail.optional(),
    icmp: IcmpDetail.optional(),
    tls: TlsDetail.optional(),
    dns: DnsDetail.optional(),
    heartbeat: HeartbeatDetail.optional(),
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
