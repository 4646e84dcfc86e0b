// fast-check arbitraries for the API fuzz test: one generated request (FuzzCase) = route, role, path id, query,
// headers and body. Bodies start from valid documents (docs/api.md, docs/alerting.md) and are then mutated with
// hostile values, so they reach every layer: auth, body limit, JSON parsing, schema, cross-field rules, storage.
import fc from "fast-check";
import { EVENT_NAMES } from "../../src/alerts/events.ts";
import { CHANNEL_KINDS } from "../../src/alerts/channels/types.ts";
import { FIXTURE } from "./fixtures.ts";
import { type BodyKind, type IdKind, type QueryKind, ROLES, ROUTES, type Role, type RouteSpec, rolesPassing } from "./routes.ts";
import {
  HOSTILE_NUMBERS,
  HOSTILE_STRINGS,
  RAW_NUMBERS,
  Now,
  RAW_BODIES,
  Raw,
  deepArray,
  deepObject,
  hostileString,
  hostileValue,
  toJsonText,
  wellFormed,
  wildString,
} from "./values.ts";

/** What fills a path's `:id`: a fixture (by name, resolved when sent), an id nobody has, or hostile URL text. */
export type IdRef = { kind: "fixture"; name: string } | { kind: "missing"; id: string } | { kind: "hostile"; encoded: string };
/** A query parameter; `raw` ones go into the URL without encoding (bad %-escapes, bare & and =). */
export type QueryParam = { key: string; value: string | Now; raw: boolean };
/** A body: a generated value (serialized when sent, see values.ts) or text sent as is. */
export type Body = { json: unknown } | { raw: string };

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s);

export class FuzzCase {
  constructor(
    readonly route: string,
    readonly method: string,
    readonly pathTemplate: string,
    readonly role: Role,
    readonly publicStatus: boolean,
    readonly id: IdRef | undefined,
    readonly query: QueryParam[],
    readonly headers: Record<string, string | null>,
    readonly body: Body | undefined,
    /** How the body was made: "valid monitor; set interval_s=1e308". */
    readonly note: string,
  ) {}

  /** The body as text, with Now markers resolved at `now`. */
  bodyText(now: number): string | undefined {
    if (!this.body) return undefined;
    return "raw" in this.body ? this.body.raw : toJsonText(this.body.json, now);
  }

  /** One line a person can turn into a curl command (long bodies clipped). */
  describe(now = Date.now()): string {
    const idText = !this.id
      ? ""
      : this.id.kind === "fixture"
        ? ` id=${this.id.name}`
        : this.id.kind === "missing"
          ? ` id=${this.id.id} (missing)`
          : ` id=${clip(this.id.encoded, 80)} (hostile)`;
    const q = this.query.length
      ? ` query=${clip(this.query.map((p) => `${p.key}=${p.value instanceof Now ? `now${p.value.offsetMs >= 0 ? "+" : ""}${p.value.offsetMs}` : p.value}`).join("&"), 200)}`
      : "";
    const h = Object.keys(this.headers).length ? ` headers=${clip(JSON.stringify(this.headers), 200)}` : "";
    const text = this.bodyText(now);
    const b = text === undefined ? "" : ` body(${text.length} chars)=${JSON.stringify(clip(text, 400))}`;
    return wellFormed(
      `${this.method} ${this.pathTemplate}${idText}${q} as ${this.role}${this.publicStatus ? " (PUBLIC_STATUS=true)" : ""}${h}${b} [${this.note}]`,
    );
  }

  [fc.toStringMethod]() {
    return `FuzzCase(${this.describe()})`;
  }
}

// ---- ids -------------------------------------------------------------------------------------------------

const FIXTURE_IDS: Record<IdKind, string[]> = {
  monitor: [...FIXTURE.monitors],
  window: [...FIXTURE.windows],
  channel: [...FIXTURE.channels],
  token: ["status", "viewer", "editor", "admin", "agent"],
  asset: ["app.js", "app.css", "favicon.svg"],
};

const slugish = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);
const missingId = fc.oneof(
  fc.constantFrom("no-such-thing", "fx-http-deleted", "0", "a", "x".repeat(64)),
  slugish.map((s) => `zz-${s}`),
);

/** URL path segments that are not ids: bad %-escapes, encoded NUL, lone surrogates, traversal, huge, bidi. */
const HOSTILE_SEGMENTS = [
  "%00",
  "%",
  "%ZZ",
  "%E0%A4%A",
  "%ED%A0%80",
  "%ED%BF%BF",
  "%C0%AF",
  "%2F",
  "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
  "..%2F..%2F",
  "%20",
  "+",
  "fx-http%00",
  "fx-http%20",
  "FX-HTTP",
  "fx-http.",
  "'",
  "%27%20OR%201%3D1%20--",
  "%E2%80%AE",
  "%C2%85",
  "%EF%BB%BF",
  "%F0%9F%98%80",
  "%1B%5B31m",
  "a".repeat(65),
  "x".repeat(5000),
  "%25".repeat(1000),
  "__proto__",
  "constructor",
  "toString",
];
const hostileSegment = fc.oneof(
  fc.constantFrom(...HOSTILE_SEGMENTS),
  fc.constantFrom(...HOSTILE_STRINGS).map((s) => encodeSegment(s)),
  wildString.map((s) => encodeSegment(s)),
);

/** encodeURIComponent that also takes lone surrogates (as the WTF-8 bytes a careless client would send). */
export function encodeSegment(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
      out += encodeURIComponent(s.slice(i, i + 2));
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff)
      out +=
        `%${(0xe0 | (c >> 12)).toString(16)}%${(0x80 | ((c >> 6) & 0x3f)).toString(16)}%${(0x80 | (c & 0x3f)).toString(16)}`.toUpperCase();
    else out += encodeURIComponent(s[i]!);
  }
  return out;
}

