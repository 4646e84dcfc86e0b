// The probe agent, assembled: assignments → scheduler → outbox → pusher, plus /healthz and /metrics.
// The check runner is a parameter, so the whole runtime can be driven by any check (tests use their own).
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import path from "node:path";
import { AGENT_KINDS, type CheckResult, type MonitorSpec } from "../../contract/index.ts";
import { AssignmentsClient, type Assignments, type AssignmentsCache, type CachedAssignments } from "./assignments.ts";
import type { AgentConfig } from "./config.ts";
import { createEdgeClient, type EdgeFetch } from "./edge-client.ts";
import { errorContext, silentLogger, type Logger } from "./log.ts";
import { createMetrics, type AgentMetrics } from "./metrics.ts";
import { Outbox, type DropReport } from "./outbox.ts";
import { Pusher, type PushOptions } from "./push.ts";
import { Scheduler, type CheckRunner } from "./scheduler.ts";
import { startServer, type Health } from "./server.ts";
import { tokenSourceFor, type TokenSource } from "./token.ts";

export type { CheckRunner };

export type AgentOptions = {
  config: AgentConfig;
  /** Runs one check; main.ts passes the real checks (`runCheck(monitor, defaultDeps())`). */
  runCheck: CheckRunner;
  logger?: Logger;
  /** The HTTP client used to talk to the edge. */
  fetch?: EdgeFetch;
  /** Where the agent's token comes from; default: from the config (AGENT_TOKEN, or AGENT_TOKEN_FILE re-read while running). */
  token?: TokenSource;
  version?: string;
  /** Delivery tuning (tests shorten the waits). */
  push?: Partial<Pick<PushOptions, "lingerMs" | "backoffBaseMs" | "backoffMaxMs" | "requestTimeoutMs" | "retryAfterMaxMs" | "random">>;
};

export type StopSummary = { unfinished: number; remaining: number; flushAttempts: number };

export type Agent = {
  /** Base URL of the /healthz and /metrics server. */
  url: string;
  health(): Health;
  metrics: AgentMetrics;
  outbox: Outbox;
  scheduler: Scheduler;
  pusher: Pusher;
  assignments: AssignmentsClient;
  token: TokenSource;
  /**
   * Graceful stop: no new checks, in-flight checks finish and are stored, one bounded flush to
   * the edge, then everything closes. Bounded by config.shutdownTimeoutMs. Idempotent.
   */
  stop(reason?: string): Promise<StopSummary>;
};

declare const __AGENT_VERSION__: string | undefined;

/** The agent's version, as sent to the edge: the project's package.json version. */
export function agentVersion(): string {
  // The bundle (scripts/build-agent.mjs) has it written in; from source, package.json says it.
  if (typeof __AGENT_VERSION__ === "string") return __AGENT_VERSION__;
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: string };
    return pkg.version ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** The last good assignments, kept beside the outbox; written atomically (temp file, fsync, rename). */
export function fileCache(file: string): AssignmentsCache {
  return {
    load(): CachedAssignments | null {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw e;
      }
      return JSON.parse(text) as CachedAssignments;
    },
    save(value: CachedAssignments): void {
      const tmp = `${file}.tmp`;
      const fd = openSync(tmp, "w", 0o600);
      try {
        writeSync(fd, JSON.stringify(value));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, file);
    },
  };
}

