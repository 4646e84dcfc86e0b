// The edge's /metrics: Prometheus text exposition (format 0.0.4) built from a snapshot of D1. Pure.
import { MONITOR_STATUSES, type Kind, type MonitorStatus } from "../../../contract/index.ts";
import { RATE_LIMIT_NAMES, type RateLimitName } from "../config/rate-limits.ts";
import type { UptimeWindow } from "../status/rollups.ts";

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type Sample = { labels?: Record<string, string>; value: number };
export type Family = { name: string; type: "gauge" | "counter"; help: string; samples: Sample[] };

/** A label value: backslash, double quote and line feed escaped, as the text format requires. */
export const escapeLabelValue = (v: string): string => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
/** A HELP text: backslash and line feed escaped (quotes stay as they are). */
export const escapeHelp = (v: string): string => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

/** A sample value: Go's float spelling for the special values, else the shortest round-tripping decimal. */
export function formatValue(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

function renderSample(name: string, s: Sample): string {
  const labels = Object.entries(s.labels ?? {});
  const set = labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}` : "";
  return `${name}${set} ${formatValue(s.value)}`;
}

/** Every family with its HELP and TYPE lines, then its samples; a family without samples keeps its HELP and TYPE. */
export function render(families: Family[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) lines.push(renderSample(f.name, s));
  }
  return lines.length ? `${lines.join("\n")}\n` : "";
}

export type MetricsInput = {
  now: number;
  monitors: Array<{ id: string; name: string; group: string | null; kind: Kind; runner: string; status: MonitorStatus }>;
  /** The latest result per monitor and location (latest_results). */
  latest: Array<{ monitor: string; location: string; ts: number; up: number; latency_ms: number | null; tls_expires_at: number | null }>;
  /** Checks and up results per monitor, location and window (rollups). */
  uptime: Array<{ monitor: string; location: string; window: UptimeWindow; checks: number; up: number }>;
  /** null on a public scrape: agent ids and versions are not for the public (as on the status page). */
  agents: Array<{ id: string; location: string; version: string | null; last_seen_at: number | null; backlog: number | null }> | null;
  pointStore: "influxdb" | "embedded";
  outbox: { depth: number; capacity: number; oldest_enqueued_at: number | null; dropped: number; delivered: number };
  notifications: { pending: number; dead: number };
  /** Check batches that reached the checks queue's dead-letter queue (scheduler/dead-letters.ts). */
  deadLetteredBatches: number;
  /** Audit entries whose write failed after their change was made (api/audit.ts); each is in the logs instead. */
  auditWriteFailures: number;
  /** Requests refused with 429, per rate limit (api/rate-limit.ts); a limit left out has refused none. */
  rateLimited: Partial<Record<RateLimitName, number>>;
};

const seconds = (ms: number) => ms / 1000;

export function edgeFamilies(m: MetricsInput): Family[] {
  const ml = (monitor: string, location: string) => ({ monitor, location });
  const families: Family[] = [
    {
      name: "uptime_monitor_info",
      type: "gauge",
      help: "A monitor's name, group, kind and runner (always 1).",
      samples: m.monitors.map((x) => ({
        labels: { monitor: x.id, name: x.name, group: x.group ?? "", kind: x.kind, runner: x.runner },
        value: 1,
      })),
    },
    {
      name: "uptime_monitor_status",
      type: "gauge",
      help: "The monitor's state after its thresholds: 1 for the current status (up, down, pending, paused, maintenance), 0 for the others.",
      samples: m.monitors.flatMap((x) =>
        MONITOR_STATUSES.map((s) => ({ labels: { monitor: x.id, status: s }, value: x.status === s ? 1 : 0 })),
      ),
    },
    {
      name: "uptime_monitor_up",
      type: "gauge",
      help: "Whether the latest check of the monitor at this location succeeded (1) or failed (0).",
      samples: m.latest.map((r) => ({ labels: ml(r.monitor, r.location), value: r.up ? 1 : 0 })),
    },
    {
      name: "uptime_monitor_response_time_seconds",
      type: "gauge",
      help: "Response time of the latest check at this location that measured one, in seconds.",
      samples: m.latest
        .filter((r) => r.latency_ms !== null)
        .map((r) => ({ labels: ml(r.monitor, r.location), value: seconds(r.latency_ms!) })),
    },
    {
      name: "uptime_monitor_last_check_timestamp_seconds",
      type: "gauge",
      help: "When the latest check of the monitor at this location started, in seconds since the epoch.",
      samples: m.latest.map((r) => ({ labels: ml(r.monitor, r.location), value: seconds(r.ts) })),
    },
    {
      name: "uptime_monitor_uptime_ratio",
      type: "gauge",
      help: "Successful checks / all checks at this location over the window (1d: the last 24 UTC hours; 7d, 30d: the last 7 or 30 UTC days, today included). Absent without checks.",
      samples: m.uptime
        .filter((u) => u.checks > 0)
        .map((u) => ({ labels: { ...ml(u.monitor, u.location), window: u.window }, value: u.up / u.checks })),
    },
    {
      name: "uptime_monitor_certificate_expiry_seconds",
      type: "gauge",
      help: "Seconds until the certificate seen by the latest tls check that read one expires (negative once expired).",
      samples: m.latest
        .filter((r) => r.tls_expires_at !== null)
        .map((r) => ({ labels: ml(r.monitor, r.location), value: seconds(r.tls_expires_at! - m.now) })),
    },
    {
      name: "uptime_monitor_certificate_expiry_timestamp_seconds",
      type: "gauge",
      help: "When that certificate expires (its notAfter), in seconds since the epoch.",
      samples: m.latest
        .filter((r) => r.tls_expires_at !== null)
        .map((r) => ({ labels: ml(r.monitor, r.location), value: seconds(r.tls_expires_at!) })),
    },
  ];
  if (m.agents)
    families.push(
      {
        name: "uptime_agent_info",
        type: "gauge",
        help: "A registered probe agent, its location and the version it last reported (always 1).",
        samples: m.agents.map((a) => ({ labels: { agent: a.id, location: a.location, version: a.version ?? "" }, value: 1 })),
      },
      {
        name: "uptime_agent_last_seen_age_seconds",
        type: "gauge",
        help: "Seconds since the agent last called the edge (assignments or results). Absent until it has.",
        samples: m.agents
          .filter((a) => a.last_seen_at !== null)
          .map((a) => ({ labels: { agent: a.id, location: a.location }, value: seconds(m.now - a.last_seen_at!) })),
      },
      {
        name: "uptime_agent_backlog",
        type: "gauge",
        help: "Results waiting in the agent's outbox, as it reported with its last push.",
        samples: m.agents
          .filter((a) => a.backlog !== null)
          .map((a) => ({ labels: { agent: a.id, location: a.location }, value: a.backlog! })),
      },
    );
  families.push(
    {
      name: "uptime_point_store_info",
      type: "gauge",
      help: "Where points are stored: influxdb or embedded (D1) (always 1).",
      samples: [{ labels: { store: m.pointStore }, value: 1 }],
    },
    {
      name: "uptime_point_outbox_depth",
      type: "gauge",
      help: "Points waiting in the D1 outbox for the point store to acknowledge them.",
      samples: [{ value: m.outbox.depth }],
    },
    {
      name: "uptime_point_outbox_capacity",
      type: "gauge",
      help: "Most points the outbox holds (OUTBOX_MAX_POINTS); past it the oldest are dropped.",
      samples: [{ value: m.outbox.capacity }],
    },
    {
      name: "uptime_point_outbox_oldest_age_seconds",
      type: "gauge",
      help: "Age of the oldest point in the outbox, in seconds (0 when it is empty).",
      samples: [{ value: m.outbox.oldest_enqueued_at === null ? 0 : Math.max(0, seconds(m.now - m.outbox.oldest_enqueued_at)) }],
    },
    {
      name: "uptime_points_dropped_total",
      type: "counter",
      help: "Points dropped because the outbox was full.",
      samples: [{ value: m.outbox.dropped }],
    },
    {
      name: "uptime_point_outbox_delivered_total",
      type: "counter",
      help: "Points delivered from the outbox after the point store had failed.",
      samples: [{ value: m.outbox.delivered }],
    },
  );
  families.push({
    name: "uptime_notifications",
    type: "gauge",
    help: "Alert notifications in the delivery outbox: pending (to be sent or retried) and dead (dead-lettered, never delivered).",
    samples: [
      { labels: { status: "pending" }, value: m.notifications.pending },
      { labels: { status: "dead" }, value: m.notifications.dead },
    ],
  });
  families.push({
    name: "uptime_check_batches_dead_lettered_total",
    type: "counter",
    help: "Check batches that failed on the checks queue after its retries and reached its dead-letter queue (logged there, not run again).",
    samples: [{ value: m.deadLetteredBatches }],
  });
  families.push({
    name: "uptime_audit_write_failures_total",
    type: "counter",
    help: 'Changes made through the API whose audit log entry could not be written (logged as "audit entry not written" instead).',
    samples: [{ value: m.auditWriteFailures }],
  });
  families.push({
    name: "uptime_rate_limited_total",
    type: "counter",
    help: "Requests answered 429 by a rate limit (failed_auth, token, agent, public, ping); added to D1 within a second of the refusal.",
    // Every limit from 0, so rate() sees the first refusal.
    samples: RATE_LIMIT_NAMES.map((limit) => ({ labels: { limit }, value: m.rateLimited[limit] ?? 0 })),
  });
  return families;
}

export const exposition = (m: MetricsInput): string => render(edgeFamilies(m));