function idArb(kind: IdKind): fc.Arbitrary<IdRef> {
  return fc.oneof(
    {
      arbitrary: fc.constantFrom(...FIXTURE_IDS[kind]).map((name) => ({ kind: "fixture", name }) as IdRef),
      weight: kind === "token" ? 1 : 5,
    },
    { arbitrary: missingId.map((id) => ({ kind: "missing", id }) as IdRef), weight: 2 },
    { arbitrary: hostileSegment.map((encoded) => ({ kind: "hostile", encoded }) as IdRef), weight: 2 },
  );
}

// ---- query strings -----------------------------------------------------------------------------------------

const DAY = 86_400_000;
const timeValue: fc.Arbitrary<string | Now> = fc.oneof(
  { arbitrary: fc.constantFrom(-DAY, -7 * DAY, -3600_000, 0, 3600_000, -400 * DAY).map((o) => new Now(o)), weight: 3 },
  {
    arbitrary: fc.date({ min: new Date(0), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true }).map((d) => d.toISOString()),
    weight: 2,
  },
  {
    arbitrary: fc.constantFrom(
      "0",
      "1",
      "8640000000000000",
      "8640000000000001",
      "99999999999999999999",
      "9".repeat(400),
      "1e3",
      "-5",
      "9999-99-99",
      "9999-12-31T23:59:59Z",
      "+275760-09-13T00:00:00.000Z",
      "275760-09-13T00:00:00.000Z",
      "2026-02-30T00:00:00Z",
      "1969-12-31T23:59:59.999Z",
      "0000-01-01T00:00:00Z",
      "2026-01-01T00:00:00.1234567891234Z",
    ),
    weight: 3,
  },
  { arbitrary: hostileString, weight: 1 },
);

const QUERY_KEYS: Record<QueryKind, Array<[string, fc.Arbitrary<string | Now>]>> = {
  checks: [
    ["from", timeValue],
    ["to", timeValue],
    ["limit", fc.oneof(fc.constantFrom("1", "100", "1000", "1001", "0", "-1", "01", "1e3", "4294967296", "9".repeat(30)), hostileString)],
  ],
  uptime: [
    ["from", timeValue],
    ["to", timeValue],
    ["bucket", fc.oneof(fc.constantFrom("1h", "1d", "1m", "1H", "", "1d "), hostileString)],
  ],
  incidents: [
    ["status", fc.oneof(fc.constantFrom("open", "resolved", "OPEN", "all", ""), hostileString)],
    ["monitor", fc.oneof(fc.constantFrom(...FIXTURE.monitors, "nope"), hostileString)],
    ["limit", fc.oneof(fc.constantFrom("1", "500", "501", "0", "9".repeat(30), "1.5"), hostileString)],
  ],
  monitorIncidents: [
    ["status", fc.oneof(fc.constantFrom("open", "resolved"), hostileString)],
    ["limit", fc.oneof(fc.constantFrom("1", "500", "501", "0"), hostileString)],
  ],
  notifications: [
    ["status", fc.oneof(fc.constantFrom("pending", "delivered", "dead", "skipped", "x"), hostileString)],
    ["channel", fc.oneof(fc.constantFrom(...FIXTURE.channels, "nope"), hostileString)],
    ["monitor", fc.oneof(fc.constantFrom(...FIXTURE.monitors), hostileString)],
    ["limit", fc.oneof(fc.constantFrom("1", "1000", "1001", "0", "9".repeat(30)), hostileString)],
  ],
  audit: [
    ["token_id", fc.oneof(fc.constantFrom("bootstrap", "tok_nope", ""), hostileString)],
    ["action", fc.oneof(fc.constantFrom("monitor.", "monitor", "token.rotate", "channel.test", "monitor.explode", "."), hostileString)],
    ["target", fc.oneof(fc.constantFrom(...FIXTURE.monitors.map((m) => `monitor:${m}`), "channel", "monitor:", "planet:x"), hostileString)],
    ["from", timeValue],
    ["to", timeValue],
    ["limit", fc.oneof(fc.constantFrom("1", "1000", "1001", "0", "9".repeat(30)), hostileString)],
    ["cursor", fc.oneof(fc.constantFrom("WzEsMV0", "WzEsLTFd", "W10", "e30", "not-a-cursor!"), hostileString)],
  ],
  badge: [
    ["window", fc.oneof(fc.constantFrom("24h", "7d", "30d", "90d", "1y", "", "toString", "__proto__"), hostileString)],
    ["v", fc.constantFrom("2", "")],
  ],
  none: [],
};

const RAW_QUERY_TEXT = ["%", "%zz", "%ED%A0%80", "%00", "&&&", "==", "a=1&a=2", "limit", "limit=&limit=5", "from[]=1", "%26=%3D", "+%2B+"];

function queryArb(kind: QueryKind): fc.Arbitrary<QueryParam[]> {
  const keys = QUERY_KEYS[kind];
  const known = keys.length
    ? fc.constantFrom(...keys.map((_, i) => i)).chain((i) => keys[i]![1].map((value) => ({ key: keys[i]![0], value, raw: false })))
    : null;
  const junk = fc.oneof(
    fc.record({ key: fc.constantFrom("x", "limit", "__proto__", "from", "", "\uD800"), value: hostileString, raw: fc.constant(false) }),
    fc.constantFrom(...RAW_QUERY_TEXT).map((t) => ({ key: t, value: "", raw: true })),
  );
  const param: fc.Arbitrary<QueryParam> = known ? fc.oneof({ arbitrary: known, weight: 5 }, { arbitrary: junk, weight: 1 }) : junk;
  return fc.oneof(
    { arbitrary: fc.constant<QueryParam[]>([]), weight: known ? 2 : 6 },
    { arbitrary: fc.array<QueryParam>(param, { minLength: 1, maxLength: 4 }), weight: 3 },
  );
}

// ---- headers -----------------------------------------------------------------------------------------------

