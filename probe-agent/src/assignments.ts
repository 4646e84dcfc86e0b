// Assignments: which monitors this agent runs, polled from GET /api/v1/agents/me/assignments with
// ETag / If-None-Match. On any error the last good assignments stay in force; a refused token is read
// again, and a new one is tried at once.
import { edgeFetch, type EdgeFetch, type EdgeResponse } from "./edge-client.ts";
import { z } from "zod";
import { Location, Monitor, Slug, toIssues, type MonitorSpec } from "../../contract/index.ts";
import { errorContext, type Logger } from "./log.ts";
import { asTokenSource, type TokenSource } from "./token.ts";

export type Assignments = { agent: string; location: string; monitors: MonitorSpec[] };

/** What is kept on disk so that an agent restarted during an edge outage keeps checking. */
export type CachedAssignments = { etag: string | null; fetchedAt: number; body: unknown };
export type AssignmentsCache = { load(): CachedAssignments | null; save(value: CachedAssignments): void };

/** The answer's envelope; each monitor is validated on its own so one bad monitor does not stop the rest. */
const Answer = z.object({ agent: Slug, location: Location, monitors: z.array(z.unknown()) });

export type RefreshOutcome = "updated" | "unchanged" | "failed";

export type AssignmentsOptions = {
  edgeUrl: string;
  /** The agent's token: a fixed one, or a source that may change it while the agent runs (AGENT_TOKEN_FILE). */
  token: string | TokenSource;
  version: string;
  logger: Logger;
  fetch?: EdgeFetch;
  cache?: AssignmentsCache;
  requestTimeoutMs?: number;
  now?: () => number;
  /** Called when the assignments changed (not on a 304 or an identical answer). */
  onChange?: (assignments: Assignments) => void;
  onFailure?: () => void;
};

/**
 * Validates one assigned monitor with the shared contract. Fields this agent does not know (an
 * edge newer than the agent) are removed and named rather than failing the monitor: an edge
 * upgrade must not stop every agent in the field from checking.
 */
export function parseMonitor(
  raw: unknown,
): { ok: true; monitor: MonitorSpec; unknown: string[] } | { ok: false; issues: ReturnType<typeof toIssues> } {
  const first = Monitor.safeParse(raw);
  if (first.success) return { ok: true, monitor: first.data, unknown: [] };
  const extra = first.error.issues.filter((i) => i.code === "unrecognized_keys");
  if (extra.length === 0 || raw === null || typeof raw !== "object") return { ok: false, issues: toIssues(first.error) };
  const copy = structuredClone(raw) as Record<string, unknown>;
  const unknown: string[] = [];
  for (const issue of extra) {
    let node: unknown = copy;
    for (const seg of issue.path) node = (node as Record<PropertyKey, unknown> | undefined)?.[seg as string];
    if (node && typeof node === "object")
      for (const key of issue.keys) {
        delete (node as Record<string, unknown>)[key];
        unknown.push([...issue.path.map(String), key].join("."));
      }
  }
  const second = Monitor.safeParse(copy);
  return second.success ? { ok: true, monitor: second.data, unknown } : { ok: false, issues: toIssues(second.error) };
}

/** Validates an assignments answer; invalid monitors are left out and reported. */
export function parseAssignments(body: unknown):
  | {
      assignments: Assignments;
      invalid: Array<{ id: unknown; issues: ReturnType<typeof toIssues> }>;
      unknownFields: string[];
    }
  | { error: string } {
  const envelope = Answer.safeParse(body);
  if (!envelope.success)
    return {
      error: `invalid assignments answer: ${toIssues(envelope.error)
        .map((i) => `${i.path}: ${i.message}`)
        .join("; ")}`,
    };
  const monitors: MonitorSpec[] = [];
  const invalid: Array<{ id: unknown; issues: ReturnType<typeof toIssues> }> = [];
  const unknownFields = new Set<string>();
  const seen = new Set<string>();
  for (const raw of envelope.data.monitors) {
    const m = parseMonitor(raw);
    if (!m.ok) {
      invalid.push({ id: (raw as { id?: unknown } | null)?.id ?? null, issues: m.issues });
      continue;
    }
    for (const f of m.unknown) unknownFields.add(f);
    // Disabled monitors, should the edge send one, are not run; duplicates run once.
    if (!m.monitor.enabled || seen.has(m.monitor.id)) continue;
    seen.add(m.monitor.id);
    monitors.push(m.monitor);
  }
  return {
    assignments: { agent: envelope.data.agent, location: envelope.data.location, monitors },
    invalid,
    unknownFields: [...unknownFields].sort(),
  };
}

export class AssignmentsClient {
  private readonly o: AssignmentsOptions;
  private readonly fetch: EdgeFetch;
  private readonly tokens: TokenSource;
  private readonly now: () => number;
  private etag: string | null = null;
  private currentValue: Assignments | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  /** When the edge last answered (200 or 304). */
  lastRefreshAt: number | null = null;
  lastError: string | null = null;
  /** Where the assignments in force came from. */
  source: "none" | "cache" | "edge" = "none";

  constructor(options: AssignmentsOptions) {
    this.o = options;
    this.fetch = options.fetch ?? edgeFetch();
    this.tokens = asTokenSource(options.token);
    this.now = options.now ?? Date.now;
  }

  current(): Assignments | null {
    return this.currentValue;
  }