/** A URL for the logs: user and password replaced. */
function withoutCredentials(u: string): string {
  const url = new URL(u);
  if (url.username || url.password) {
    url.username = "***";
    url.password = "";
  }
  return url.href;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Where the token in use came from, for /healthz and the start log: its fingerprint, never the token. */
function tokenHealth(token: TokenSource) {
  const s = token.status();
  return { source: s.source, file: s.file, fingerprint: s.fingerprint, loaded_at: iso(s.loadedAt), last_error: s.lastError };
}

export async function startAgent(options: AgentOptions): Promise<Agent> {
  const { config } = options;
  const logger = options.logger ?? silentLogger();
  const version = options.version ?? agentVersion();
  const startedAt = Date.now();
  let lastWriteError: string | null = null;

  // Late-bound so that the metrics can read components created after them.
  let outboxRef: Outbox | null = null;
  let pusherRef: Pusher | null = null;
  let assignmentsRef: AssignmentsClient | null = null;
  let tokenRef: TokenSource | null = null;
  const metrics = createMetrics({
    outboxDepth: () => outboxRef?.depth() ?? 0,
    outboxOldestTs: () => outboxRef?.oldestTs() ?? null,
    lastPushAt: () => pusherRef?.lastSuccessAt ?? null,
    lastRefreshAt: () => assignmentsRef?.lastRefreshAt ?? null,
    tokenLoadedAt: () => tokenRef?.status().loadedAt ?? null,
  });
  const token =
    options.token ??
    tokenSourceFor(config, {
      logger,
      onReload: (trigger) => metrics.tokenReloads.inc({ trigger }),
      onReloadFailure: () => metrics.tokenReloadFailures.inc(),
    });
  tokenRef = token;

  const onDrop = (r: DropReport) => {
    metrics.outboxDropped.inc({ reason: r.reason }, r.count);
    logger.warn(
      {
        reason: r.reason,
        dropped: r.count,
        monitors: r.monitors.slice(0, 50),
        oldest: iso(r.oldestTs),
        newest: iso(r.newestTs),
        detail: r.detail,
      },
      "outbox dropped results",
    );
  };
  const outbox = new Outbox({ dir: config.dataDir, maxResults: config.outboxMaxResults, maxAgeMs: config.outboxMaxAgeMs, onDrop });
  outboxRef = outbox;
  const expired = outbox.expire();
  logger.info({ file: outbox.file, depth: outbox.depth(), expired }, "outbox open");

  const edge = options.fetch ? null : createEdgeClient(config.edgeProxy);
  const edgeFetch = options.fetch ?? edge!.fetch;
  const pusher = new Pusher({
    outbox,
    edgeUrl: config.edgeUrl,
    token,
    version,
    logger,
    batchSize: config.pushBatch,
    onFailure: (reason) => metrics.pushFailures.inc({ reason }),
    onDelivered: (accepted, duplicates) => {
      metrics.pushedResults.inc({ outcome: "accepted" }, accepted);
      metrics.pushedResults.inc({ outcome: "duplicate" }, duplicates);
    },
    fetch: edgeFetch,
    ...options.push,
  });
  pusherRef = pusher;

  // Operators care when a monitor's result flips, not about every check: those go to debug.
  const lastOk = new Map<string, boolean>();
  const logDebug = logger.isLevelEnabled("debug");
  const onResult = async (result: CheckResult, monitor: MonitorSpec, durationS: number) => {
    try {
      await outbox.append(result);
      lastWriteError = null;
    } catch (e) {
      lastWriteError = errorContext(e).error;
      metrics.outboxDropped.inc({ reason: "write_failed" });
      throw e;
    }
    const outcome = result.ok ? "ok" : (result.error?.kind ?? "other");
    metrics.checks.inc({ kind: monitor.kind, result: outcome });
    metrics.checkDuration.observe({ kind: monitor.kind }, durationS);
    const flipped = lastOk.get(monitor.id) !== result.ok;
    if (flipped || logDebug) {
      const context = {
        monitor: monitor.id,
        kind: monitor.kind,
        ok: result.ok,
        duration_ms: Math.round(durationS * 1000),
        latency_ms: result.latency_ms,
        error: result.error,
      };
      if (flipped) logger.info(context, result.ok ? "monitor check succeeded" : "monitor check failed");
      else logger.debug(context, "check done");
    }
    lastOk.set(monitor.id, result.ok);
    pusher.notify();
  };

  const scheduler = new Scheduler({
    runCheck: options.runCheck,
    onResult,
    identity: () => {
      const a = assignments.current();
      return a ? { agent: a.agent, location: a.location } : null;
    },
    concurrency: config.concurrency,
    logger,
    onSkip: (m) => metrics.checksSkipped.inc({ kind: m.kind }),
  });

  const follow = (a: Assignments) => {
    const change = scheduler.setMonitors(a.monitors);
    for (const kind of AGENT_KINDS) metrics.assignments.set({ kind }, a.monitors.filter((m) => m.kind === kind).length);
    for (const id of lastOk.keys()) if (!a.monitors.some((m) => m.id === id)) lastOk.delete(id);
    logger.debug({ ...change }, "scheduler follows the new assignments");
  };
  const assignments = new AssignmentsClient({
    edgeUrl: config.edgeUrl,
    token,
    version,
    logger,
    cache: fileCache(path.join(config.dataDir, "assignments.json")),
    onChange: follow,
    onFailure: () => metrics.assignmentFailures.inc(),
    fetch: edgeFetch,
  });
  assignmentsRef = assignments;

  const health = (): Health => {
    const a = assignments.current();
    const failures = pusher.consecutiveFailures();
    // 503 only when the agent cannot do its job: it has nothing to run (never reached the edge
    // and no cached assignments) or cannot store results. An edge outage alone is "degraded":
    // the agent keeps checking and buffering, and restarting it would not help.
    const problems: string[] = [];
    if (!a) problems.push(assignments.lastError ? `no assignments yet: ${assignments.lastError}` : "no assignments yet");
    if (lastWriteError) problems.push(`cannot write the outbox: ${lastWriteError}`);
    const degraded = failures > 0 || assignments.lastError !== null;
    const status = problems.length ? "failing" : degraded ? "degraded" : "ok";
    return {
      healthy: problems.length === 0,
      body: {
        status,
        problems,
        version,
        agent: a?.agent ?? null,
        location: a?.location ?? null,
        started_at: iso(startedAt),
        assignments: {
          monitors: a?.monitors.length ?? 0,
          source: assignments.source,
          last_refresh_at: iso(assignments.lastRefreshAt),
          last_error: assignments.lastError,
        },
        push: { last_success_at: iso(pusher.lastSuccessAt), consecutive_failures: failures, last_error: pusher.lastError },
        token: tokenHealth(token),
        outbox: {
          depth: outbox.depth(),
          oldest_at: iso(outbox.oldestTs()),
          max_results: config.outboxMaxResults,
          last_write_error: lastWriteError,
        },
        checks_running: scheduler.active(),
      },
    };
  };

  let server;
  try {
    server = await startServer(config.listen, health, metrics.registry, logger);
  } catch (e) {
    outbox.close();
    throw new Error(`cannot listen on ${config.listen.host}:${config.listen.port}: ${errorContext(e).error}`, { cause: e });
  }
  token.start();
  pusher.start();
  assignments.restore();
  void assignments.start(config.assignmentsRefreshMs);
  const proxy = config.edgeProxy
    ? config.edgeUrl.startsWith("https:")
      ? config.edgeProxy.httpsProxy
      : config.edgeProxy.httpProxy
    : undefined;
  logger.info(
    {
      version,
      edge: config.edgeUrl,
      edge_proxy: proxy ? withoutCredentials(proxy) : null,
      listen: server.url,
      concurrency: config.concurrency,
      data_dir: config.dataDir,
      token: tokenHealth(token),
    },
    "agent started",
  );

  let stopping: Promise<StopSummary> | null = null;
  const stop = (reason = "stop"): Promise<StopSummary> => {
    stopping ??= (async () => {
      const t0 = performance.now();
      const budget = config.shutdownTimeoutMs;
      logger.info({ reason, running: scheduler.active(), backlog: outbox.depth(), budget_ms: budget }, "agent stopping");
      assignments.stop();
      token.stop();
      // Half the budget for running checks to finish; the flush gets the rest.
      const { unfinished } = await scheduler.stop(budget / 2);
      await pusher.stop();
      const flushMs = Math.max(0, budget - (performance.now() - t0));
      const { remaining, attempts } = await pusher.flush(flushMs);
      await server.close();
      await edge?.close();
      outbox.close();
      const summary = { unfinished, remaining, flushAttempts: attempts };
      logger.info(
        { ...summary, duration_ms: Math.round(performance.now() - t0) },
        remaining ? "agent stopped; results left in the outbox for the next start" : "agent stopped",
      );
      return summary;
    })();
    return stopping;
  };

  return { url: server.url, health, metrics, outbox, scheduler, pusher, assignments, token, stop };
}