/**
 * Header values: ASCII without NUL, CR or LF (fetch refuses those; workerd sends anything past ASCII as UTF-8
 * with a warning per header, so C1 controls are left to bodies and query strings).
 */
const latin1Junk = fc.string({
  unit: fc
    .integer({ min: 1, max: 0x7f })
    .filter((n) => n !== 10 && n !== 13)
    .map((n) => String.fromCharCode(n)),
  maxLength: 30,
});

const AUTH_TEMPLATES = [
  "Bearer",
  "Bearer ",
  "Bearer {t}",
  "bearer {t}",
  "BEARER {t}",
  "Bearer   {t}   ",
  "Bearer {t}\t",
  "Bearer {t} extra",
  "Bearer {t}{t}",
  "Bearer {t}x",
  "Bearer x{t}",
  "Basic {t}",
  "Token {t}",
  "{t}",
  "Bearer ium_",
  "Bearer \x7f",
  "Bearer \x01\x02",
  `Bearer ${"a".repeat(10_000)}`,
  "Bearer test-admin-token-0123456789",
  "Bearer test-admin-token-012345678",
  "Bearer test-admin-token-01234567890",
];

const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/json; charset=utf-16",
  "application/merge-patch+json",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=xyz",
  "application/octet-stream",
  "",
  "json",
];

const headersArb: fc.Arbitrary<Record<string, string | null>> = fc
  .record(
    {
      authorization: fc.oneof(
        fc.constantFrom(...AUTH_TEMPLATES),
        latin1Junk.map((s) => `Bearer ${s}`),
      ),
      "content-type": fc.oneof(fc.constant(null), fc.constantFrom(...CONTENT_TYPES), latin1Junk),
      "if-none-match": fc.oneof(fc.constantFrom("*", '""', 'W/"x"'), latin1Junk),
      "x-request-id": fc.oneof(fc.constantFrom("x".repeat(5000), "\x1b[31m", "a b"), latin1Junk),
      "content-encoding": fc.constantFrom("gzip", "br", "identity", "x"),
      accept: fc.oneof(fc.constantFrom("application/json", "*/*", "text/html"), latin1Junk),
    },
    { requiredKeys: [] },
  )
  .map((h) => h as Record<string, string | null>);

// ---- bodies ------------------------------------------------------------------------------------------------

type Mutation = { op: "set"; path: string[]; value: unknown } | { op: "delete"; path: string[] };

/** Field paths per body kind: the documented fields, their nested blocks, and a few that are never valid. */
const FIELD_PATHS: Record<BodyKind, string[]> = {
  monitor: [
    "id",
    "name",
    "group",
    "kind",
    "target",
    "interval_s",
    "timeout_ms",
    "runner",
    "locations",
    "locations.0",
    "enabled",
    "public_target",
    "tags",
    "tags.team",
    "failure_threshold",
    "success_threshold",
    "confirm_failures",
    "quorum",
    "latency_threshold_ms",
    "degraded_after",
    "certificate_warning_days",
    "remind_every_s",
    "http",
    "http.method",
    "http.headers",
    "http.headers.x-a",
    "http.body",
    "http.expected_status",
    "http.expected_status.0",
    "http.follow_redirects",
    "http.keyword",
    "http.keyword_absent",
    "tcp",
    "tcp.send",
    "tcp.expect",
    "tcp.expect_regex",
    "icmp.count",
    "tls.server_name",
    "state",
    "created_at",
    "extra",
  ],
  monitorPatch: [],
  window: [
    "id",
    "name",
    "kind",
    "monitors",
    "monitors.0",
    "starts_at",
    "ends_at",
    "days",
    "days.0",
    "start",
    "duration_min",
    "time_zone",
    "active",
    "extra",
  ],
  channel: ["id", "name", "kind", "url", "monitors", "monitors.0", "events", "events.0", "enabled", "secret", "disabled_reason", "extra"],
  channelPatch: [],
  token: ["name", "role", "expires_in_s", "id", "token", "extra"],
  rotate: ["grace_s", "expires_in_s", "token", "extra"],
  agent: ["id", "location", "token", "extra"],
  results: [
    "version",
    "backlog",
    "results",
    "results.0",
    "results.0.id",
    "results.0.monitor",
    "results.0.ts",
    "results.0.ok",
    "results.0.latency_ms",
    "results.0.location",
    "results.0.agent",
    "results.0.error",
    "results.0.error.kind",
    "results.0.error.message",
    "results.0.tcp",
    "results.0.tcp.port",
    "results.0.icmp.loss",
    "results.0.icmp.rtt_avg_ms",
    "results.0.tls.expires_at",
    "results.0.tls.days_left",
    "results.0.http.status",
    "results.0.extra",
    "results.1.ts",
    "extra",
  ],
};
FIELD_PATHS.monitorPatch = FIELD_PATHS.monitor;
FIELD_PATHS.channelPatch = FIELD_PATHS.channel;

/** Values aimed at one field: its own boundaries first, then anything hostile. */
const TIME_HOSTILE: unknown[] = [
  // Integers past what a JS Date holds (±8.64e15 ms): a schema asking only for a non-negative integer takes them.
  8.64e15 + 1,
  1e16,
  2 ** 53 - 1,
  new Raw("8640000000000001"),
  new Raw("9007199254740993"),
  // Inside the Date range, but far out: year 10000, year 2100, the epoch.
  253402300800000,
  4102444800000,
  0,
  // Strings: the last RFC 3339 instant, one a Date cannot hold, and impossible dates.
  "9999-12-31T23:59:59.999Z",
  "+275760-09-13T00:00:00.000Z",
  "9999-99-99T00:00:00Z",
  "1970-01-01T00:00:00Z",
  // Wrong types and signs.
  -1,
  0.5,
  1e300,
  new Raw("1e400"),
];
/** Times relative to now at and past the edges an API may allow (ahead, far back, 5 years out). */
const NEAR_TIMES = [60_000, 3600_000, DAY, -7 * DAY, -31 * DAY, -400 * DAY, 5 * 365 * DAY, 6 * 365 * DAY].map((o) => new Now(o));

