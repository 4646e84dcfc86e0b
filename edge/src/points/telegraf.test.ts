// The exact line each kind of result becomes (Telegraf's measurements, tags and fields), the Telegraf result codes per
// error kind, and a queried row read back.
import { describe, expect, it } from "vitest";
import { ERROR_KINDS, type ErrorKind, type TlsCertificate } from "../../../contract/index.ts";
import type { StoredResult } from "./store.ts";
import { fromRow, keptDetail, toLine, toLines, toPoint } from "./telegraf.ts";

const TS = 1_764_216_000_000; // 2025-11-27T04:00:00Z

const base = {
  id: "01JABC",
  monitor: "homepage",
  ts: TS,
  ok: true,
  latency_ms: 123.5,
  location: "edge",
  agent: null,
  error: null,
} as const;

describe("toLine", () => {
  it("http: Telegraf's http_response tags and fields, escaped server URL", () => {
    const r: StoredResult = { ...base, kind: "http", target: "https://example.com/a b,c=d", http: { status: 200, content_length: 1024 } };
    expect(toLine(r)).toBe(
      "http_response,location=edge,monitor=homepage,result=success,server=https://example.com/a\\ b\\,c\\=d,status_code=200 " +
        'check_id="01JABC",content_length=1024i,http_response_code=200i,latency_ms=123.5,response_status_code_match=1i,response_time=0.1235,result_code=0i,result_type="success",up=1i ' +
        "1764216000000",
    );
  });

  it("http: the method tag, as Telegraf writes it, when the result carries one", () => {
    const r: StoredResult = { ...base, kind: "http", target: "http://h/", method: "POST", http: { status: 201, content_length: 0 } };
    expect(toLine(r)).toMatch(
      /^http_response,location=edge,method=POST,monitor=homepage,result=success,server=http:\/\/h\/,status_code=201 /,
    );
  });

  it("http failure from an agent: no status, error strings escaped, no latency", () => {
    const r: StoredResult = {
      ...base,
      id: "r2",
      monitor: "api",
      ok: false,
      latency_ms: null,
      location: "dc1",
      agent: "dc1-a",
      error: { kind: "timeout", message: 'no answer "in time" \\ after 10 s\nsecond line' },
      kind: "http",
      target: "http://10.0.0.5:8080/",
      http: { status: null, content_length: null },
    };
    expect(toLine(r)).toBe(
      "http_response,agent=dc1-a,location=dc1,monitor=api,result=timeout,server=http://10.0.0.5:8080/ " +
        'check_id="r2",error="no answer \\"in time\\" \\\\ after 10 s\nsecond line",error_kind="timeout",result_code=4i,result_type="timeout",up=0i ' +
        "1764216000000",
    );
  });

  it("http status mismatch keeps status_code as a tag and the latency", () => {
    const r: StoredResult = {
      ...base,
      ok: false,
      latency_ms: 12,
      error: { kind: "status", message: "got 503" },
      kind: "http",
      target: "https://x.test/",
      http: { status: 503, content_length: null },
    };
    expect(toLine(r)).toBe(
      "http_response,location=edge,monitor=homepage,result=response_status_code_mismatch,server=https://x.test/,status_code=503 " +
        'check_id="01JABC",error="got 503",error_kind="status",http_response_code=503i,latency_ms=12,response_status_code_match=0i,response_time=0.012,result_code=6i,result_type="response_status_code_mismatch",up=0i 1764216000000',
    );
  });

  it("tcp: net_response with server, port and protocol tags", () => {
    const r: StoredResult = {
      ...base,
      monitor: "db",
      ok: false,
      latency_ms: 0.25,
      location: "dc1",
      agent: "dc1-a",
      error: { kind: "refused", message: "connect ECONNREFUSED 10.0.0.5:5432" },
      kind: "tcp",
      target: "db.internal:5432",
      tcp: { port: 5432 },
    };
    expect(toLine(r)).toBe(
      "net_response,agent=dc1-a,location=dc1,monitor=db,port=5432,protocol=tcp,result=connection_failed,server=db.internal " +
        'check_id="01JABC",error="connect ECONNREFUSED 10.0.0.5:5432",error_kind="refused",latency_ms=0.25,response_time=0.00025,result_code=2i,result_type="connection_failed",up=0i 1764216000000',
    );
  });

  it("tcp to an IPv6 target without a tcp block takes host and port from the target", () => {
    const r: StoredResult = { ...base, monitor: "v6", latency_ms: 2, kind: "tcp", target: "[::1]:5432" };
    expect(toLine(r)).toBe(
      'net_response,location=edge,monitor=v6,port=5432,protocol=tcp,result=success,server=::1 check_id="01JABC",latency_ms=2,response_time=0.002,result_code=0i,result_type="success",up=1i 1764216000000',
    );
  });

  it("icmp: ping with Telegraf's packet and rtt fields; loss as an exact percentage", () => {
    const r: StoredResult = {
      ...base,
      monitor: "gw",
      latency_ms: 7,
      location: "dc2",
      kind: "icmp",
      target: "10.0.0.1",
      icmp: { sent: 100, received: 93, loss: 0.07, rtt_min_ms: 0.25, rtt_avg_ms: 7, rtt_max_ms: 70.125 },
    };
    expect(toLine(r)).toBe(
      "ping,location=dc2,monitor=gw,url=10.0.0.1 " +
        'average_response_ms=7,check_id="01JABC",latency_ms=7,maximum_response_ms=70.125,minimum_response_ms=0.25,packets_received=93i,packets_transmitted=100i,percent_packet_loss=7,result_code=0i,up=1i ' +
        "1764216000000",
    );
  });

  it("icmp: no such host and no reply at all are result_code 1 (as Telegraf's code writes), any other failure 2; null rtts are left out", () => {
    const dns: StoredResult = {
      ...base,
      monitor: "gw",
      ok: false,
      latency_ms: null,
      error: { kind: "dns", message: "no such host" },
      kind: "icmp",
      target: "gw.example.test",
    };
    expect(toLine(dns)).toBe(
      'ping,location=edge,monitor=gw,url=gw.example.test check_id="01JABC",error="no such host",error_kind="dns",result_code=1i,up=0i 1764216000000',
    );
    const lost: StoredResult = {
      ...dns,
      error: { kind: "timeout", message: "all lost" },
      icmp: { sent: 3, received: 0, loss: 1, rtt_min_ms: null, rtt_avg_ms: null, rtt_max_ms: null },
    };
    expect(toLine(lost)).toBe(
      'ping,location=edge,monitor=gw,url=gw.example.test check_id="01JABC",error="all lost",error_kind="timeout",packets_received=0i,packets_transmitted=3i,percent_packet_loss=100,result_code=1i,up=0i 1764216000000',
    );
    const denied: StoredResult = { ...dns, error: { kind: "permission", message: "no CAP_NET_RAW" } };
    expect(toLine(denied)).toContain(",result_code=2i,");
  });

  it("tls: x509_cert with expiry (seconds left), enddate and escaped names", () => {
    const r: StoredResult = {
      ...base,
      monitor: "cert",
      latency_ms: 12,
      kind: "tls",
      target: "mail.example.test:465",
      tls: {
        expires_at: Date.UTC(2026, 0, 1),
        days_left: 34.5,
        issuer: "R3, Let's Encrypt = CA",
        common_name: "mail example",
        verified: true,
      },
    };
    expect(toLine(r)).toBe(
      "x509_cert,common_name=mail\\ example,issuer_common_name=R3\\,\\ Let's\\ Encrypt\\ \\=\\ CA,location=edge,monitor=cert,source=tcp://mail.example.test:465,type=leaf,verification=valid " +
        'check_id="01JABC",days_left=34.5,enddate=1767225600i,expiry=3009600i,latency_ms=12,up=1i,verification_code=0i 1764216000000',
    );
  });

  it("tls failure before any certificate: only the common fields", () => {
    const r: StoredResult = {
      ...base,
      monitor: "cert",
      ok: false,
      latency_ms: null,
      error: { kind: "connection", message: "socket hang up" },
      kind: "tls",
      target: "mail.example.test:465",
    };
    expect(toLine(r)).toBe(
      'x509_cert,location=edge,monitor=cert,source=tcp://mail.example.test:465 check_id="01JABC",error="socket hang up",error_kind="connection",up=0i 1764216000000',
    );
  });
});

