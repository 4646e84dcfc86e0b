// Line protocol encoding: escaping as InfluxDB 1.x parses it, field types, key order and the timestamp.
import { describe, expect, it } from "vitest";
import { encodePoint, escapeMeasurement, escapeStringField, escapeTag, int } from "./lineprotocol.ts";

describe("escaping", () => {
  it("escapes commas, spaces and equals signs in tags; only commas and spaces in measurements", () => {
    expect(escapeTag("a b,c=d")).toBe("a\\ b\\,c\\=d");
    expect(escapeMeasurement("a b,c=d")).toBe("a\\ b\\,c=d");
  });

  // Each case was checked against influxd 1.6: the line parses, and reads back as noted.
  it("keeps a tag line parseable around backslashes and control characters", () => {
    expect(escapeTag("C:\\dir")).toBe("C:\\dir"); // reads back exactly
    expect(escapeTag("a\\\\b")).toBe("a\\\\b"); // exactly
    expect(escapeTag("\\\\,")).toBe("\\\\\\,"); // exactly: an even run, then the escaped comma
    expect(escapeTag("x\\ y")).toBe("x\\\\\\ y"); // an odd run before a special is evened: reads back as x\\ y
    expect(escapeTag("trailing\\")).toBe("trailing"); // 1.x rejects a tag value ending in a backslash
    expect(escapeTag("two\nlines\tand\rtab")).toBe("two\\nlines\\tand\\rtab");
    expect(encodePoint({ measurement: "m", tags: { only: "\\" }, fields: { f: 1 }, ts: 1 })).toBe("m f=1 1");
  });

  it("quotes string fields, escaping quotes and backslashes", () => {
    expect(escapeStringField('say "hi" \\ bye')).toBe('"say \\"hi\\" \\\\ bye"');
  });

  it("omits empty tags and absent or non-finite fields", () => {
    expect(
      encodePoint({
        measurement: "m",
        tags: { a: "", b: null, c: "x" },
        fields: { f: null, g: Number.NaN, h: 1.5, i: { int: 2 }, j: true },
        ts: 5,
      }),
    ).toBe("m,c=x h=1.5,i=2i,j=true 5");
  });
});

describe("encodePoint", () => {
  it("sorts tags and fields by key, types each field, and writes the timestamp in whole ms", () => {
    expect(
      encodePoint({
        measurement: "m",
        tags: { z: "1", a: "2" },
        fields: { s: "x", b: false, i: int(-2.7), f: 0.5 },
        ts: 1_764_216_000_000.9,
      }),
    ).toBe('m,a=2,z=1 b=false,f=0.5,i=-2i,s="x" 1764216000000');
  });
});