/** Odd text that a schema may well accept: controls, bidi overrides, emoji, markup, maximal lengths. */
const ODD_TEXT = [
  "\u202Eevil",
  "a\u0000b",
  "\u001b[31mred\u001b[0m",
  "\u0085\u2028\u2029",
  "<script>alert(1)</script>",
  '"quotes" and \\ backslash\n',
  "\uFEFF",
  "\uFFFF",
  "e\u0301",
  "😀".repeat(50),
  " x ",
];
const upTo = (n: number) => [...ODD_TEXT, "x".repeat(n), "😀".repeat(Math.floor(n / 2)), "é".repeat(n)];

/**
 * Values each field's schema should accept but that sit at its edges: after one of these is stored, every
 * read (status page, /metrics, lists) must still work.
 */
const EDGE_VALID: Record<string, unknown[]> = {
  name: upTo(200),
  group: upTo(100),
  team: upTo(256),
  target: [
    `http://127.0.0.1:9/${"a".repeat(2000)}`,
    "http://127.0.0.1:9/?q=%E2%80%AE",
    "http://user:pa%20ss@127.0.0.1:9/",
    "http://127.0.0.1:9/%ZZ",
    "http://[::ffff:127.0.0.1]:9/",
    "HTTP://127.0.0.1:9",
    "http://127.0.0.1:9/#frag",
    "http://xn--nxasmq6b.example:9/",
    "http://127.0.0.1:65535/",
    "127.0.0.1:65535",
    "[::1]:1",
    "a.b:9",
    "localhost",
  ],
  interval_s: [10, 60, 86400],
  timeout_ms: [100, 9999, 59_999],
  "x-a": ["x".repeat(8192), "\u0000", "a\r\nb", "😀"],
  body: ["x".repeat(50_000), ""],
  keyword: ["x".repeat(1024), "\u0000", "😀"],
  expected_status: [Array(50).fill("2xx"), [100, 599, "1xx", "5xx"]],
  failure_threshold: [1, 100],
  success_threshold: [1, 100],
  quorum: [1, 50],
  remind_every_s: [0, 300, 2_592_000],
  certificate_warning_days: [0, 3650],
  latency_threshold_ms: [1, 120_000],
  degraded_after: [1, 100],
  locations: [["dc1"], Array.from({ length: 50 }, (_, i) => `l${i}`)],
  count: [1, 20],
  server_name: ["x".repeat(253), "\u0000"],
  send: ["x".repeat(4096), "\u0000\r\n"],
  expect: ["x".repeat(4096), "(a+)+$", "["],
  // maintenance windows
  duration_min: [1, 10_080],
  start: ["00:00", "23:59"],
  time_zone: [
    "Pacific/Chatham",
    "Pacific/Kiritimati",
    "Etc/GMT-14",
    "Etc/GMT+12",
    "America/Caracas",
    "Asia/Kolkata",
    "EST5EDT",
    "Antarctica/Troll",
  ],
  days: [["sun", "mon", "tue", "wed", "thu", "fri", "sat"]],
  monitors: [Array.from({ length: 1000 }, (_, i) => `m${i}`), ["fx-http", "fx-http"]],
  // channels
  url: [`http://127.0.0.1:9/${"a".repeat(2000)}`, "http://127.0.0.1:9/t?x=%E2%80%AE", "http://127.0.0.1:9/t#x"],
  events: [["down", "up", "degraded", "certificate", "reminder"], ["reminder"]],
  secret: [`whsec_${btoa("k".repeat(64))}`, `whsec_${btoa("k".repeat(24))}`],
  // tokens and agents
  role: ["admin", "viewer"],
  location: ["a".repeat(64), "dc1"],
  // results
  latency_ms: [0, 1e308, Number.MAX_VALUE, Number.MIN_VALUE, 1e-300, 86_400_000],
  backlog: [2 ** 53 - 1, 0, 2 ** 31],
  version: ["\u0000".repeat(64), "😀".repeat(16), "\u202E"],
  message: ["😀".repeat(1000), "\u0000", "\u202E", "x".repeat(2000)],
  port: [1, 65535],
  loss: [0, 1, Number.MIN_VALUE],
  rtt_avg_ms: [1e308, 0],
  days_left: [1e308, -1e308, 0],
  status: [100, 599],
};

const TIME_FIELDS = new Set(["ts", "starts_at", "ends_at", "expires_at"]);
const NUMBER_FIELDS = new Set([
  "interval_s",
  "timeout_ms",
  "failure_threshold",
  "success_threshold",
  "quorum",
  "latency_threshold_ms",
  "degraded_after",
  "certificate_warning_days",
  "remind_every_s",
  "count",
  "duration_min",
  "latency_ms",
  "backlog",
  "port",
  "loss",
  "rtt_avg_ms",
  "days_left",
  "status",
  "sent",
  "received",
]);
const STRING_FIELDS = new Set([
  "name",
  "group",
  "team",
  "target",
  "x-a",
  "body",
  "keyword",
  "server_name",
  "send",
  "expect",
  "time_zone",
  "url",
  "version",
  "message",
  "start",
  "location",
  "id",
  "monitor",
  "agent",
]);

/**
 * Right-typed extremes for a field: what a schema that checks only the type lets through. These are the
 * values that get stored and then break a read, so they come first; anything else hostile comes second.
 */