const DAY = 86_400_000;
const cert = (over: Partial<TlsCertificate> & Pick<TlsCertificate, "type">): TlsCertificate => ({
  common_name: null,
  organization: null,
  organizational_unit: null,
  country: null,
  province: null,
  locality: null,
  serial_number: null,
  signature_algorithm: null,
  public_key_algorithm: null,
  public_key_length: null,
  issuer_common_name: null,
  issuer_serial_number: null,
  san: null,
  not_before: TS - 100 * DAY,
  not_after: TS + 1000 * DAY,
  verified: true,
  verification_error: null,
  ...over,
});

describe("toLines: what Telegraf writes beyond the basics (issue 16)", () => {
  it("http: result_type beside result, and response_status_code_match, since expected_status is always set", () => {
    // A 404 under the default expected_status (2xx): the check failed, and the result tag says why (see docs/influxdb.md).
    const notFound: StoredResult = {
      ...base,
      ok: false,
      error: { kind: "status", message: "got 404" },
      kind: "http",
      target: "http://x.test/",
      method: "GET",
      http: { status: 404, content_length: 9 },
    };
    expect(toLine(notFound)).toBe(
      "http_response,location=edge,method=GET,monitor=homepage,result=response_status_code_mismatch,server=http://x.test/,status_code=404 " +
        'check_id="01JABC",content_length=9i,error="got 404",error_kind="status",http_response_code=404i,latency_ms=123.5,response_status_code_match=0i,' +
        'response_time=0.1235,result_code=6i,result_type="response_status_code_mismatch",up=0i 1764216000000',
    );
    // The same answer to a monitor that expects 4xx: success, as Telegraf with response_status_code = 404.
    const expected = toPoint({ ...notFound, ok: true, error: null });
    expect([expected.tags.result, expected.fields.response_status_code_match, expected.fields.result_code]).toEqual([
      "success",
      { int: 1 },
      { int: 0 },
    ]);
    // A Cloudflare origin error is not a status the monitor accepted either.
    const cf = toPoint({
      ...notFound,
      error: { kind: "connection", message: "got 522 from Cloudflare" },
      http: { status: 522, content_length: 0 },
    });
    expect([cf.tags.result, cf.fields.response_status_code_match]).toEqual(["connection_failed", { int: 0 }]);
  });

  it("http: response_string_match (1/0 integer) only when a keyword rule judged the body", () => {
    const http = (over: Partial<StoredResult>): StoredResult =>
      ({ ...base, kind: "http", target: "http://x.test/", ...over }) as StoredResult;
    expect(toLine(http({ http: { status: 200, content_length: 5, keyword_matched: true } }))).toContain(",response_string_match=1i,");
    const missing = http({
      ok: false,
      error: { kind: "keyword", message: "keyword missing" },
      http: { status: 200, content_length: 5, keyword_matched: false },
    });
    expect(toLine(missing)).toContain(",response_string_match=0i,");
    expect(toPoint(missing).tags.result).toBe("response_string_mismatch");
    expect(toLine(http({ http: { status: 200, content_length: 5 } }))).not.toContain("response_string_match");
  });

  it("tcp: result_type, and string_found as a boolean when an expect string is set", () => {
    const tcp = (over: Partial<StoredResult>): StoredResult => ({ ...base, kind: "tcp", target: "mx.test:25", ...over }) as StoredResult;
    expect(toLine(tcp({ tcp: { port: 25, expect_found: true } }))).toBe(
      'net_response,location=edge,monitor=homepage,port=25,protocol=tcp,result=success,server=mx.test check_id="01JABC",latency_ms=123.5,' +
        'response_time=0.1235,result_code=0i,result_type="success",string_found=true,up=1i 1764216000000',
    );
    const mismatch = tcp({ ok: false, error: { kind: "keyword", message: "got -ERR" }, tcp: { port: 25, expect_found: false } });
    expect(toLine(mismatch)).toContain(',result_code=4i,result_type="string_mismatch",string_found=false,');
    expect(toLine(tcp({ tcp: { port: 25 } }))).not.toContain("string_found");
  });

  it("icmp: standard_deviation_ms (float) and ttl (integer) when the pinger reported them", () => {
    const r: StoredResult = {
      ...base,
      kind: "icmp",
      target: "10.0.0.1",
      latency_ms: 2,
      icmp: { sent: 4, received: 3, loss: 0.25, rtt_min_ms: 1, rtt_avg_ms: 2, rtt_max_ms: 3, rtt_stddev_ms: 0.816, ttl: 57 },
    };
    expect(toLine(r)).toBe(
      "ping,location=edge,monitor=homepage,url=10.0.0.1 " +
        'average_response_ms=2,check_id="01JABC",latency_ms=2,maximum_response_ms=3,minimum_response_ms=1,packets_received=3i,packets_transmitted=4i,' +
        "percent_packet_loss=25,result_code=0i,standard_deviation_ms=0.816,ttl=57i,up=1i 1764216000000",
    );
  });

  it("tls: one x509_cert point per certificate, typed leaf/intermediate/root; only the leaf's carries the check's fields", () => {
    const r: StoredResult = {
      ...base,
      monitor: "cert",
      latency_ms: 12,
      kind: "tls",
      target: "mail.example.test:465",
      tls: {
        expires_at: Date.UTC(2026, 0, 1),
        days_left: 34.5,
        issuer: "Example Intermediate",
        common_name: "mail.example.test",
        verified: true,
        chain: [
          cert({
            type: "leaf",
            common_name: "mail.example.test",
            organization: "Example, Inc",
            country: "US",
            serial_number: "3a0f",
            signature_algorithm: "ECDSA-SHA256",
            public_key_algorithm: "ECDSA",
            public_key_length: 256,
            issuer_common_name: "Example Intermediate",
            san: "mail.example.test,10.0.0.5",
            not_before: TS - 10 * DAY,
            not_after: Date.UTC(2026, 0, 1),
          }),
          cert({
            type: "intermediate",
            common_name: "Example Intermediate",
            organization: "Example CA",
            serial_number: "1",
            signature_algorithm: "SHA256-RSA",
            public_key_algorithm: "RSA",
            public_key_length: 2048,
            issuer_common_name: "Example Root",
          }),
          cert({
            type: "root",
            common_name: "Example Root",
            issuer_common_name: "Example Root",
            issuer_serial_number: "42",
            verified: false,
            verification_error: "SELF_SIGNED_CERT_IN_CHAIN: the chain ends in a self-signed certificate that is not trusted",
          }),
        ],
      },
    };
    expect(toLines(r)).toEqual([
      "x509_cert,common_name=mail.example.test,country=US,issuer_common_name=Example\\ Intermediate,location=edge,monitor=cert,organization=Example\\,\\ Inc," +
        "public_key_algorithm=ECDSA,san=mail.example.test\\,10.0.0.5,serial_number=3a0f,signature_algorithm=ECDSA-SHA256,source=tcp://mail.example.test:465," +
        "type=leaf,verification=valid " +
        'age=864000i,check_id="01JABC",days_left=34.5,enddate=1767225600i,expiry=3009600i,latency_ms=12,public_key_length=256i,startdate=1763352000i,' +
        "up=1i,verification_code=0i 1764216000000",
      "x509_cert,common_name=Example\\ Intermediate,issuer_common_name=Example\\ Root,location=edge,monitor=cert,organization=Example\\ CA," +
        "public_key_algorithm=RSA,serial_number=1,signature_algorithm=SHA256-RSA,source=tcp://mail.example.test:465,type=intermediate,verification=valid " +
        "age=8640000i,enddate=1850616000i,expiry=86400000i,public_key_length=2048i,startdate=1755576000i,verification_code=0i 1764216000000",
      "x509_cert,common_name=Example\\ Root,issuer_common_name=Example\\ Root,issuer_serial_number=42,location=edge,monitor=cert," +
        "source=tcp://mail.example.test:465,type=root,verification=invalid " +
        "age=8640000i,enddate=1850616000i,expiry=86400000i,startdate=1755576000i,verification_code=1i," +
        'verification_error="SELF_SIGNED_CERT_IN_CHAIN: the chain ends in a self-signed certificate that is not trusted" 1764216000000',
    ]);
    // The history reads the leaf's summary back; the chain lives in the points only.
    expect(keptDetail(r).tls).not.toHaveProperty("chain");
  });
});

