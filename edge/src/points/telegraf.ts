// The point schema (Telegraf-compatible): a stored result as Telegraf's measurement, tags and fields for its kind
// (http_response, net_response, ping, x509_cert: one point per certificate of the chain) and as lines, and a
// queried row back as a CheckResult. Where and why it differs from Telegraf: docs/influxdb.md.
import {
  DNS_RECORD_TYPES,
  ERROR_KINDS,
  HEARTBEAT_EVENTS,
  parseHostPort,
  type HeartbeatDetail,
  type CheckResult,
  type DnsDetail,
  type ErrorKind,
  type Kind,
  type TlsCertificate,
} from "../../../contract/index.ts";
import { isCloudflareOriginError } from "../../../contract/http-rules.ts";
import { encodePoint, int, type Point } from "./lineprotocol.ts";
import type { StoredResult } from "./store.ts";

/** One measurement per kind, named as Telegraf's input for the same check. */
export const MEASUREMENTS: Record<Kind, string> = {
  http: "http_response",
  tcp: "net_response",
  icmp: "ping",
  tls: "x509_cert",
  dns: "dns_query",
  // Telegraf has no input for a job that calls in: our own measurement, with the common tags and fields.
  heartbeat: "heartbeat",
};

/** Telegraf's http_response `result` values and their `result_code`. */
const HTTP_RESULT_CODES = {
  success: 0,
  response_string_mismatch: 1,
  body_read_error: 2,
  connection_failed: 3,
  timeout: 4,
  dns_error: 5,
  response_status_code_mismatch: 6,
} as const;

/** Telegraf's dns_query `result` values and their `result_code` (dns_query.go: Success, Timeout, Error). */
const DNS_RESULT_CODES = { success: 0, timeout: 1, error: 2 } as const;

/** Telegraf's net_response `result` values and their `result_code`. */
const NET_RESULT_CODES = { success: 0, timeout: 1, connection_failed: 2, read_failed: 3, string_mismatch: 4 } as const;

/**
 * Telegraf's ping `result_code`: 0 success, 1 no such host, 2 ping error. Telegraf's code also writes 1 when no
 * reply came back (ping.go: PacketsRecv == 0; ping_notwindows.go: iputils ping's exit status 1), and so do we.
 */
const PING_NO_HOST_OR_REPLY = 1;
const PING_ERROR = 2;

// Telegraf reports every client error that is neither a timeout nor DNS as connection_failed; so do we.
const HTTP_RESULT: Record<ErrorKind, keyof typeof HTTP_RESULT_CODES> = {
  timeout: "timeout",
  dns: "dns_error",
  refused: "connection_failed",
  unreachable: "connection_failed",
  connection: "connection_failed",
  tls: "connection_failed",
  status: "response_status_code_mismatch",
  keyword: "response_string_mismatch",
  permission: "connection_failed",
  other: "connection_failed",
};

const NET_RESULT: Record<ErrorKind, keyof typeof NET_RESULT_CODES> = {
  timeout: "timeout",
  dns: "connection_failed",
  refused: "connection_failed",
  unreachable: "connection_failed",
  connection: "connection_failed",
  tls: "connection_failed",
  status: "string_mismatch",
  keyword: "string_mismatch",
  permission: "connection_failed",
  other: "connection_failed",
};

/**
 * The kind's block as the schema keeps it, so both stores return the same thing:
 * http always has its block (nulls when nothing was measured); tcp's port falls back to the target's;
 * a tls block with nothing in it is dropped; tls `expires_at` is kept to the second (X.509 validity
 * has no finer resolution; Telegraf's `enddate` is whole seconds); the tls chain is written as
 * points but not read back (a check's history is the leaf's summary).
 */
