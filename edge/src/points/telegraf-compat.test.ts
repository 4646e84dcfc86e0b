// The points this product writes against the points Telegraf documents for the same check (telegraf-compat.ts): same
// measurement, same tag keys, same field keys with the same line-protocol types, except the differences listed there.
import { describe, expect, it } from "vitest";
import type { TlsCertificate } from "../../../contract/index.ts";
import type { StoredResult } from "./store.ts";
import {
  type Difference,
  type DifferenceKind,
  EXAMPLE_NOTES,
  type ExampleName,
  TELEGRAF_DIFFERENCES,
  TELEGRAF_EXAMPLES,
} from "./telegraf-compat.ts";
import { toLines } from "./telegraf.ts";

type FieldType = "int" | "uint" | "float" | "string" | "bool";
type Parsed = { measurement: string; tags: Map<string, string>; fields: Map<string, FieldType> };

/** Splits at `sep` outside double quotes, honouring backslash escapes. */
function split(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\" && i + 1 < s.length) {
      cur += c + s[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === sep && !quoted) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

const unescape = (s: string) => s.replace(/\\(.)/g, "$1");

function fieldType(v: string): FieldType {
  if (v.startsWith('"')) return "string";
  if (/^-?\d+i$/.test(v)) return "int";
  if (/^\d+u$/.test(v)) return "uint";
  if (/^(t|T|true|True|TRUE|f|F|false|False|FALSE)$/.test(v)) return "bool";
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) return "float";
  throw new Error(`not a line-protocol field value: ${v}`);
}

/** One line of line protocol: its measurement, tags and each field's type. */
function parse(line: string): Parsed {
  const [head, fieldSet] = split(line, " ");
  const [measurement, ...tagPairs] = split(head!, ",");
  const pair = (p: string) => {
    const [k, ...v] = split(p, "=");
    return [unescape(k!), v.join("=")] as const;
  };
  return {
    measurement: unescape(measurement!),
    tags: new Map(tagPairs.map((p) => pair(p)).map(([k, v]) => [k, unescape(v)])),
    fields: new Map(
      split(fieldSet!, ",")
        .map((p) => pair(p))
        .map(([k, v]) => [k, fieldType(v)]),
    ),
  };
}

type Found = { key: string; kind: DifferenceKind };

/** How our point differs from Telegraf's, key by key. */
function differences(ours: Parsed, theirs: Parsed): Found[] {
  const out: Found[] = [];
  for (const k of ours.tags.keys()) if (!theirs.tags.has(k)) out.push({ key: k, kind: "our tag" });
  for (const k of theirs.tags.keys()) if (!ours.tags.has(k)) out.push({ key: k, kind: "tag not written" });
  for (const [k, t] of ours.fields) {
    const theirType = theirs.fields.get(k);
    if (theirType === undefined) out.push({ key: k, kind: "our field" });
    else if (theirType !== t) out.push({ key: k, kind: "field type" });
  }
  for (const k of theirs.fields.keys()) if (!ours.fields.has(k)) out.push({ key: k, kind: "field not written" });
  return out;
}

const TS = 1_764_216_000_000;
const DAY = 86_400_000;
const agentRun = { id: "01JABC", monitor: "m", ts: TS, location: "dc1", agent: "dc1-a", error: null } as const;

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
  not_before: TS - DAY,
  not_after: TS + DAY,
  verified: true,
  verification_error: null,
  ...over,
});