describe("result codes", () => {
  const http = (kind: ErrorKind) => toPoint({ ...base, ok: false, error: { kind, message: "x" }, kind: "http", target: "http://x.test/" });
  const tcp = (kind: ErrorKind) => toPoint({ ...base, ok: false, error: { kind, message: "x" }, kind: "tcp", target: "x.test:1" });

  it("maps every error kind onto Telegraf's http_response table", () => {
    const table = Object.fromEntries(
      ERROR_KINDS.map((k) => [k, [http(k).tags.result, (http(k).fields.result_code as { int: number }).int]]),
    );
    expect(table).toEqual({
      timeout: ["timeout", 4],
      dns: ["dns_error", 5],
      refused: ["connection_failed", 3],
      unreachable: ["connection_failed", 3],
      connection: ["connection_failed", 3],
      tls: ["connection_failed", 3],
      status: ["response_status_code_mismatch", 6],
      keyword: ["response_string_mismatch", 1],
      permission: ["connection_failed", 3],
      other: ["connection_failed", 3],
    });
  });

  it("maps every error kind onto Telegraf's net_response table", () => {
    const table = Object.fromEntries(ERROR_KINDS.map((k) => [k, [tcp(k).tags.result, (tcp(k).fields.result_code as { int: number }).int]]));
    expect(table).toEqual({
      timeout: ["timeout", 1],
      dns: ["connection_failed", 2],
      refused: ["connection_failed", 2],
      unreachable: ["connection_failed", 2],
      connection: ["connection_failed", 2],
      tls: ["connection_failed", 2],
      status: ["string_mismatch", 4],
      keyword: ["string_mismatch", 4],
      permission: ["connection_failed", 2],
      other: ["connection_failed", 2],
    });
  });
});