export function keptDetail(r: StoredResult): Pick<CheckResult, "http" | "tcp" | "icmp" | "tls" | "dns" | "heartbeat"> {
  switch (r.kind) {
    case "http": {
      const matched = r.http?.keyword_matched;
      return {
        http: {
          status: r.http?.status ?? null,
          content_length: r.http?.content_length ?? null,
          ...(matched === undefined ? {} : { keyword_matched: matched }),
        },
      };
    }
    case "tcp": {
      const hp = parseHostPort(r.target);
      const port = r.tcp?.port ?? (typeof hp === "string" ? null : hp.port);
      const found = r.tcp?.expect_found;
      return port === null ? {} : { tcp: { port, ...(found === undefined ? {} : { expect_found: found }) } };
    }
    case "icmp":
      return r.icmp ? { icmp: { ...r.icmp } } : {};
    case "tls": {
      const t = r.tls;
      if (!t) return {};
      const kept = {
        expires_at: t.expires_at === null ? null : Math.floor(t.expires_at / 1000) * 1000,
        days_left: t.days_left,
        issuer: t.issuer,
        common_name: t.common_name,
        verified: t.verified,
      };
      return Object.values(kept).every((v) => v === null) ? {} : { tls: kept };
    }
    case "dns":
      return r.dns ? { dns: { ...r.dns, values: [...r.dns.values] } } : {};
    case "heartbeat": {
      const h = r.heartbeat;
      return h ? { heartbeat: { event: h.event, started_at: h.started_at, message: h.message } } : {};
    }
  }
}

/** Shifts a decimal point exactly (0.07 → 7, not 7.000000000000001), so loss ↔ percent round-trips. */
const shiftDecimal = (n: number, places: number): number => Number(`${n}e${places}`);

/** Telegraf's tags and fields for one certificate (x509_cert.go getTags and getFields), its times against `ts`. */
function certificatePoint(c: TlsCertificate, ts: number): Pick<Point, "tags" | "fields"> {
  return {
    tags: {
      type: c.type,
      common_name: c.common_name,
      organization: c.organization,
      organizational_unit: c.organizational_unit,
      country: c.country,
      province: c.province,
      locality: c.locality,
      serial_number: c.serial_number,
      signature_algorithm: c.signature_algorithm,
      public_key_algorithm: c.public_key_algorithm,
      issuer_common_name: c.issuer_common_name,
      issuer_serial_number: c.issuer_serial_number,
      san: c.san,
      verification: c.verified ? "valid" : "invalid",
    },
    fields: {
      age: int((ts - c.not_before) / 1000),
      expiry: int((c.not_after - ts) / 1000),
      startdate: int(c.not_before / 1000),
      enddate: int(c.not_after / 1000),
      verification_code: int(c.verified ? 0 : 1),
      verification_error: c.verification_error,
      public_key_length: c.public_key_length === null ? null : int(c.public_key_length),
    },
  };
}

/** Whether the answer's status satisfied expected_status: Telegraf's response_status_code_match, as the check judged it. */
function statusMatched(r: StoredResult, status: number): boolean {
  const e = r.error;
  if (!e) return true;
  // judgeStatus reports a Cloudflare origin error (52x) as the failure it names, not as `status`.
  return e.kind !== "status" && !(isCloudflareOriginError(status) && (e.kind === "connection" || e.kind === "tls"));
}

const flag = (b: boolean | undefined): { int: number } | null => (b === undefined ? null : int(b ? 1 : 0));

/**
 * A stored result as points: Telegraf's measurement, tags and fields for its kind, plus ours (monitor, location,
 * agent, up, check_id, latency_ms, error). The first is the check's point; a tls result whose chain the agent
 * reported adds one x509_cert point per further certificate (intermediates, root), which carry the tags monitor,
 * location and agent but none of our fields, so counting `up` still counts checks.
 */
