// The layout's two rules that a reader relies on: D1 SQL lives in edge/src/db only, and edge/src's root
// holds only the Worker entry (every other file sits in a folder that names its role).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const src = path.join(root, "edge/src");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [p] : [];
  });
}

/** Every D1 statement starts with prepare() (or exec()) on the binding; InfluxQL in points/influx.ts is not D1's. */
const D1_CALL = /\.prepare\(|\b(db|DB)\.exec\(/;

describe("edge/src layout", () => {
  it("has D1 statements only under edge/src/db", () => {
    const offenders = sources(src)
      .filter((f) => !f.startsWith(path.join(src, "db") + path.sep))
      .flatMap((f) =>
        readFileSync(f, "utf8")
          .split("\n")
          .flatMap((line, i) => (D1_CALL.test(line) ? [`${path.relative(root, f)}:${i + 1}: ${line.trim()}`] : [])),
      );
    expect(offenders, offenders.join("\n")).toEqual([]);
  });

  it("finds a D1 statement when it is there (the rule can fail)", () => {
    expect(D1_CALL.test('const r = await db.prepare("SELECT id FROM monitors").all();')).toBe(true);
    expect(D1_CALL.test("this.#db.prepare(INSERT).bind(x)")).toBe(true);
    expect(D1_CALL.test("await env.DB.exec(`PRAGMA foreign_keys`)")).toBe(true);
    expect(D1_CALL.test("const q = `SELECT * FROM http_response`; // InfluxQL")).toBe(false);
  });

  it("keeps only the Worker entry at the root of edge/src", () => {
    const files = readdirSync(src, { withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => e.name);
    expect(files).toEqual(["index.ts"]);
  });
});
