// Hostile values for the API fuzz test, and the serializer that turns generated bodies into request text.
// Bodies are plain JS values plus two markers: Raw (JSON text sent as is: number literals JSON.stringify
// cannot write, deep nesting) and Now (a time relative to when the request is sent).
import fc from "fast-check";

/** JSON text inserted verbatim where a value goes: `1e400`, `-0`, `9007199254740993`, 30,000 nested arrays. */
export class Raw {
  constructor(
    readonly text: string,
    readonly label = text.length > 40 ? `${text.slice(0, 40)}…(${text.length} chars)` : text,
  ) {}
  [fc.toStringMethod]() {
    return `Raw(${JSON.stringify(this.label)})`;
  }
}

/** Epoch ms relative to the moment the request is sent, so generated results stay "recent" on any day. */
export class Now {
  constructor(readonly offsetMs: number) {}
  [fc.toStringMethod]() {
    return `Now(${this.offsetMs >= 0 ? "+" : ""}${this.offsetMs})`;
  }
}

/**
 * The text with every lone surrogate written as \uXXXX. Vitest reports through a WebSocket that drops the
 * whole test run on invalid UTF-8, and generated values (and clipped strings) are full of lone surrogates.
 */
export function wellFormed(text: string): string {
  return text.replace(
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16)}`,
  );
}

/** JSON text of a generated value (markers included); iterative enough for the shallow trees the generators build. */
export function toJsonText(value: unknown, now: number): string {
  if (value instanceof Raw) return value.text;
  if (value instanceof Now) return String(now + value.offsetMs);
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? "null" : toJsonText(v, now))).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(value)) if (v !== undefined) parts.push(`${JSON.stringify(k)}:${toJsonText(v, now)}`);
    return `{${parts.join(",")}}`;
  }
  // JSON.stringify writes lone surrogates as \ud800 escapes: the server's JSON.parse gives them back as lone surrogates.
  return JSON.stringify(value) ?? "null";
}

/** Objects nested `depth` deep: {"a":{"a":…1…}}. */
export const deepObject = (depth: number, key = "a") =>
  new Raw(`${`{${JSON.stringify(key)}:`.repeat(depth)}1${"}".repeat(depth)}`, `{"${key}":…} nested ${depth} deep`);
/** Arrays nested `depth` deep: [[[…]]]. */
export const deepArray = (depth: number) => new Raw(`${"[".repeat(depth)}${"]".repeat(depth)}`, `[…] nested ${depth} deep`);

const DEPTHS = [1000, 5000, 12_000];
/** A body must stay under 64 KiB for most routes: 12,000 levels of {"a": is 60 KB. */
export const deepValue = fc.oneof(
  fc.constantFrom(...DEPTHS).map((d) => deepObject(d)),
  fc.constantFrom(...DEPTHS, 30_000).map((d) => deepArray(d)),
  fc.constantFrom(1000, 5000).map((d) => deepObject(d, "__proto__")),
);

// Numbers at and past every boundary the schemas and the JS Date range have.
export const HOSTILE_NUMBERS: number[] = [
  0,
  -0,
  -1,
  1,
  0.5,
  -0.5,
  59,
  60,
  9,
  10,
  99,
  100,
  599,
  600,
  65535,
  65536,
  86400,
  86401,
  120000,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 32,
  2 ** 53 - 1,
  2 ** 53 + 2,
  -(2 ** 53) - 2,
  1e21,
  1e300,
  1e308,
  -1e308,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  8.64e15,
  8.64e15 + 1,
  -8.64e15 - 1,
  4102444800000, // 2100-01-01
  253402300800000, // 10000-01-01
  1e16,
];

/** Number literals JSON.stringify cannot write; the server's JSON.parse turns some into Infinity, -0 or a rounded 2^53. */
export const RAW_NUMBERS = [
  "1e400",
  "-1e400",
  "-0",
  "-0.0",
  "9007199254740993",
  "1E2",
  "1e-400",
  `1${"0".repeat(400)}`,
  "0.1e1",
  "8640000000000001",
];

export const HOSTILE_STRINGS: string[] = [
  "",
  " ",
  "\t\n",
  "a",
  "null",
  "undefined",
  "true",
  "0",
  "-1",
  "-0",
  "1e3",
  " 60",
  "60 ",
  "0x10",
  "NaN",
  "Infinity",
  "-Infinity",
  "2147483648",
  "9007199254740993",
  "1e308",
  "1e309",
  "8640000000000000",
  "8640000000000001",
  "-8640000000000001",
  "99999999999999999999999",
  "9999-99-99",
  "9999-12-31T23:59:59Z",
  "2100-01-01T00:00:00Z",
  "0000-01-01T00:00:00Z",
  "1969-12-31T23:59:59Z",
  "+275760-09-13T00:00:00.000Z",
  "275760-09-13T00:00:00.001Z",
  "2026-13-45T25:61:61Z",
  "2026-02-30T00:00:00Z",
  "2026-01-01T00:00:00+99:99",
  "2026-01-01 00:00:00Z",
  "2026-01-01T00:00:00.123456789123456789Z",
  "\uD800",
  "\uDFFF",
  "a\uD800b",
  "\uDFFF\uD800",
  "\u0000",
  "a\u0000b",
  "\u0007\u0008",
  "\u001b[2J\u001b[31mred",
  "\u007f",
  "\u0085",
  "\u009b31m",
  "\u202Egnp.exe",
  "\u2028\u2029",
  "\uFEFF",
  "\uFFFE\uFFFF",
  "😀",
  "e\u0301",
  "'; DROP TABLE monitors; --",
  '" OR 1=1 --',
  "<script>alert(1)</script>",
  // A log4j-style lookup, spelled so that it is not a template placeholder here.
  "$" + "{jndi:ldap://127.0.0.1:9/x}",
  "../../etc/passwd",
  "%00",
  "%zz",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "a".repeat(65),
  "x".repeat(3000),
  "é".repeat(3000),
  "\uD800".repeat(2000),
];

/** UTF-16 code units of every kind: lone surrogates, C0 and C1 controls, bidi overrides, noncharacters. */
export const anyCodeUnit = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)),
  fc.constantFrom("\uD800", "\uDBFF", "\uDC00", "\uDFFF", "\u0000", "\u001f", "\u0085", "\u009f", "\u202E", "\u200B", "\uFEFF"),
);
export const wildString = fc.string({ unit: anyCodeUnit, maxLength: 40 });

export const hostileString = fc.oneof({ arbitrary: fc.constantFrom(...HOSTILE_STRINGS), weight: 4 }, { arbitrary: wildString, weight: 2 });

export const hostileNumber = fc.oneof(
  { arbitrary: fc.constantFrom(...HOSTILE_NUMBERS), weight: 4 },
  { arbitrary: fc.double(), weight: 1 },
  { arbitrary: fc.integer(), weight: 1 },
);

const junkKey = fc.oneof(
  fc.constantFrom("__proto__", "constructor", "prototype", "", " ", "\uD800", "a.b", "[0]", "x".repeat(300)),
  wildString,
);

/** Any hostile value: wrong types, boundary numbers, strange strings, empty and junk containers, deep nesting. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileNumber, weight: 4 },
  { arbitrary: hostileString, weight: 4 },
  { arbitrary: fc.constantFrom(...RAW_NUMBERS).map((t) => new Raw(t)), weight: 2 },
  { arbitrary: fc.constantFrom<unknown>(null, true, false, [], {}, [null], [[]], { "": null }), weight: 2 },
  { arbitrary: fc.array(fc.oneof(hostileNumber, hostileString), { maxLength: 4 }), weight: 1 },
  { arbitrary: fc.dictionary(junkKey, fc.oneof(hostileNumber, hostileString), { maxKeys: 3 }), weight: 1 },
  { arbitrary: deepValue, weight: 1 },
);

/** A whole body that is not what the route wants: wrong JSON types, deep nesting, or not JSON at all. */
export const RAW_BODIES = [
  "",
  " ",
  "{",
  "}",
  "[",
  '{"a":}',
  '{"a":1,}',
  "{'a':1}",
  "NaN",
  "undefined",
  "1e400",
  '"\\ud800"',
  '"\\u0000"',
  "\uFEFF{}",
  "{}\u0000",
  "{}{}",
  "[]",
  "null",
  "true",
  "0",
  '""',
  '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"x":1}}}',
  '{"id":"a","id":"b"}',
  "\uD800",
  "\u0000",
  "\u001b[31m{}",
  "\x85{}",
  "a".repeat(70_000),
  `{"x":"${"a".repeat(66_000)}"}`,
];