export function toPoints(r: StoredResult): Point[] {
  const tags: Point["tags"] = { monitor: r.monitor, location: r.location, agent: r.agent };
  const fields: Point["fields"] = {
    up: int(r.ok ? 1 : 0),
    check_id: r.id,
    latency_ms: r.latency_ms,
    error_kind: r.error?.kind,
    error: r.error?.message,
  };
  const seconds = r.latency_ms === null ? null : r.latency_ms / 1000;
  const detail = keptDetail(r);
  const measurement = MEASUREMENTS[r.kind];
  const more: Point[] = [];
  switch (r.kind) {
    case "http": {
      const result = r.error ? HTTP_RESULT[r.error.kind] : "success";
      const status = detail.http?.status ?? null;
      tags.server = r.target;
      tags.method = r.method ?? null;
      tags.status_code = status === null ? null : String(status);
      tags.result = result;
      fields.response_time = seconds;
      fields.http_response_code = status === null ? null : int(status);
      fields.content_length = detail.http?.content_length == null ? null : int(detail.http.content_length);
      fields.result_code = int(HTTP_RESULT_CODES[result]);
      fields.result_type = result; // deprecated in Telegraf 1.6, still written by it and read by older dashboards
      // expected_status is always set (default 2xx), so this is always said, as Telegraf does when response_status_code is set.
      fields.response_status_code_match = status === null ? null : flag(statusMatched(r, status));
      fields.response_string_match = flag(detail.http?.keyword_matched);
      break;
    }
    case "tcp": {
      const result = r.error ? NET_RESULT[r.error.kind] : "success";
      const hp = parseHostPort(r.target);
      tags.server = typeof hp === "string" ? r.target : hp.host;
      tags.port = detail.tcp ? String(detail.tcp.port) : null;
      tags.protocol = "tcp";
      tags.result = result;
      fields.response_time = seconds;
      fields.result_code = int(NET_RESULT_CODES[result]);
      fields.result_type = result; // deprecated in Telegraf 1.7, still written by it
      fields.string_found = detail.tcp?.expect_found; // deprecated in Telegraf 1.4: a boolean, when expect is set
      break;
    }
    case "icmp": {
      const i = detail.icmp;
      tags.url = r.target;
      if (i) {
        fields.packets_transmitted = int(i.sent);
        fields.packets_received = int(i.received);
        fields.percent_packet_loss = shiftDecimal(i.loss, 2);
        fields.minimum_response_ms = i.rtt_min_ms;
        fields.average_response_ms = i.rtt_avg_ms;
        fields.maximum_response_ms = i.rtt_max_ms;
        fields.standard_deviation_ms = i.rtt_stddev_ms;
        fields.ttl = i.ttl === undefined ? null : int(i.ttl);
      }
      const noHostOrReply = r.error?.kind === "dns" || (i !== undefined && i.received === 0);
      fields.result_code = int(!r.error ? 0 : noHostOrReply ? PING_NO_HOST_OR_REPLY : PING_ERROR);
      break;
    }
    case "tls": {
      const t = detail.tls;
      const source = `tcp://${r.target}`;
      const [leaf, ...issuers] = r.tls?.chain ?? [];
      if (t && leaf) {
        const c = certificatePoint(leaf, r.ts);
        Object.assign(tags, c.tags);
        Object.assign(fields, c.fields);
      }
      tags.source = source;
      tags.type = t ? "leaf" : null;
      tags.common_name = t?.common_name;
      tags.issuer_common_name = t?.issuer;
      tags.verification = t?.verified == null ? null : t.verified ? "valid" : "invalid";
      if (t) {
        fields.expiry = t.expires_at === null ? null : int((t.expires_at - r.ts) / 1000);
        fields.enddate = t.expires_at === null ? null : int(t.expires_at / 1000);
        fields.days_left = t.days_left;
        fields.verification_code = t.verified === null ? null : int(t.verified ? 0 : 1);
        for (const cert of leaf ? issuers : []) {
          const c = certificatePoint(cert, r.ts);
          more.push({
            measurement,
            tags: { monitor: r.monitor, location: r.location, agent: r.agent, source, ...c.tags },
            fields: c.fields,
            ts: r.ts,
          });
        }
      }
      break;
    }
    case "dns": {
      const d = detail.dns;
      const result = !r.error ? "success" : r.error.kind === "timeout" ? "timeout" : "error";
      // Telegraf's server tag is the address asked (its port is a separate setting); ours adds the port as a tag.
      const hp = d && d.server !== "" ? parseHostPort(d.server) : null;
      tags.server = typeof hp === "string" ? (d?.server ?? null) : (hp?.host ?? null);
      tags.port = hp && typeof hp !== "string" ? String(hp.port) : null;
      tags.domain = r.target;
      tags.record_type = d?.record_type ?? null;
      tags.result = result;
      tags.rcode = d?.rcode;
      fields.query_time_ms = r.latency_ms;
      fields.result_code = int(DNS_RESULT_CODES[result]);
      fields.rcode_value = d?.rcode_value == null ? null : int(d.rcode_value);
      fields.answers = d?.answers == null ? null : int(d.answers);
      fields.values = d && d.values.length > 0 ? JSON.stringify(d.values) : null;
      break;
    }
    case "heartbeat": {
      const h = detail.heartbeat;
      tags.event = h?.event;
      // The run's duration from its /start, whole milliseconds; started_at is read back as time - duration_ms.
      fields.duration_ms = h?.started_at == null ? null : int(r.ts - h.started_at);
      fields.message = h?.message;
      break;
    }
  }
  return [{ measurement, tags, fields, ts: r.ts }, ...more];
}

