// docs/influxdb.md tells InfluxDB users what the fixture test allows: every difference from Telegraf's points with its
// reason word for word, every Telegraf file the comparison cites, and the commit; and the docs index links the page.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { EXAMPLE_NOTES, TELEGRAF_COMMIT, TELEGRAF_DIFFERENCES, TELEGRAF_EXAMPLES } from "../../edge/src/points/telegraf-compat.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const read = (p: string) => readFileSync(path.join(ROOT, p), "utf8");
const page = read("docs/influxdb.md");

describe("docs/influxdb.md", () => {
  it("gives the reason of every difference from Telegraf, word for word, in its table", () => {
    const rows = page.split("\n").filter((l) => l.startsWith("| "));
    const missing = TELEGRAF_DIFFERENCES.filter((d) => !rows.some((r) => r.includes(`| \`${d.key}\` | ${d.kind} | ${d.reason} |`))).map(
      (d) => `${d.measurement} ${d.key}`,
    );
    expect(missing).toEqual([]);
  });

  it("gives the reason of every correction to Telegraf's examples", () => {
    const notes = Object.values(EXAMPLE_NOTES).flatMap((n) => n ?? []);
    expect(notes.filter((n) => !page.includes(n.reason)).map((n) => n.key)).toEqual([]);
  });

  it("cites each Telegraf file the fixtures come from, and the commit", () => {
    const files = new Set(Object.values(TELEGRAF_EXAMPLES).map((e) => e.source.split(" (")[0]!));
    expect([...files].filter((f) => !page.includes(`\`${f}\``))).toEqual([]);
    expect(page).toContain(TELEGRAF_COMMIT);
  });

  it("is linked from the docs index and from storage.md", () => {
    expect(read("docs/README.md")).toContain("](influxdb.md)");
    expect(read("docs/storage.md")).toContain("](influxdb.md)");
  });
});