describe("fromRow and keptDetail", () => {
  it("rebuilds what toPoint wrote, from a row of SELECT *", () => {
    const r: StoredResult = {
      ...base,
      ok: false,
      agent: "dc1-a",
      error: { kind: "keyword", message: "keyword missing" },
      kind: "http",
      target: "https://x.test/",
      http: { status: 200, content_length: null },
    };
    const p = toPoint(r);
    const row: Record<string, unknown> = { time: p.ts, ...p.tags };
    for (const [k, v] of Object.entries(p.fields)) if (v != null) row[k] = typeof v === "object" ? v.int : v;
    const { kind: _kind, target: _target, ...expected } = r;
    expect(fromRow("http", row)).toEqual(expected);
  });

  it("reads back what the newer fields say: response_string_match, string_found, ttl and standard_deviation_ms", () => {
    const row = (r: StoredResult) => {
      const p = toPoint(r);
      const out: Record<string, unknown> = { time: p.ts, ...p.tags };
      for (const [k, v] of Object.entries(p.fields)) if (v != null) out[k] = typeof v === "object" ? v.int : v;
      return out;
    };
    const http: StoredResult = {
      ...base,
      kind: "http",
      target: "http://x.test/",
      http: { status: 200, content_length: 5, keyword_matched: true },
    };
    const tcp: StoredResult = { ...base, kind: "tcp", target: "x.test:25", tcp: { port: 25, expect_found: true } };
    const icmp: StoredResult = {
      ...base,
      kind: "icmp",
      target: "10.0.0.1",
      icmp: { sent: 2, received: 2, loss: 0, rtt_min_ms: 1, rtt_avg_ms: 1.5, rtt_max_ms: 2, rtt_stddev_ms: 0.5, ttl: 64 },
    };
    for (const r of [http, tcp, icmp]) {
      const { kind, target: _t, ...expected } = r;
      expect(fromRow(kind, row(r))).toEqual(expected);
      expect(keptDetail(r)).toEqual({ [kind]: r[kind] });
    }
  });

  it("keeps the http block always, tcp's port from the target, and tls expiry to the second", () => {
    expect(keptDetail({ ...base, kind: "http", target: "http://x.test/" })).toEqual({ http: { status: null, content_length: null } });
    expect(keptDetail({ ...base, kind: "tcp", target: "x.test:25" })).toEqual({ tcp: { port: 25 } });
    expect(
      keptDetail({
        ...base,
        kind: "tls",
        target: "x.test:443",
        tls: { expires_at: 1_767_225_600_999, days_left: null, issuer: null, common_name: null, verified: null },
      }),
    ).toEqual({
      tls: { expires_at: 1_767_225_600_000, days_left: null, issuer: null, common_name: null, verified: null },
    });
    expect(
      keptDetail({
        ...base,
        kind: "tls",
        target: "x.test:443",
        tls: { expires_at: null, days_left: null, issuer: null, common_name: null, verified: null },
      }),
    ).toEqual({});
  });
});

