// The monitors file's schema: the API's own rules with the path named, ids unique per section, every section
// optional. (The example file and the JSON Schema in deploy/ are checked in test/monitors-as-code.test.ts.)
import { describe, expect, it } from "vitest";
import { MonitorsFile } from "../scripts/lib/monitors-worker.mjs";
import { toIssues } from "./issues.ts";

const problems = (value: unknown) => {
  const r = MonitorsFile.safeParse(value);
  return r.success ? [] : toIssues(r.error).map((i) => `${i.path}: ${i.message}`);
};
const http = (id: string, extra: Record<string, unknown> = {}) => ({ id, kind: "http", target: "https://example.com/", ...extra });

describe("the monitors file schema", () => {
  it("takes each section alone, or none, and fills the API's defaults", () => {
    expect(problems({})).toEqual([]);
    expect(problems({ maintenance: [] })).toEqual([]);
    const r = MonitorsFile.parse({ monitors: [http("web")] });
    expect(r.monitors![0]).toMatchObject({ id: "web", name: "web", runner: "edge", interval_s: 60, timeout_ms: 10000, enabled: true });
    expect(r.channels).toBeUndefined();
  });

  it("names the path of each problem: unknown keys, the monitor's own rules, a channel's kind and fields, a window's", () => {
    expect(
      problems({
        monitors: [http("a"), http("b", { interval_s: 30 }), http("c", { intervall: 60 })],
        channels: [
          { id: "x", kind: "carrier-pigeon", url: "https://example.com/x" },
          { id: "y", kind: "webhook", url: "https://example.com/y", secret: "hunter2" },
        ],
        maintenance: [{ id: "m", name: "M", kind: "weekly", days: ["sat"], start: "2am", duration_min: 60 }],
        extra: true,
      }),
    ).toEqual([
      'maintenance[0].start: must be "HH:MM" (24 h)',
      // The kinds are the Worker's registry's, listed in full.
      expect.stringMatching(/^channels\[0\]\.kind: must be one of "webhook", "slack", .*"ntfy"/),
      'channels[1].secret: must be "whsec_" followed by 24 to 64 bytes in base64 (leave it out to have one generated)',
      "monitors[1].interval_s: must be at least 60 for edge monitors",
      "monitors[2].intervall: is not a known field",
      "extra: is not a known field",
    ]);
  });

  it("refuses an id used twice in a section, naming both places", () => {
    expect(problems({ monitors: [http("a"), http("b"), http("a")] })).toEqual(['monitors[2].id: repeats the id "a" of monitors[0]']);
    // One id may name a monitor and a channel: they are different things.
    expect(problems({ monitors: [http("a")], channels: [{ id: "a", kind: "slack", url: "https://hooks.slack.com/services/x" }] })).toEqual(
      [],
    );
  });
});