/** TestClassification's chain: a leaf for 127.0.0.1 under an intermediate under a root, all RSA, all trusted. */
const classification: TlsCertificate[] = [
  cert({
    type: "leaf",
    common_name: "My server",
    organization: "Testing Inc.",
    country: "US",
    serial_number: "53950",
    signature_algorithm: "SHA256-RSA",
    public_key_algorithm: "RSA",
    public_key_length: 2048,
    issuer_common_name: "Intermediate CA",
    san: "127.0.0.1",
  }),
  cert({
    type: "intermediate",
    common_name: "Intermediate CA",
    organization: "Testing Inc.",
    country: "US",
    serial_number: "5394f",
    signature_algorithm: "SHA256-RSA",
    public_key_algorithm: "RSA",
    public_key_length: 2048,
    issuer_common_name: "Root CA",
  }),
  cert({
    type: "root",
    common_name: "Root CA",
    organization: "Testing Inc.",
    country: "US",
    serial_number: "5394e",
    signature_algorithm: "SHA256-RSA",
    public_key_algorithm: "RSA",
    public_key_length: 4096,
    issuer_common_name: "Root CA",
  }),
];
const chainCheck: StoredResult = {
  ...agentRun,
  ok: true,
  latency_ms: 4,
  kind: "tls",
  target: "127.0.0.1:443",
  tls: { expires_at: TS + DAY, days_left: 1, issuer: "Intermediate CA", common_name: "My server", verified: true, chain: classification },
};
const untrusted = "UNABLE_TO_GET_ISSUER_CERT_LOCALLY: the certificate's issuer is not trusted (unknown CA)";

/** For each of Telegraf's examples, the same check as this product runs it, and which of its points to compare. */
const SAME_CHECK: Record<ExampleName, { result: StoredResult; point: number }> = {
  http: {
    result: {
      ...agentRun,
      ok: true,
      latency_ms: 937.655534,
      kind: "http",
      target: "http://github.com",
      method: "GET",
      http: { status: 200, content_length: 87878 },
    },
    point: 0,
  },
  tcpSuccess: {
    result: { ...agentRun, ok: true, latency_ms: 0.092948, kind: "tcp", target: "localhost:8086", tcp: { port: 8086 } },
    point: 0,
  },
  tcpRefused: {
    result: {
      ...agentRun,
      ok: false,
      latency_ms: null,
      error: { kind: "refused", message: "localhost:8080: connection refused" },
      kind: "tcp",
      target: "localhost:8080",
      tcp: { port: 8080 },
    },
    point: 0,
  },
  expectMissed: {
    result: {
      ...agentRun,
      ok: false,
      latency_ms: 0.2,
      error: {
        kind: "keyword",
        message: 'localhost:8080: expected "+PONG" but received 0 bytes before the server closed the connection: ""',
      },
      kind: "tcp",
      target: "localhost:8080",
      tcp: { port: 8080, expect_found: false },
    },
    point: 0,
  },
  ping: {
    result: {
      ...agentRun,
      ok: true,
      latency_ms: 23.066,
      kind: "icmp",
      target: "example.org",
      icmp: { sent: 5, received: 5, loss: 0, rtt_min_ms: 22.451, rtt_avg_ms: 23.066, rtt_max_ms: 24.64, rtt_stddev_ms: 0.809, ttl: 63 },
    },
    point: 0,
  },
  certInvalid: {
    result: {
      ...agentRun,
      ok: false,
      latency_ms: 30,
      error: {
        kind: "tls",
        message: `example.org:443: the certificate of "www.example.org" does not verify for "example.org": ${untrusted}`,
      },
      kind: "tls",
      target: "example.org:443",
      tls: {
        expires_at: Date.UTC(2020, 11, 2, 12),
        days_left: 501,
        issuer: "DigiCert SHA2 Secure Server CA",
        common_name: "www.example.org",
        verified: false,
        chain: [
          cert({
            type: "leaf",
            common_name: "www.example.org",
            organization: "Internet Corporation for Assigned Names and Numbers",
            organizational_unit: "Technology",
            country: "US",
            province: "California",
            locality: "Los Angeles",
            serial_number: "fd078dd48f1a2bd4d0f2ba96b6038fe",
            signature_algorithm: "SHA256-RSA",
            public_key_algorithm: "RSA",
            public_key_length: 2048,
            issuer_common_name: "DigiCert SHA2 Secure Server CA",
            san: "www.example.org,example.com,example.edu,example.net,example.org",
            verified: false,
            verification_error: untrusted,
          }),
        ],
      },
    },
    point: 0,
  },
  dns: {
    result: {
      ...agentRun,
      ok: true,
      latency_ms: 0.13746,
      kind: "dns",
      target: "www.example.test",
      dns: { server: "127.0.0.1:53", record_type: "A", rcode_value: 0, rcode: "NOERROR", answers: 1, values: ["192.0.2.10"] },
    },
    point: 0,
  },
  certLeaf: { result: chainCheck, point: 0 },
  certIntermediate: { result: chainCheck, point: 1 },
  certRoot: { result: chainCheck, point: 2 },
};