describe("dns: Telegraf's dns_query", () => {
  const dns = (over: Partial<StoredResult> = {}, detail: Partial<NonNullable<StoredResult["dns"]>> = {}): StoredResult => ({
    ...base,
    monitor: "resolver",
    latency_ms: 1.5,
    location: "dc1",
    agent: "dc1-a",
    kind: "dns",
    target: "www.example.test",
    dns: {
      server: "192.0.2.53:53",
      record_type: "A",
      rcode_value: 0,
      rcode: "NOERROR",
      answers: 2,
      values: ["192.0.2.10", "192.0.2.11"],
      ...detail,
    },
    ...over,
  });
  const row = (r: StoredResult) => {
    const p = toPoint(r);
    const out: Record<string, unknown> = { time: p.ts, ...p.tags };
    for (const [k, v] of Object.entries(p.fields)) if (v != null) out[k] = typeof v === "object" ? v.int : v;
    return out;
  };

  it("success: Telegraf's tags (server, domain, record_type, result, rcode) and fields (query_time_ms, result_code, rcode_value), plus ours", () => {
    expect(toLine(dns())).toBe(
      "dns_query,agent=dc1-a,domain=www.example.test,location=dc1,monitor=resolver,port=53,rcode=NOERROR,record_type=A,result=success,server=192.0.2.53 " +
        'answers=2i,check_id="01JABC",latency_ms=1.5,query_time_ms=1.5,rcode_value=0i,result_code=0i,up=1i,values="[\\"192.0.2.10\\",\\"192.0.2.11\\"]" ' +
        "1764216000000",
    );
  });

  it("a response code outside valid_rcodes is result=error (2) with the rcode and the query time, as Telegraf writes it", () => {
    const r = dns(
      { ok: false, error: { kind: "dns", message: "NXDOMAIN" } },
      { rcode_value: 3, rcode: "NXDOMAIN", answers: 0, values: [] },
    );
    expect(toLine(r)).toBe(
      "dns_query,agent=dc1-a,domain=www.example.test,location=dc1,monitor=resolver,port=53,rcode=NXDOMAIN,record_type=A,result=error,server=192.0.2.53 " +
        'answers=0i,check_id="01JABC",error="NXDOMAIN",error_kind="dns",latency_ms=1.5,query_time_ms=1.5,rcode_value=3i,result_code=2i,up=0i ' +
        "1764216000000",
    );
  });

  it("a timeout is result=timeout (1), without rcode, rcode_value or query_time_ms", () => {
    const r = dns(
      { ok: false, latency_ms: null, error: { kind: "timeout", message: "no response" } },
      { server: "[2001:db8::53]:5353", record_type: "AAAA", rcode_value: null, rcode: null, answers: null, values: [] },
    );
    expect(toLine(r)).toBe(
      "dns_query,agent=dc1-a,domain=www.example.test,location=dc1,monitor=resolver,port=5353,record_type=AAAA,result=timeout,server=2001:db8::53 " +
        'check_id="01JABC",error="no response",error_kind="timeout",result_code=1i,up=0i 1764216000000',
    );
  });

  it("maps every error kind: timeout is Telegraf's timeout (1), every other failure error (2)", () => {
    const table = Object.fromEntries(
      ERROR_KINDS.map((k) => {
        const p = toPoint(dns({ ok: false, error: { kind: k, message: "x" } }));
        return [k, [p.tags.result, (p.fields.result_code as { int: number }).int]];
      }),
    );
    expect(table).toEqual(Object.fromEntries(ERROR_KINDS.map((k) => [k, k === "timeout" ? ["timeout", 1] : ["error", 2]])));
  });

  it("reads back what it wrote: the server with its port (IPv6 bracketed), values, rcode and count", () => {
    const cases = [
      dns(),
      dns(
        { ok: false, error: { kind: "keyword", message: "lacks 10 mail.example.test." } },
        { record_type: "MX", values: ["10 mail.example.test.", 'x"y'] },
      ),
      dns(
        { ok: false, latency_ms: null, error: { kind: "timeout", message: "no response" } },
        { server: "[2001:db8::53]:5353", rcode_value: null, rcode: null, answers: null, values: [] },
      ),
      // No system resolver: no server at all.
      dns(
        { ok: false, latency_ms: null, error: { kind: "other", message: "no server" } },
        { server: "", rcode_value: null, rcode: null, answers: null, values: [] },
      ),
    ];
    for (const r of cases) {
      const { kind, target: _t, ...expected } = r;
      expect(fromRow(kind, row(r))).toEqual(expected);
      expect(keptDetail(r)).toEqual({ dns: r.dns });
    }
  });
});