function extremeFor(last: string): fc.Arbitrary<unknown> | null {
  const edge = EDGE_VALID[last];
  const pools: Array<fc.WeightedArbitrary<unknown>> = edge ? [{ arbitrary: fc.constantFrom(...edge), weight: 3 }] : [];
  if (TIME_FIELDS.has(last))
    pools.push({ arbitrary: fc.constantFrom(...TIME_HOSTILE), weight: 5 }, { arbitrary: fc.constantFrom(...NEAR_TIMES), weight: 3 });
  if (NUMBER_FIELDS.has(last))
    pools.push(
      { arbitrary: fc.constantFrom(...HOSTILE_NUMBERS), weight: 4 },
      { arbitrary: fc.constantFrom(...RAW_NUMBERS).map((t) => new Raw(t)), weight: 1 },
    );
  if (STRING_FIELDS.has(last))
    pools.push({ arbitrary: fc.constantFrom(...ODD_TEXT, ...HOSTILE_STRINGS), weight: 3 }, { arbitrary: wildString, weight: 1 });
  return pools.length ? fc.oneof(...pools) : null;
}

function valueFor(path: string[]): fc.Arbitrary<unknown> {
  const extreme = extremeFor(path[path.length - 1]!);
  return extreme ? fc.oneof({ arbitrary: extreme, weight: 3 }, { arbitrary: hostileValue, weight: 1 }) : hostileValue;
}

const mutationArb = (kind: BodyKind): fc.Arbitrary<Mutation> =>
  fc.constantFrom(...FIELD_PATHS[kind]).chain((p) => {
    const path = p.split(".");
    return fc.oneof(
      { arbitrary: valueFor(path).map((value) => ({ op: "set", path, value }) as Mutation), weight: 4 },
      { arbitrary: fc.constant({ op: "delete", path } as Mutation), weight: 1 },
    );
  });

/** The paths of a document's fields (three levels deep), e.g. results.0.ts or http.method. */
function fieldPaths(doc: unknown, prefix: string[] = [], depth = 0): string[][] {
  if (doc === null || typeof doc !== "object" || doc instanceof Raw || doc instanceof Now || depth > 3) return [];
  return Object.entries(doc).flatMap(([k, v]) => [[...prefix, k], ...fieldPaths(v, [...prefix, k], depth + 1)]);
}

/**
 * One field the document has, set to a right-typed extreme: the likeliest way to get a poisonous value
 * stored (everything else about the request is valid).
 */
const poisoned = (valid: fc.Arbitrary<unknown>): fc.Arbitrary<{ doc: unknown; m: Mutation }> =>
  valid.chain((doc) => {
    const paths = fieldPaths(doc).filter((p) => extremeFor(p[p.length - 1]!) !== null);
    if (!paths.length) return fc.constant({ doc, m: { op: "delete", path: ["__none__"] } as Mutation });
    // Times first, then numbers, then text: in that order they have broken reads for everyone.
    // URLs and targets next: they are parsed again after validation (new URL, host:port).
    const weight = (p: string[]) => {
      const last = p[p.length - 1]!;
      return TIME_FIELDS.has(last) ? 6 : last === "url" || last === "target" ? 4 : NUMBER_FIELDS.has(last) ? 2 : 1;
    };
    return fc
      .oneof(...paths.map((p) => ({ arbitrary: fc.constant(p), weight: weight(p) })))
      .chain((path) => extremeFor(path[path.length - 1]!)!.map((value) => ({ doc, m: { op: "set", path, value } as Mutation })));
  });

function applyMutation(body: unknown, m: Mutation): unknown {
  if (body === null || typeof body !== "object") return body;
  const root = structuredCloneish(body);
  let node: any = root;
  for (const seg of m.path.slice(0, -1)) {
    if (node[seg] === null || typeof node[seg] !== "object") node[seg] = /^\d+$/.test(seg) ? [] : {};
    node = node[seg];
  }
  const last = m.path[m.path.length - 1]!;
  if (m.op === "delete") delete node[last];
  else if (last === "__proto__")
    Object.defineProperty(node, last, { value: m.value, enumerable: true, writable: true, configurable: true });
  else node[last] = m.value;
  return root;
}

