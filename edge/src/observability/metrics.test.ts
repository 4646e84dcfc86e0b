// The /metrics exposition: exact text for a small snapshot, escaping, and a parse with a real exposition-format parser.
// @ts-expect-error no type declarations
import parsePrometheus from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { RATE_LIMIT_NAMES } from "../config/rate-limits.ts";
import { escapeHelp, escapeLabelValue, exposition, formatValue, render, type MetricsInput } from "./metrics.ts";

const NOW = 1_764_216_000_000; // 2025-11-27T04:00:00Z

const snapshot = (over: Partial<MetricsInput> = {}): MetricsInput => ({
  now: NOW,
  monitors: [{ id: "db", name: "DB", group: null, kind: "tls", runner: "agent", status: "down" }],
  latest: [{ monitor: "db", location: "dc1", ts: NOW - 5000, up: 0, latency_ms: 12.5, tls_expires_at: NOW + 86_400_000 }],
  uptime: [
    { monitor: "db", location: "dc1", window: "1d", checks: 4, up: 3 },
    { monitor: "db", location: "dc1", window: "7d", checks: 0, up: 0 },
  ],
  agents: [
    { id: "dc1-a", location: "dc1", version: "0.1.0", last_seen_at: NOW - 2500, backlog: 7 },
    { id: "dc1-b", location: "dc1", version: null, last_seen_at: null, backlog: null },
  ],
  pointStore: "influxdb",
  outbox: { depth: 2, capacity: 100_000, oldest_enqueued_at: NOW - 60_000, dropped: 5, delivered: 9 },
  notifications: { pending: 1, dead: 0 },
  deadLetteredBatches: 2,
  auditWriteFailures: 1,
  rateLimited: { failed_auth: 3, token: 0 },
  ...over,
});