  /** Takes the cached assignments, if any, as the ones in force until the edge answers. */
  restore(): boolean {
    let cached: CachedAssignments | null = null;
    try {
      cached = this.o.cache?.load() ?? null;
    } catch (e) {
      this.o.logger.warn({ ...errorContext(e) }, "could not read the cached assignments; waiting for the edge");
    }
    if (!cached) return false;
    const parsed = parseAssignments(cached.body);
    if ("error" in parsed) {
      this.o.logger.warn({ error: parsed.error }, "ignoring the cached assignments");
      return false;
    }
    this.etag = cached.etag;
    this.source = "cache";
    this.apply(parsed.assignments);
    this.o.logger.info(
      {
        agent: parsed.assignments.agent,
        location: parsed.assignments.location,
        monitors: parsed.assignments.monitors.length,
        fetched_at: new Date(cached.fetchedAt).toISOString(),
      },
      "running the cached assignments until the edge answers",
    );
    return true;
  }

  /**
   * Asks the edge once (twice when it refused a token that has changed since: the new one is tried at once).
   * Never throws: on failure the current assignments stay.
   */
  async refresh(): Promise<RefreshOutcome> {
    const token = this.tokens.current();
    const first = await this.ask(token);
    if (first !== "refused") return first;
    // The token may have been rotated (a Secret updated, read again only every few seconds): read it now.
    await this.tokens.reload("refused");
    if (this.tokens.current() === token) return "failed";
    const second = await this.ask(this.tokens.current());
    return second === "refused" ? "failed" : second;
  }

  /** One request; "refused" is a 401 or 403 (already reported as a failure), after which the token is worth reading again. */
  private async ask(token: string): Promise<RefreshOutcome | "refused"> {
    const url = `${this.o.edgeUrl}/api/v1/agents/me/assignments`;
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      accept: "application/json",
      "user-agent": `uptime-probe-agent/${this.o.version}`,
    };
    if (this.etag) headers["if-none-match"] = this.etag;
    let res: EdgeResponse;
    let text: string;
    try {
      res = await this.fetch(url, { headers, signal: AbortSignal.timeout(this.o.requestTimeoutMs ?? 10_000) });
      text = res.status === 304 ? "" : await res.text();
    } catch (e) {
      return this.failed("could not reach the edge", errorContext(e));
    }
    if (res.status === 304) {
      this.lastRefreshAt = this.now();
      this.lastError = null;
      if (this.source === "cache") this.source = "edge";
      this.o.logger.debug({ etag: this.etag }, "assignments unchanged");
      return "unchanged";
    }
    if (res.status !== 200) {
      const outcome = this.failed(`the edge answered HTTP ${res.status}`, { status: res.status, body: text.slice(0, 500) });
      return res.status === 401 || res.status === 403 ? "refused" : outcome;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return this.failed("the edge's answer is not JSON", { body: text.slice(0, 500) });
    }
    const parsed = parseAssignments(body);
    if ("error" in parsed) return this.failed(parsed.error, {});
    for (const bad of parsed.invalid)
      this.o.logger.error({ monitor: bad.id, issues: bad.issues }, "assigned monitor is invalid for this agent's contract; not running it");
    if (parsed.unknownFields.length)
      this.o.logger.warn(
        { fields: parsed.unknownFields, version: this.o.version },
        "the edge sent monitor fields this agent does not know (ignored); consider upgrading the agent",
      );
    this.lastRefreshAt = this.now();
    this.lastError = null;
    this.source = "edge";
    this.etag = res.headers.get("etag");
    try {
      this.o.cache?.save({ etag: this.etag, fetchedAt: this.now(), body });
    } catch (e) {
      this.o.logger.warn({ ...errorContext(e) }, "could not cache the assignments on disk");
    }
    const changed = JSON.stringify(parsed.assignments) !== JSON.stringify(this.currentValue);
    if (changed) this.apply(parsed.assignments);
    return changed ? "updated" : "unchanged";
  }

  private apply(a: Assignments): void {
    const before = new Set(this.currentValue?.monitors.map((m) => m.id) ?? []);
    this.currentValue = a;
    const after = new Set(a.monitors.map((m) => m.id));
    this.o.logger.info(
      {
        agent: a.agent,
        location: a.location,
        monitors: a.monitors.length,
        added: [...after].filter((id) => !before.has(id)).slice(0, 50),
        removed: [...before].filter((id) => !after.has(id)).slice(0, 50),
      },
      "assignments changed",
    );
    this.o.onChange?.(a);
  }

  private failed(message: string, context: Record<string, unknown>): RefreshOutcome {
    this.lastError = message;
    this.o.onFailure?.();
    this.o.logger.warn(
      { ...context, reason: message, keeping: this.currentValue ? this.currentValue.monitors.length : 0 },
      "assignments refresh failed; keeping the last good assignments",
    );
    return "failed";
  }

  /**
   * Refreshes now, then every `intervalMs`. Until the first success it retries sooner
   * (1 s, doubling up to the interval), so a fresh agent starts checking promptly.
   */
  start(intervalMs: number): Promise<RefreshOutcome> {
    this.stopped = false;
    let retryMs = 1000;
    const tick = async (): Promise<RefreshOutcome> => {
      const outcome = await this.refresh();
      if (this.stopped) return outcome;
      let wait = intervalMs;
      if (outcome === "failed" && this.lastRefreshAt === null) {
        wait = Math.min(intervalMs, retryMs);
        retryMs = Math.min(intervalMs, retryMs * 2);
      }
      this.timer = setTimeout(() => void tick(), wait);
      return outcome;
    };
    return tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