/** The check's own point (for tls, the leaf's). */
export const toPoint = (r: StoredResult): Point => toPoints(r)[0]!;

/** A stored result as its lines of line protocol: one, or one per certificate for a tls chain. */
export const toLines = (r: StoredResult): string[] => toPoints(r).map(encodePoint);

/** A stored result's own line (for tls, the leaf's). */
export const toLine = (r: StoredResult): string => encodePoint(toPoint(r));

/** A row of `SELECT *` on a kind's measurement (queried with epoch=ms): column name → value. */
export type PointRow = Record<string, unknown>;

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
const isErrorKind = (v: unknown): v is ErrorKind => (ERROR_KINDS as readonly unknown[]).includes(v);

/** The inverse of toPoint: rebuilds the CheckResult from a queried row of a check's point, for the fields the schema keeps. */
export function fromRow(kind: Kind, row: PointRow): CheckResult {
  const ok = row.up === 1 || row.up === true;
  const result: CheckResult = {
    id: String(row.check_id ?? ""),
    monitor: String(row.monitor ?? ""),
    ts: Number(row.time),
    ok,
    latency_ms: num(row.latency_ms),
    location: String(row.location ?? ""),
    agent: str(row.agent),
    error: ok ? null : { kind: isErrorKind(row.error_kind) ? row.error_kind : "other", message: str(row.error) ?? "unknown error" },
  };
  switch (kind) {
    case "http": {
      const matched = num(row.response_string_match);
      result.http = {
        status: num(row.http_response_code),
        content_length: num(row.content_length),
        ...(matched === null ? {} : { keyword_matched: matched === 1 }),
      };
      break;
    }
    case "tcp": {
      const port = Number(row.port);
      const found = typeof row.string_found === "boolean" ? { expect_found: row.string_found } : {};
      if (Number.isInteger(port) && port > 0) result.tcp = { port, ...found };
      break;
    }
    case "icmp": {
      const sent = num(row.packets_transmitted);
      const stddev = num(row.standard_deviation_ms);
      const ttl = num(row.ttl);
      if (sent !== null)
        result.icmp = {
          sent,
          received: num(row.packets_received) ?? 0,
          loss: shiftDecimal(num(row.percent_packet_loss) ?? 0, -2),
          rtt_min_ms: num(row.minimum_response_ms),
          rtt_avg_ms: num(row.average_response_ms),
          rtt_max_ms: num(row.maximum_response_ms),
          ...(stddev === null ? {} : { rtt_stddev_ms: stddev }),
          ...(ttl === null ? {} : { ttl }),
        };
      break;
    }
    case "tls": {
      const enddate = num(row.enddate);
      const tls = {
        expires_at: enddate === null ? null : enddate * 1000,
        days_left: num(row.days_left),
        issuer: str(row.issuer_common_name),
        common_name: str(row.common_name),
        verified: row.verification === "valid" ? true : row.verification === "invalid" ? false : null,
      };
      if (Object.values(tls).some((v) => v !== null)) result.tls = tls;
      break;
    }
    case "dns": {
      const host = str(row.server);
      const port = str(row.port);
      const rcodeValue = num(row.rcode_value);
      const answers = num(row.answers);
      let values: string[] = [];
      try {
        const parsed: unknown = typeof row.values === "string" ? JSON.parse(row.values) : [];
        if (Array.isArray(parsed)) values = parsed.filter((v): v is string => typeof v === "string");
      } catch {
        /* not ours: no values */
      }
      const server = host === null ? "" : port === null ? host : host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
      const recordType = (DNS_RECORD_TYPES as readonly unknown[]).includes(row.record_type)
        ? (row.record_type as DnsDetail["record_type"])
        : null;
      if (recordType) result.dns = { server, record_type: recordType, rcode_value: rcodeValue, rcode: str(row.rcode), answers, values };
      break;
    }
    case "heartbeat": {
      const event = (HEARTBEAT_EVENTS as readonly unknown[]).includes(row.event) ? (row.event as HeartbeatDetail["event"]) : null;
      const duration = num(row.duration_ms);
      if (event) result.heartbeat = { event, started_at: duration === null ? null : result.ts - duration, message: str(row.message) };
      break;
    }
  }
  return result;
}
