// InfluxDB line protocol: a point (measurement, tags, typed fields, ms timestamp) as one line, escaped as InfluxDB parses it.

/** A field value: plain numbers are floats; integers are written with the `i` suffix. */
export type FieldValue = number | { int: number } | string | boolean;

export type Point = {
  measurement: string;
  /** Empty values are dropped when encoding: line protocol has no empty tag value. */
  tags: Record<string, string | null | undefined>;
  /** null/undefined fields are left out. */
  fields: Record<string, FieldValue | null | undefined>;
  /** Epoch milliseconds (write with precision=ms). */
  ts: number;
};

/** An integer field (written with the `i` suffix), truncated toward zero. */
export const int = (n: number): { int: number } => ({ int: Math.trunc(n) });

// Line protocol escaping, as InfluxDB 1.x parses it: a backslash pairs with the character after it, and
// only the specials are unescaped on read. So a run of backslashes is written as is before an ordinary
// character (and reads back exactly), made even before a special (so the special stays escaped; an odd
// run reads back one longer), and dropped at the end of a value, which 1.x rejects ("invalid tag format").
// Newlines and tabs cannot appear raw; they become the two characters \n, \t, \r. None of this touches
// monitor ids, locations or agents (slugs); it keeps odd URLs and certificate names from breaking a batch.
function escapeWith(s: string, specials: string): string {
  const value = s.replace(/\\+$/, "");
  let out = "";
  for (let i = 0; i < value.length; ) {
    const c = value[i]!;
    if (c === "\\") {
      let j = i;
      while (value[j] === "\\") j++;
      const run = j - i;
      const next = value[j];
      out += "\\".repeat(next !== undefined && specials.includes(next) && run % 2 === 1 ? run + 1 : run);
      i = j;
      continue;
    }
    out += c === "\n" ? "\\n" : c === "\r" ? "\\r" : c === "\t" ? "\\t" : specials.includes(c) ? `\\${c}` : c;
    i++;
  }
  return out;
}
export const escapeMeasurement = (s: string): string => escapeWith(s, ", ");
export const escapeTag = (s: string): string => escapeWith(s, ", =");
export const escapeStringField = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

function encodeField(v: FieldValue): string {
  if (typeof v === "string") return escapeStringField(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return String(v);
  return `${v.int}i`;
}

const byKey = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : a > b ? 1 : 0);

/** One line of line protocol (ms precision); tags and fields sorted by key, empty tags and absent fields left out. */
export function encodePoint(p: Point): string {
  const tags = Object.entries(p.tags)
    .flatMap(([k, v]): [string, string][] => (typeof v === "string" && escapeTag(v) !== "" ? [[k, escapeTag(v)]] : []))
    .sort(byKey)
    .map(([k, v]) => `,${escapeTag(k)}=${v}`)
    .join("");
  const fields = Object.entries(p.fields)
    .filter((e): e is [string, FieldValue] => e[1] !== null && e[1] !== undefined && !(typeof e[1] === "number" && !Number.isFinite(e[1])))
    .sort(byKey)
    .map(([k, v]) => `${escapeTag(k)}=${encodeField(v)}`)
    .join(",");
  return `${escapeMeasurement(p.measurement)}${tags} ${fields} ${Math.trunc(p.ts)}`;
}