const documented = (measurement: string, name: ExampleName): Found[] => [
  ...TELEGRAF_DIFFERENCES.filter((d) => d.measurement === "*" || d.measurement === measurement),
  ...(EXAMPLE_NOTES[name] ?? []),
];
const same = (a: Found) => (b: Found) => a.key === b.key && a.kind === b.kind;

describe("points against Telegraf's documented points for the same check", () => {
  const measured = new Map<ExampleName, Found[]>();

  for (const name of Object.keys(TELEGRAF_EXAMPLES) as ExampleName[]) {
    const example = TELEGRAF_EXAMPLES[name];
    it(`${name}: ${example.source}`, () => {
      const theirs = parse(example.line);
      const { result, point } = SAME_CHECK[name];
      const line = toLines(result)[point];
      expect(line, "the point to compare").toBeDefined();
      const ours = parse(line!);
      expect(ours.measurement).toBe(theirs.measurement);
      const found = differences(ours, theirs);
      measured.set(name, found);
      // Every difference is a documented one; nothing else differs, in keys or in types.
      const allowed = documented(ours.measurement, name);
      expect(
        found.filter((f) => !allowed.some(same(f))),
        `undocumented differences from ${example.source}`,
      ).toEqual([]);
      // A note on Telegraf's example must still apply to it.
      for (const note of EXAMPLE_NOTES[name] ?? []) expect(found.some(same(note)), `${note.kind} ${note.key}`).toBe(true);
    });
  }

  it("lists no difference that no example shows", () => {
    const stale = TELEGRAF_DIFFERENCES.filter(
      (d: Difference) =>
        ![...measured.entries()].some(([name, found]) => {
          const m = parse(TELEGRAF_EXAMPLES[name].line).measurement;
          return (d.measurement === "*" || d.measurement === m) && found.some(same(d));
        }),
    );
    expect(measured.size).toBe(Object.keys(TELEGRAF_EXAMPLES).length);
    expect(stale).toEqual([]);
  });

  it("keeps Telegraf's types where both write a key: integers with i, floats, strings, booleans", () => {
    const ping = parse(toLines(SAME_CHECK.ping.result)[0]!);
    expect(Object.fromEntries(ping.fields)).toMatchObject({
      packets_transmitted: "int",
      packets_received: "int",
      percent_packet_loss: "float",
      ttl: "int",
      minimum_response_ms: "float",
      average_response_ms: "float",
      maximum_response_ms: "float",
      standard_deviation_ms: "float",
      result_code: "int",
    });
    const net = parse(toLines(SAME_CHECK.expectMissed.result)[0]!);
    expect(Object.fromEntries(net.fields)).toMatchObject({ result_code: "int", result_type: "string", string_found: "bool" });
    const leaf = parse(toLines(chainCheck)[0]!);
    expect(Object.fromEntries(leaf.fields)).toMatchObject({
      age: "int",
      expiry: "int",
      startdate: "int",
      enddate: "int",
      verification_code: "int",
      public_key_length: "int",
    });
    const dns = parse(toLines(SAME_CHECK.dns.result)[0]!);
    expect(Object.fromEntries(dns.fields)).toMatchObject({
      query_time_ms: "float",
      result_code: "int",
      rcode_value: "int",
      answers: "int",
      values: "string",
    });
  });
});
