// The agent's Prometheus metrics, on a registry of its own (so several agents can share a process in tests).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { AGENT_KINDS, ERROR_KINDS } from "../../contract/index.ts";
import { PUSH_FAILURE_REASONS } from "./push.ts";
import { RELOAD_TRIGGERS } from "./token.ts";

export const DROP_REASONS = ["full", "expired", "rejected", "write_failed"] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** A check's `result` label: "ok" or the error kind. */
export const CHECK_RESULTS = ["ok", ...ERROR_KINDS] as const;

/**
 * prom-client's gauges whose names end in `_total`, which Prometheus keeps for counters (`promtool check
 * metrics` refuses them). Each is the sum of the gauge of the same name without the suffix, labelled by
 * type: `sum(nodejs_active_handles)` is what `nodejs_active_handles_total` was.
 */
export const OMITTED_DEFAULT_METRICS = ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"];

export type AgentMetrics = ReturnType<typeof createMetrics>;

/** Values read at scrape time rather than pushed. */
export type MetricSources = {
  outboxDepth: () => number;
  outboxOldestTs: () => number | null;
  lastPushAt: () => number | null;
  lastRefreshAt: () => number | null;
  /** When the token in use was read: at startup, or when AGENT_TOKEN_FILE last gave a new one. */
  tokenLoadedAt: () => number | null;
};

export function createMetrics(sources: MetricSources, prefix = "uptime_agent_") {
  const registry = new Registry();
  // The event-loop delay histogram samples on a timer: at the default 10 ms that woke the agent 100 times a
  // second, idle or not (on a VM each wake-up costs more than a check). 100 ms still shows a stalled loop.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
  for (const name of OMITTED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  const registers = [registry];
  const metrics = {
    registry,
    checks: new Counter({
      name: `${prefix}checks_total`,
      help: 'Checks run, by kind and result ("ok" or the error kind)',
      labelNames: ["kind", "result"] as const,
      registers,
    }),
    checkDuration: new Histogram({
      name: `${prefix}check_duration_seconds`,
      help: "Wall time of one check, by kind",
      labelNames: ["kind"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    checksSkipped: new Counter({
      name: `${prefix}checks_skipped_total`,
      help: "Runs skipped because the monitor's previous check had not finished",
      labelNames: ["kind"] as const,
      registers,
    }),
    outboxDropped: new Counter({
      name: `${prefix}outbox_dropped_total`,
      help: "Results dropped without delivery: full (count bound), expired (age bound), rejected (refused by the edge), write_failed",
      labelNames: ["reason"] as const,
      registers,
    }),
    pushFailures: new Counter({
      name: `${prefix}push_failures_total`,
      help: "Pushes to the edge that failed and will be retried, by reason (HTTP status, network or timeout)",
      labelNames: ["reason"] as const,
      registers,
    }),
    pushedResults: new Counter({
      name: `${prefix}pushed_results_total`,
      help: "Results the edge acknowledged, by outcome (accepted or duplicate)",
      labelNames: ["outcome"] as const,
      registers,
    }),
    assignments: new Gauge({
      name: `${prefix}assignments`,
      help: "Monitors currently assigned to this agent, by kind",
      labelNames: ["kind"] as const,
      registers,
    }),
    assignmentFailures: new Counter({
      name: `${prefix}assignment_refresh_failures_total`,
      help: "Assignment refreshes that failed (the last good assignments were kept)",
      registers,
    }),
    tokenReloads: new Counter({
      name: `${prefix}token_reloads_total`,
      help: "New agent tokens taken from AGENT_TOKEN_FILE without a restart, by trigger (poll: the timer; refused: the edge answered 401 or 403)",
      labelNames: ["trigger"] as const,
      registers,
    }),
    tokenReloadFailures: new Counter({
      name: `${prefix}token_reload_failures_total`,
      help: "Reads of AGENT_TOKEN_FILE that found no usable token (unreadable or empty file); the token in use was kept",
      registers,
    }),
  };

  new Gauge({
    name: `${prefix}outbox_depth`,
    help: "Results waiting in the outbox for the edge",
    registers: [registry],
    collect() {
      this.set(sources.outboxDepth());
    },
  });
  new Gauge({
    name: `${prefix}outbox_oldest_age_seconds`,
    help: "Age of the oldest result in the outbox (0 when empty)",
    registers: [registry],
    collect() {
      const ts = sources.outboxOldestTs();
      this.set(ts === null ? 0 : Math.max(0, (Date.now() - ts) / 1000));
    },
  });
  new Gauge({
    name: `${prefix}last_push_success_timestamp_seconds`,
    help: "When the edge last acknowledged a push (0: never)",
    registers: [registry],
    collect() {
      this.set((sources.lastPushAt() ?? 0) / 1000);
    },
  });
  new Gauge({
    name: `${prefix}last_assignments_refresh_timestamp_seconds`,
    help: "When the edge last answered an assignments refresh (0: never)",
    registers: [registry],
    collect() {
      this.set((sources.lastRefreshAt() ?? 0) / 1000);
    },
  });

  new Gauge({
    name: `${prefix}token_loaded_timestamp_seconds`,
    help: "When the agent token in use was read: at startup, or when AGENT_TOKEN_FILE last gave a new one",
    registers: [registry],
    collect() {
      this.set((sources.tokenLoadedAt() ?? 0) / 1000);
    },
  });

  // Every label set known ahead starts at 0: a series that appears only with its first event gives rate() and
  // increase() nothing to compare, so an alert on the first push failure or skipped check would never fire.
  for (const kind of AGENT_KINDS) {
    for (const result of CHECK_RESULTS) metrics.checks.inc({ kind, result }, 0);
    metrics.checkDuration.zero({ kind });
    metrics.checksSkipped.inc({ kind }, 0);
    metrics.assignments.set({ kind }, 0);
  }
  for (const reason of DROP_REASONS) metrics.outboxDropped.inc({ reason }, 0);
  for (const reason of PUSH_FAILURE_REASONS) metrics.pushFailures.inc({ reason }, 0);
  for (const outcome of ["accepted", "duplicate"]) metrics.pushedResults.inc({ outcome }, 0);
  for (const trigger of RELOAD_TRIGGERS) metrics.tokenReloads.inc({ trigger }, 0);
  return metrics;
}