/** A deep copy that keeps the Raw and Now markers. */
function structuredCloneish(v: unknown): any {
  if (v instanceof Raw || v instanceof Now || v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(structuredCloneish);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = structuredCloneish(x);
  return out;
}

const describeValue = (v: unknown) => clip(v instanceof Raw || v instanceof Now ? fc.stringify(v) : (JSON.stringify(v) ?? String(v)), 60);
const describeMutation = (m: Mutation) =>
  m.op === "delete" ? `delete ${m.path.join(".")}` : `set ${m.path.join(".")}=${describeValue(m.value)}`;

const freshSlug = fc.stringMatching(/^fz-[a-z0-9]{6}$/);
const text = fc.oneof(fc.constantFrom("Homepage", "DB primary", "Ünïcödé ✓"), fc.string({ minLength: 1, maxLength: 20 }));

/** Valid documents of each kind (as docs/api.md and docs/alerting.md describe them), before any mutation. */
function validBody(kind: BodyKind, refusedUrl: string): fc.Arbitrary<unknown> {
  const base = refusedUrl.replace(/\/$/, "");
  switch (kind) {
    case "monitor":
    case "monitorPatch": {
      const common = {
        name: text,
        group: fc.option(text, { nil: null }),
        enabled: fc.boolean(),
        public_target: fc.boolean(),
        tags: fc.dictionary(fc.constantFrom("team", "env", "tier"), fc.constantFrom("web", "prod", "")),
        failure_threshold: fc.integer({ min: 1, max: 100 }),
        success_threshold: fc.integer({ min: 1, max: 100 }),
        confirm_failures: fc.boolean(),
        latency_threshold_ms: fc.option(fc.integer({ min: 1, max: 120000 }), { nil: null }),
        degraded_after: fc.integer({ min: 1, max: 100 }),
        certificate_warning_days: fc.option(fc.integer({ min: 0, max: 3650 }), { nil: null }),
        remind_every_s: fc.constantFrom(null, 0, 300, 2_592_000),
      };
      const http = fc.record(
        {
          id: freshSlug,
          kind: fc.constant("http"),
          target: fc.constantFrom(`${base}/`, `${base}/health?x=1`, "http://[::1]:9/", "https://127.0.0.1:9/"),
          interval_s: fc.integer({ min: 60, max: 86400 }),
          timeout_ms: fc.integer({ min: 100, max: 59_999 }),
          runner: fc.constant("edge"),
          ...common,
          http: fc.record(
            {
              method: fc.constantFrom("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"),
              headers: fc.dictionary(fc.constantFrom("x-a", "accept", "user-agent"), fc.constantFrom("1", "", "a b")),
              body: fc.option(fc.constantFrom("ping", "{}"), { nil: null }),
              expected_status: fc.array(fc.constantFrom<unknown>("2xx", "200", 204, "3xx", 599, 100), { minLength: 1, maxLength: 3 }),
              follow_redirects: fc.boolean(),
              keyword: fc.option(fc.constantFrom("ok", "healthy"), { nil: null }),
              keyword_absent: fc.option(fc.constantFrom("error"), { nil: null }),
            },
            { requiredKeys: [] },
          ),
        },
        { requiredKeys: ["id", "kind", "target"] },
      );
      const agent = fc.record(
        {
          id: freshSlug,
          kind: fc.constantFrom("tcp", "tls"),
          target: fc.constantFrom("127.0.0.1:9", "[::1]:9", "localhost:9"),
          runner: fc.constant("agent"),
          interval_s: fc.integer({ min: 10, max: 3600 }),
          locations: fc.subarray(["dc1", "dc2", "dc3"]),
          quorum: fc.option(fc.integer({ min: 1, max: 2 }), { nil: null }),
          ...common,
        },
        { requiredKeys: ["id", "kind", "target"] },
      );
      const icmp = fc.record(
        {
          id: freshSlug,
          kind: fc.constant("icmp"),
          target: fc.constantFrom("127.0.0.1", "localhost", "::1"),
          icmp: fc.record({ count: fc.integer({ min: 1, max: 20 }) }),
          ...common,
        },
        { requiredKeys: ["id", "kind", "target"] },
      );
      const full = fc.oneof({ arbitrary: http, weight: 3 }, { arbitrary: agent, weight: 2 }, { arbitrary: icmp, weight: 1 });
      if (kind === "monitor")
        // Sometimes a fixture's id: a valid document that must be refused with 409 and change nothing.
        return fc
          .tuple(
            full,
            fc.oneof({ arbitrary: fc.constant(null), weight: 7 }, { arbitrary: fc.constantFrom(...FIXTURE.monitors), weight: 1 }),
          )
          .map(([m, dup]) => (dup ? { ...(m as object), id: dup } : m));
      // A merge patch: a few fields of a valid monitor, some of them null (remove = back to the default).
      return fc
        .tuple(
          full,
          fc.subarray([
            "name",
            "interval_s",
            "timeout_ms",
            "enabled",
            "tags",
            "http",
            "kind",
            "target",
            "runner",
            "locations",
            "group",
            "failure_threshold",
          ]),
          fc.subarray(["name", "group", "http", "tags", "kind", "timeout_ms", "id"], { maxLength: 2 }),
        )
        .map(([m, keep, nulls]) => {
          const patch: Record<string, unknown> = {};
          for (const k of keep) if ((m as any)[k] !== undefined) patch[k] = (m as any)[k];
          for (const k of nulls) patch[k] = null;
          return patch;
        });
    }
    case "window": {
      const monitors = fc.subarray([...FIXTURE.monitors, "no-such-monitor"]);
      const once = fc
        .record({
          id: freshSlug,
          name: text,
          kind: fc.constant("once"),
          monitors,
          start: fc.oneof(
            fc.constantFrom(-DAY, -3600_000, 0, 3600_000, 30 * DAY).map((o) => new Now(o) as unknown),
            fc
              .date({ min: new Date("2026-01-01T00:00:00Z"), max: new Date("2030-01-01T00:00:00Z"), noInvalidDate: true })
              .map((d) => d.toISOString() as unknown),
          ),
          length: fc.constantFrom(60_000, DAY, 365 * DAY),
        })
        .map(({ start, length, ...w }) => ({
          ...w,
          starts_at: start,
          ends_at: start instanceof Now ? new Now(start.offsetMs + length) : new Date(Date.parse(start as string) + length).toISOString(),
        }));
      const weekly = fc.record(
        {
          id: freshSlug,
          name: text,
          kind: fc.constant("weekly"),
          monitors,
          days: fc.subarray(["sun", "mon", "tue", "wed", "thu", "fri", "sat"], { minLength: 1 }),
          start: fc
            .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
            .map(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`),
          duration_min: fc.integer({ min: 1, max: 10080 }),
          time_zone: fc.constantFrom(
            "UTC",
            "Europe/Berlin",
            "America/St_Johns",
            "Asia/Kathmandu",
            "Pacific/Kiritimati",
            "Etc/GMT+12",
            "Mars/Olympus",
            "utc",
          ),
        },
        { requiredKeys: ["id", "name", "kind", "days", "start", "duration_min"] },
      );
      return fc.oneof(once, weekly);
    }
    case "channel":
    case "channelPatch": {
      const doc = fc
        .record(
          {
            id: freshSlug,
            name: text,
            kind: fc.constantFrom(...CHANNEL_KINDS),
            url: fc.constantFrom(`${base}/hook`, `${base}/alerts-topic`, `${base}/topic`),
            // Never empty (= every monitor) and never one results are pushed for: see fixtures.ts, channels.
            monitors: fc.subarray(["fx-http", "no-such-monitor"], { minLength: 1 }),
            events: fc.subarray([...EVENT_NAMES], { minLength: 1 }),
            enabled: fc.boolean(),
            secret: fc.constantFrom(`whsec_${btoa("k".repeat(32))}`, `whsec_${btoa("k".repeat(24))}`),
          },
          { requiredKeys: ["id", "kind", "url", "monitors"] },
        )
        .map((c) => (c.kind === "webhook" ? c : (({ secret: _s, ...rest }) => rest)(c)));
      if (kind === "channel") return doc;
      return fc.tuple(doc, fc.subarray(["name", "url", "monitors", "events", "enabled", "secret", "kind"])).map(([c, keep]) => {
        const patch: Record<string, unknown> = {};
        for (const k of keep) if ((c as any)[k] !== undefined) patch[k] = (c as any)[k];
        return patch;
      });
    }
    case "token":
      return fc.record(
        {
          name: text,
          role: fc.constantFrom("admin", "editor", "viewer", "status", "agent", "owner"),
          expires_in_s: fc.integer({ min: 60, max: 3650 * 86_400 }),
        },
        { requiredKeys: ["name", "role"] },
      );
    case "rotate":
      return fc.record(
        { grace_s: fc.integer({ min: 0, max: 7 * 86_400 }), expires_in_s: fc.integer({ min: 60, max: 3650 * 86_400 }) },
        { requiredKeys: [] },
      );
    case "agent":
      return fc.record({ id: fc.oneof(freshSlug, fc.constantFrom(...FIXTURE.agents)), location: fc.constantFrom("dc1", "dc2", "dc3") });
    case "results":
      return resultsBody;
  }
}

/**
 * A valid result from fx-agent (location dc1) for one of its monitors; mutations and the role (agent2 is in
 * dc2) make the rest. Timestamps are recent, relative to when the request is sent.
 */
const resultArb = fc
  .record({
    // Fresh ids mostly; a few fixed ones so batches repeat earlier results, the other agent's included.
    id: fc.oneof({ arbitrary: fc.ulid(), weight: 4 }, { arbitrary: fc.constantFrom("dup-1", "dup-2", "dup-3"), weight: 1 }),
    monitor: fc.constantFrom("fx-tcp", "fx-icmp"),
    // Just now: results from before their monitor was created are dropped as stale (fixtures are re-created now and then).
    ts: fc
      .oneof({ arbitrary: fc.integer({ min: -1000, max: 0 }), weight: 8 }, { arbitrary: fc.integer({ min: -3 * DAY, max: 0 }), weight: 1 })
      .map((o) => new Now(o)),
    ok: fc.boolean(),
    latency_ms: fc.option(
      fc.integer({ min: 0, max: 500_000 }).map((n) => n / 100),
      { nil: null, freq: 6 },
    ),
    location: fc.constant("dc1"),
    agent: fc.constantFrom<unknown>(undefined, null, "fx-agent"),
    errorKind: fc.constantFrom("timeout", "refused", "other", "status"),
    errorMessage: fc.constantFrom(
      "connect ECONNREFUSED 127.0.0.1:9",
      "x".repeat(2000),
      "no answer within 10000 ms",
      "ünïcödé ✓ 😀",
      "line\nbreak\ttab",
    ),
    port: fc.integer({ min: 1, max: 65535 }),
  })
  .map(({ errorKind, errorMessage, port, ...r }) => {
    const out: Record<string, unknown> = { ...r, error: r.ok ? null : { kind: errorKind, message: errorMessage } };
    if (r.monitor === "fx-tcp") out.tcp = { port };
    if (r.monitor === "fx-icmp")
      out.icmp = { sent: 3, received: r.ok ? 3 : 0, loss: r.ok ? 0 : 1, rtt_min_ms: null, rtt_avg_ms: null, rtt_max_ms: null };
    if (r.agent === undefined) delete out.agent;
    return out;
  });

const resultsBody = fc.oneof(
  {
    arbitrary: fc.record(
      {
        version: fc.constantFrom("0.1.0", "", "x".repeat(64)),
        backlog: fc.nat({ max: 10_000 }),
        results: fc.array(resultArb, { minLength: 1, maxLength: 4 }),
      },
      { requiredKeys: ["results"] },
    ),
    weight: 12,
  },
  // Over the batch limit (1,000 results): 413, before the results are looked at.
  { arbitrary: resultArb.map((r) => ({ results: Array.from({ length: 1001 }, () => r) })), weight: 1 },
);

/** Bodies that replace the whole document: deep nesting, wrong JSON types, not JSON at all. */
function wholeBodyArb(kind: BodyKind): fc.Arbitrary<{ body: Body; note: string }> {
  const deep = kind === "results" ? [1000, 10_000, 100_000] : [1000, 5000, 10_000];
  return fc.oneof(
    fc.constantFrom(...RAW_BODIES).map((raw) => ({ body: { raw }, note: `raw body ${describeValue(raw)}` })),
    fc
      .constantFrom(...deep)
      .chain((d) =>
        fc.constantFrom(
          { body: { json: deepObject(d) }, note: `object nested ${d} deep` },
          { body: { json: deepArray(d * 2) }, note: `array nested ${d * 2} deep` },
          { body: { json: { http: { headers: deepObject(d - 3) } } }, note: `http.headers nested ${d} deep` },
          { body: { json: { tags: deepObject(d - 2) } }, note: `tags nested ${d} deep` },
          { body: { json: { results: [deepObject(d - 3)] } }, note: `results[0] nested ${d} deep` },
        ),
      ),
    hostileValue.map((v) => ({ body: { json: v }, note: `whole body ${describeValue(v)}` })),
  );
}

function bodyArb(kind: BodyKind, refusedUrl: string): fc.Arbitrary<{ body: Body; note: string }> {
  const valid = validBody(kind, refusedUrl);
  // Mostly one change to an otherwise valid document, so it fails (or passes) for that change alone.
  const changes = fc.oneof(
    { arbitrary: fc.array(mutationArb(kind), { minLength: 1, maxLength: 1 }), weight: 3 },
    { arbitrary: fc.array(mutationArb(kind), { minLength: 2, maxLength: 3 }), weight: 1 },
  );
  const mutated = fc.tuple(valid, changes).map(([b, ms]) => ({
    body: { json: ms.reduce(applyMutation, b) } as Body,
    note: `valid ${kind}; ${ms.map(describeMutation).join("; ")}`,
  }));
  return fc.oneof(
    { arbitrary: valid.map((b) => ({ body: { json: b } as Body, note: `valid ${kind}` })), weight: 3 },
    {
      arbitrary: poisoned(valid).map(({ doc, m }) => ({
        body: { json: applyMutation(doc, m) } as Body,
        note: `valid ${kind}; ${describeMutation(m)}`,
      })),
      weight: 6,
    },
    { arbitrary: mutated, weight: 6 },
    { arbitrary: valid.map((b) => ({ body: { json: [b] } as Body, note: `valid ${kind} inside an array` })), weight: 1 },
    { arbitrary: wholeBodyArb(kind), weight: 2 },
  );
}

// ---- requests ----------------------------------------------------------------------------------------------

const OTHER_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const UNKNOWN_PATHS = [
  "/api/v1/nope",
  "/api/v2/monitors",
  "/api/v1/monitors/fx-http/checks/extra",
  "/api/v1/monitors/",
  "/api/v1//monitors",
  "/API/V1/MONITORS",
  "/api/v1/monitors/fx-http/%2e%2e",
  "/badge/fx-http",
  "/badge/fx-http/other.svg",
  "/assets/",
  "/assets/%2e%2e/%2e%2e/wrangler.toml",
  "/assets/..%2f..%2findex.html",
  "/assets/%00",
  "/assets/app.js%00",
  "/monitors/",
  "/%ED%A0%80",
  "/healthz/",
  "/readyz?x=%",
  "/metrics/",
  "/api/v1/agents/me",
  "/api/v1/results/x",
  "/api/v1/tokens/x/y",
];

function routeCase(r: RouteSpec, refusedUrl: string): fc.Arbitrary<FuzzCase> {
  const passing = rolesPassing(r.need);
  const role = fc.oneof({ arbitrary: fc.constantFrom(...passing), weight: 5 }, { arbitrary: fc.constantFrom(...ROLES), weight: 1 });
  const body = r.body ? bodyArb(r.body, refusedUrl) : fc.constant({ body: undefined, note: "no body" });
  // Routes without a body sometimes get one anyway (not GET: fetch cannot send one).
  const strayBody =
    !r.body && r.method !== "GET"
      ? fc.oneof(
          { arbitrary: fc.constant(null), weight: 3 },
          { arbitrary: hostileValue.map((v) => ({ body: { json: v } as Body, note: `stray body ${describeValue(v)}` })), weight: 1 },
        )
      : fc.constant(null);
  return fc
    .record({
      role,
      // PUBLIC_STATUS=true on one request in four: the public status page, badges and /metrics paths.
      publicStatus: fc.integer({ min: 0, max: 3 }).map((k) => k === 0),
      id: r.id ? idArb(r.id) : fc.constant(undefined),
      query: queryArb(r.query ?? "none"),
      // Odd headers on one request in ten (each of them on about half of those), so most get past auth and content-type.
      headers: fc.oneof({ arbitrary: fc.constant({}), weight: 9 }, { arbitrary: headersArb, weight: 1 }),
      body,
      strayBody,
      matchId: fc.boolean(),
    })
    .map(({ role, publicStatus, id, query, headers, body, strayBody, matchId }) => {
      let b = strayBody ?? body;
      // PUT and PATCH: the body's id usually matches the path, so the request gets past that check.
      if (
        matchId &&
        id &&
        id.kind !== "hostile" &&
        b.body &&
        "json" in b.body &&
        isPlainObject(b.body.json) &&
        (r.method === "PUT" || "id" in b.body.json)
      )
        b = { body: { json: { ...b.body.json, id: id.kind === "fixture" ? id.name : id.id } }, note: `${b.note}; id matches the path` };
      return new FuzzCase(`${r.method} ${r.path}`, r.method, r.path, role, publicStatus, id, query, headers ?? {}, b.body, b.note);
    });
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Raw) && !(v instanceof Now);

/** A known path with a method it does not have, or a path no route has. */
const unknownCase: fc.Arbitrary<FuzzCase> = fc
  .record({
    method: fc.constantFrom(...OTHER_METHODS),
    path: fc.oneof(
      fc.constantFrom(...UNKNOWN_PATHS),
      fc.constantFrom(...ROUTES.map((r) => r.path.replace(":id", "fx-http").replace("*", "app.js"))),
    ),
    role: fc.constantFrom(...ROLES),
    body: fc.option(hostileValue, { freq: 3 }),
  })
  .filter(
    ({ method, path }) => !ROUTES.some((r) => r.method === method && r.path.replace(":id", "fx-http").replace("*", "app.js") === path),
  )
  .map(
    ({ method, path, role, body }) =>
      new FuzzCase(
        "unknown route",
        method,
        path,
        role,
        false,
        undefined,
        [],
        {},
        body === null || method === "GET" || method === "HEAD" ? undefined : { json: body },
        "unknown route",
      ),
  );

/** Routes that store what they are sent get more requests; agent results most (the issue's own example). */
const BODY_WEIGHT: Partial<Record<BodyKind, number>> = {
  results: 24,
  monitor: 14,
  monitorPatch: 10,
  window: 12,
  channel: 12,
  channelPatch: 10,
  token: 5,
  rotate: 4,
  agent: 5,
};

/** One request to any route, with any role; every route equally likely, plus unknown routes and methods. */
export function requestArb(refusedUrl: string): fc.Arbitrary<FuzzCase> {
  return fc.oneof(
    ...ROUTES.map((r) => ({ arbitrary: routeCase(r, refusedUrl), weight: r.body ? (BODY_WEIGHT[r.body] ?? 8) : r.id || r.query ? 3 : 2 })),
    { arbitrary: unknownCase, weight: 3 },
  );
}
