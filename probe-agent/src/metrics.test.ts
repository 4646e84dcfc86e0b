// The agent's registry before anything has happened: every label set it knows of is there at 0, and no
// gauge is named like a counter. (test/metrics-lint.test.ts runs promtool on a real agent's /metrics.)
import { describe, expect, it } from "vitest";
import { AGENT_KINDS, ERROR_KINDS } from "../../contract/index.ts";
import { CHECK_RESULTS, DROP_REASONS, OMITTED_DEFAULT_METRICS, createMetrics } from "./metrics.ts";
import { PUSH_FAILURE_REASONS } from "./push.ts";
import { RELOAD_TRIGGERS } from "./token.ts";

const fresh = () =>
  createMetrics({
    outboxDepth: () => 0,
    outboxOldestTs: () => null,
    lastPushAt: () => null,
    lastRefreshAt: () => null,
    tokenLoadedAt: () => null,
  }).registry.metrics();

/** One sample's value, e.g. value(text, 'uptime_agent_checks_total{kind="tcp",result="ok"}'); undefined when absent. */
const value = (text: string, series: string): number | undefined => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe("a fresh agent's /metrics", () => {
  it("lists every counter's known label sets at 0, so rate() and increase() see the first event", async () => {
    const text = await fresh();
    const expected: string[] = [];
    for (const kind of AGENT_KINDS) {
      for (const result of CHECK_RESULTS) expected.push(`uptime_agent_checks_total{kind="${kind}",result="${result}"}`);
      expected.push(`uptime_agent_checks_skipped_total{kind="${kind}"}`, `uptime_agent_check_duration_seconds_count{kind="${kind}"}`);
      expected.push(`uptime_agent_assignments{kind="${kind}"}`);
    }
    for (const reason of PUSH_FAILURE_REASONS) expected.push(`uptime_agent_push_failures_total{reason="${reason}"}`);
    for (const reason of DROP_REASONS) expected.push(`uptime_agent_outbox_dropped_total{reason="${reason}"}`);
    for (const outcome of ["accepted", "duplicate"]) expected.push(`uptime_agent_pushed_results_total{outcome="${outcome}"}`);
    for (const trigger of RELOAD_TRIGGERS) expected.push(`uptime_agent_token_reloads_total{trigger="${trigger}"}`);
    expected.push("uptime_agent_assignment_refresh_failures_total", "uptime_agent_token_reload_failures_total");
    for (const series of expected) expect(value(text, series), series).toBe(0);
    expect(CHECK_RESULTS).toEqual(["ok", ...ERROR_KINDS]);
    expect(PUSH_FAILURE_REASONS).toEqual(expect.arrayContaining(["network", "timeout", "http_503", "http_429"]));
  });

  it("names no gauge like a counter: prom-client's three *_total gauges are left out", async () => {
    const text = await fresh();
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => ({ name: m[1]!, type: m[2]! }));
    expect(types.filter((t) => t.type !== "counter" && t.name.endsWith("_total"))).toEqual([]);
    for (const name of OMITTED_DEFAULT_METRICS) expect(text).not.toContain(`${name} `);
    // What they summed is still there, by type.
    expect(text).toContain("# TYPE nodejs_active_handles gauge");
    expect(text).toContain("# TYPE nodejs_active_resources gauge");
  });
});