describe("exposition", () => {
  it("writes every family with HELP and TYPE, units in the names, and one sample per series", () => {
    expect(exposition(snapshot())).toBe(
      [
        "# HELP uptime_monitor_info A monitor's name, group, kind and runner (always 1).",
        "# TYPE uptime_monitor_info gauge",
        'uptime_monitor_info{monitor="db",name="DB",group="",kind="tls",runner="agent"} 1',
        "# HELP uptime_monitor_status The monitor's state after its thresholds: 1 for the current status (up, down, pending, paused, maintenance), 0 for the others.",
        "# TYPE uptime_monitor_status gauge",
        'uptime_monitor_status{monitor="db",status="up"} 0',
        'uptime_monitor_status{monitor="db",status="down"} 1',
        'uptime_monitor_status{monitor="db",status="pending"} 0',
        'uptime_monitor_status{monitor="db",status="paused"} 0',
        'uptime_monitor_status{monitor="db",status="maintenance"} 0',
        "# HELP uptime_monitor_up Whether the latest check of the monitor at this location succeeded (1) or failed (0).",
        "# TYPE uptime_monitor_up gauge",
        'uptime_monitor_up{monitor="db",location="dc1"} 0',
        "# HELP uptime_monitor_response_time_seconds Response time of the latest check at this location that measured one, in seconds.",
        "# TYPE uptime_monitor_response_time_seconds gauge",
        'uptime_monitor_response_time_seconds{monitor="db",location="dc1"} 0.0125',
        "# HELP uptime_monitor_last_check_timestamp_seconds When the latest check of the monitor at this location started, in seconds since the epoch.",
        "# TYPE uptime_monitor_last_check_timestamp_seconds gauge",
        'uptime_monitor_last_check_timestamp_seconds{monitor="db",location="dc1"} 1764215995',
        "# HELP uptime_monitor_uptime_ratio Successful checks / all checks at this location over the window (1d: the last 24 UTC hours; 7d, 30d: the last 7 or 30 UTC days, today included). Absent without checks.",
        "# TYPE uptime_monitor_uptime_ratio gauge",
        'uptime_monitor_uptime_ratio{monitor="db",location="dc1",window="1d"} 0.75',
        "# HELP uptime_monitor_certificate_expiry_seconds Seconds until the certificate seen by the latest tls check that read one expires (negative once expired).",
        "# TYPE uptime_monitor_certificate_expiry_seconds gauge",
        'uptime_monitor_certificate_expiry_seconds{monitor="db",location="dc1"} 86400',
        "# HELP uptime_monitor_certificate_expiry_timestamp_seconds When that certificate expires (its notAfter), in seconds since the epoch.",
        "# TYPE uptime_monitor_certificate_expiry_timestamp_seconds gauge",
        'uptime_monitor_certificate_expiry_timestamp_seconds{monitor="db",location="dc1"} 1764302400',
        "# HELP uptime_agent_info A registered probe agent, its location and the version it last reported (always 1).",
        "# TYPE uptime_agent_info gauge",
        'uptime_agent_info{agent="dc1-a",location="dc1",version="0.1.0"} 1',
        'uptime_agent_info{agent="dc1-b",location="dc1",version=""} 1',
        "# HELP uptime_agent_last_seen_age_seconds Seconds since the agent last called the edge (assignments or results). Absent until it has.",
        "# TYPE uptime_agent_last_seen_age_seconds gauge",
        'uptime_agent_last_seen_age_seconds{agent="dc1-a",location="dc1"} 2.5',
        "# HELP uptime_agent_backlog Results waiting in the agent's outbox, as it reported with its last push.",
        "# TYPE uptime_agent_backlog gauge",
        'uptime_agent_backlog{agent="dc1-a",location="dc1"} 7',
        "# HELP uptime_point_store_info Where points are stored: influxdb or embedded (D1) (always 1).",
        "# TYPE uptime_point_store_info gauge",
        'uptime_point_store_info{store="influxdb"} 1',
        "# HELP uptime_point_outbox_depth Points waiting in the D1 outbox for the point store to acknowledge them.",
        "# TYPE uptime_point_outbox_depth gauge",
        "uptime_point_outbox_depth 2",
        "# HELP uptime_point_outbox_capacity Most points the outbox holds (OUTBOX_MAX_POINTS); past it the oldest are dropped.",
        "# TYPE uptime_point_outbox_capacity gauge",
        "uptime_point_outbox_capacity 100000",
        "# HELP uptime_point_outbox_oldest_age_seconds Age of the oldest point in the outbox, in seconds (0 when it is empty).",
        "# TYPE uptime_point_outbox_oldest_age_seconds gauge",
        "uptime_point_outbox_oldest_age_seconds 60",
        "# HELP uptime_points_dropped_total Points dropped because the outbox was full.",
        "# TYPE uptime_points_dropped_total counter",
        "uptime_points_dropped_total 5",
        "# HELP uptime_point_outbox_delivered_total Points delivered from the outbox after the point store had failed.",
        "# TYPE uptime_point_outbox_delivered_total counter",
        "uptime_point_outbox_delivered_total 9",
        "# HELP uptime_notifications Alert notifications in the delivery outbox: pending (to be sent or retried) and dead (dead-lettered, never delivered).",
        "# TYPE uptime_notifications gauge",
        'uptime_notifications{status="pending"} 1',
        'uptime_notifications{status="dead"} 0',
        "# HELP uptime_check_batches_dead_lettered_total Check batches that failed on the checks queue after its retries and reached its dead-letter queue (logged there, not run again).",
        "# TYPE uptime_check_batches_dead_lettered_total counter",
        "uptime_check_batches_dead_lettered_total 2",
        '# HELP uptime_audit_write_failures_total Changes made through the API whose audit log entry could not be written (logged as "audit entry not written" instead).',
        "# TYPE uptime_audit_write_failures_total counter",
        "uptime_audit_write_failures_total 1",
        "# HELP uptime_rate_limited_total Requests answered 429 by a rate limit (failed_auth, token, agent, public, ping); added to D1 within a second of the refusal.",
        "# TYPE uptime_rate_limited_total counter",
        'uptime_rate_limited_total{limit="failed_auth"} 3',
        'uptime_rate_limited_total{limit="token"} 0',
        'uptime_rate_limited_total{limit="agent"} 0',
        'uptime_rate_limited_total{limit="public"} 0',
        'uptime_rate_limited_total{limit="ping"} 0',
        "",
      ].join("\n"),
    );
  });

  it("lists every counter and every label set it knows of at 0 before anything has counted", () => {
    const fresh = exposition({
      now: NOW,
      monitors: [],
      latest: [],
      uptime: [],
      agents: [],
      pointStore: "embedded",
      outbox: { depth: 0, capacity: 100_000, oldest_enqueued_at: null, dropped: 0, delivered: 0 },
      notifications: { pending: 0, dead: 0 },
      deadLetteredBatches: 0,
      auditWriteFailures: 0,
      rateLimited: {},
    });
    const counters = [...fresh.matchAll(/^# TYPE (\S+) counter$/gm)].map((m) => m[1]);
    expect(counters.length).toBeGreaterThan(0);
    for (const name of counters) expect(fresh, name).toMatch(new RegExp(`^${name}(\\{[^}]*\\})? 0$`, "m"));
    for (const limit of RATE_LIMIT_NAMES) expect(fresh).toContain(`uptime_rate_limited_total{limit="${limit}"} 0\n`);
    expect(fresh).toContain('uptime_notifications{status="dead"} 0\n');
  });

  it("leaves agents out of a public scrape", () => {
    const text = exposition(snapshot({ agents: null }));
    expect(text).not.toMatch(/uptime_agent_|dc1-a/);
    expect(text).toMatch(/^uptime_point_outbox_depth 2$/m);
  });

  it("escapes label values and HELP text as the text format requires", () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(escapeHelp('a\\b"c\nd')).toBe('a\\\\b"c\\nd');
    expect(render([{ name: "x", type: "gauge", help: "h\nh", samples: [{ labels: { l: 'say "hi"\\' }, value: 1 }] }])).toBe(
      '# HELP x h\\nh\n# TYPE x gauge\nx{l="say \\"hi\\"\\\\"} 1\n',
    );
  });

  it("spells special values as Go does", () => {
    expect([Number.NaN, Infinity, -Infinity, 0, -1.5, 1e21].map(formatValue)).toEqual(["NaN", "+Inf", "-Inf", "0", "-1.5", "1e+21"]);
  });

  it("parses back with an exposition-format parser, odd names and all", () => {
    const name = 'Ops "primary" DB \\ east\nrack 2';
    const parsed = parsePrometheus(
      exposition(snapshot({ monitors: [{ id: "db", name, group: "a,b=c", kind: "tls", runner: "agent", status: "up" }] })),
    ) as Array<{
      name: string;
      type: string;
      metrics: Array<{ labels?: Record<string, string>; value: string }>;
    }>;
    const info = parsed.find((f) => f.name === "uptime_monitor_info")!;
    expect(info.type).toBe("GAUGE");
    expect(info.metrics).toEqual([{ labels: { monitor: "db", name, group: "a,b=c", kind: "tls", runner: "agent" }, value: "1" }]);
    expect(parsed.find((f) => f.name === "uptime_points_dropped_total")).toMatchObject({ type: "COUNTER", metrics: [{ value: "5" }] });
    expect(new Set(parsed.map((f) => f.name)).size).toBe(parsed.length);
  });
});
