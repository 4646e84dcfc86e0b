// Runs each assigned monitor every interval_s at a stable per-monitor phase, with bounded concurrency,
// never overlapping a monitor with itself, and stamps the common fields onto each check's outcome.
import { CheckResult, MAX_TRIES, toIssues, type MonitorSpec } from "../../contract/index.ts";
import type { CheckOutcome } from "./checks/types.ts";
import { ulidFactory } from "../../contract/ids.ts";
import { clip } from "../../contract/text.ts";
import type { Logger } from "./log.ts";

/** Runs one check. The agent passes the real checks; tests pass their own. */
export type CheckRunner = (monitor: MonitorSpec) => Promise<CheckOutcome>;

export type Identity = { agent: string; location: string };

/** Called with every result; the check counts as done when the returned promise resolves. */
export type ResultSink = (result: CheckResult, monitor: MonitorSpec, durationS: number) => Promise<void>;

export type SchedulerOptions = {
  runCheck: CheckRunner;
  onResult: ResultSink;
  identity: () => Identity | null;
  concurrency: number;
  logger: Logger;
  onSkip?: (monitor: MonitorSpec) => void;
  now?: () => number;
  /** Extra time a check gets past its own timeout_ms before the runner records a timeout for it. */
  graceMs?: number;
  /** The grid checks start on (default TICK_MS). */
  tickMs?: number;
};

/**
 * Checks start on a grid of this many milliseconds: a tick starts every monitor whose slot fell
 * in it (at 1,000 monitors every 10 s, about 25 a tick), at most this much after the slot. Waking
 * once per tick instead of once per check is most of the agent's CPU saving: on a virtual machine
 * a wake-up costs more than a TCP check.
 */
export const TICK_MS = 250;

/** FNV-1a: a stable 32-bit hash, so a monitor keeps its phase across restarts and replicas. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Where in its interval a monitor fires: a stable offset from the hash of its id. */
export function phaseMs(monitorId: string, intervalMs: number): number {
  return hash32(monitorId) % intervalMs;
}

/**
 * The first time strictly after `now` at which the monitor is due. Times are aligned to the
 * epoch, so every replica (and a restarted agent) computes the same slots for a monitor:
 * when a monitor moves between replicas it keeps its rhythm instead of running twice.
 */
export function nextDue(monitorId: string, intervalMs: number, now: number): number {
  const phase = phaseMs(monitorId, intervalMs);
  const base = now - ((((now - phase) % intervalMs) + intervalMs) % intervalMs);
  return base > now ? base : base + intervalMs;
}

type Entry = {
  spec: MonitorSpec;
  key: string;
  timer: NodeJS.Timeout | null;
  dueAt: number;
  /** Queued or running: a due slot that finds the monitor busy is skipped. */
  busy: boolean;
};

export class Scheduler {
  private readonly opts: SchedulerOptions;
  private readonly now: () => number;
  private readonly newId = ulidFactory();
  private readonly entries = new Map<string, Entry>();
  private readonly queue: Entry[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private running = 0;
  private stopped = false;

  constructor(opts: SchedulerOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
  }

  /** The monitors being scheduled. */
  monitors(): MonitorSpec[] {
    return [...this.entries.values()].map((e) => e.spec);
  }

  /** Checks running now. */
  active(): number {
    return this.running;
  }

  /** When a monitor next fires (for tests and debugging). */
  dueAt(monitorId: string): number | undefined {
    return this.entries.get(monitorId)?.dueAt;
  }

  /**
   * Follows a new set of assignments: new monitors start at their next slot, removed ones stop
   * (a check already running finishes and is recorded), changed ones take the new spec, and
   * are rescheduled when their interval changed.
   */
  setMonitors(monitors: readonly MonitorSpec[]): { added: number; removed: number; changed: number } {
    const next = new Map(monitors.map((m) => [m.id, m]));
    let added = 0;
    let removed = 0;
    let changed = 0;
    for (const [id, entry] of this.entries) {
      if (next.has(id)) continue;
      if (entry.timer) clearTimeout(entry.timer);
      entry.timer = null;
      const queued = this.queue.indexOf(entry);
      if (queued >= 0) this.queue.splice(queued, 1);
      this.entries.delete(id);
      removed++;
    }
    for (const spec of next.values()) {
      const key = JSON.stringify(spec);
      const entry = this.entries.get(spec.id);
      if (!entry) {
        const e: Entry = { spec, key, timer: null, dueAt: 0, busy: false };
        this.entries.set(spec.id, e);
        if (!this.stopped) this.arm(e, nextDue(spec.id, spec.interval_s * 1000, this.now()));
        added++;
      } else if (entry.key !== key) {
        const intervalChanged = entry.spec.interval_s !== spec.interval_s;
        entry.spec = spec;
        entry.key = key;
        if (intervalChanged && !this.stopped) {
          if (entry.timer) clearTimeout(entry.timer);
          this.arm(entry, nextDue(spec.id, spec.interval_s * 1000, this.now()));
        }
        changed++;
      }
    }
    return { added, removed, changed };
  }

  private arm(entry: Entry, at: number): void {
    entry.dueAt = at;
    const tick = this.opts.tickMs ?? TICK_MS;
    entry.timer = setTimeout(() => this.fire(entry), Math.max(0, Math.ceil(at / tick) * tick - this.now()));
  }

  private fire(entry: Entry): void {
    entry.timer = null;
    if (this.stopped || this.entries.get(entry.spec.id) !== entry) return;
    // Timers may fire a millisecond early; a check must not start before its slot.
    const early = entry.dueAt - this.now();
    if (early > 0) {
      entry.timer = setTimeout(() => this.fire(entry), early);
      return;
    }
    const intervalMs = entry.spec.interval_s * 1000;
    // Next slot from the one just due (not from now), so timer lateness does not drift the phase.
    const following = entry.dueAt + intervalMs;
    this.arm(entry, following > this.now() ? following : nextDue(entry.spec.id, intervalMs, this.now()));
    if (entry.busy) {
      this.opts.logger.warn(
        { monitor: entry.spec.id, kind: entry.spec.kind, interval_s: entry.spec.interval_s },
        "check skipped: the previous check of this monitor has not finished",
      );
      this.opts.onSkip?.(entry.spec);
      return;
    }
    entry.busy = true;
    this.queue.push(entry);
    this.drain();
  }

  private drain(): void {
    while (!this.stopped && this.running < this.opts.concurrency && this.queue.length > 0) {
      const entry = this.queue.shift()!;
      this.running++;
      const p = this.run(entry).finally(() => {
        this.running--;
        entry.busy = false;
        this.inFlight.delete(p);
        this.drain();
      });
      this.inFlight.add(p);
    }
  }

  /** Runs one check now, stamps it, and hands it to the sink. Never throws. */
  private async run(entry: Entry): Promise<void> {
    const spec = entry.spec;
    const identity = this.opts.identity();
    if (!identity) return;
    const ts = this.now();
    const started = performance.now();
    const { outcome, settled } = await this.guarded(spec);
    const durationS = (performance.now() - started) / 1000;
    const stamped = { id: this.newId(ts), monitor: spec.id, ts, ...outcome, location: identity.location, agent: identity.agent };
    let result: CheckResult;
    const parsed = CheckResult.safeParse(stamped);
    if (parsed.success) result = parsed.data;
    else {
      // A check bug must not turn into a batch the edge refuses: record it as a failed check that says so.
      const issues = toIssues(parsed.error);
      this.opts.logger.error({ monitor: spec.id, kind: spec.kind, issues }, "check produced an invalid result");
      const message = `the agent's ${spec.kind} check produced an invalid result: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`;
      result = CheckResult.parse({
        id: stamped.id,
        monitor: spec.id,
        ts,
        ok: false,
        latency_ms: null,
        location: identity.location,
        agent: identity.agent,
        error: { kind: "other", message: clip(message) },
      });
    }
    try {
      await this.opts.onResult(result, spec, durationS);
    } catch (e) {
      this.opts.logger.error({ monitor: spec.id, kind: spec.kind, err: e }, "could not record a check result");
    }
    await settled;
  }

  /**
   * The check's outcome; a check that throws or ignores its timeout still yields a failed one.
   * `settled` resolves when the check's own promise ends: until then the monitor stays busy.
   */
  private async guarded(spec: MonitorSpec): Promise<{ outcome: CheckOutcome; settled: Promise<unknown> }> {
    // A confirmed failure may take MAX_TRIES tries, each up to timeout_ms (contract/outcome.ts runConfirmed).
    const tries = spec.confirm_failures === false ? 1 : MAX_TRIES;
    const limitMs = tries * spec.timeout_ms + (this.opts.graceMs ?? 5000);
    const check = this.opts.runCheck(spec).catch((e: unknown): CheckOutcome => {
      this.opts.logger.error({ monitor: spec.id, kind: spec.kind, err: e }, "check threw instead of returning a result");
      const message = e instanceof Error ? e.message : String(e);
      return { ok: false, latency_ms: null, error: { kind: "other", message: clip(`the check failed: ${message}`) } };
    });
    let timer: NodeJS.Timeout | undefined;
    const overdue = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), limitMs)));
    const first = await Promise.race([check, overdue]);
    clearTimeout(timer);
    if (first) return { outcome: first, settled: check };
    this.opts.logger.error({ monitor: spec.id, kind: spec.kind, limit_ms: limitMs }, "check overran its timeout");
    return {
      outcome: { ok: false, latency_ms: null, error: { kind: "timeout", message: `the check did not finish within ${limitMs} ms` } },
      settled: check,
    };
  }

  /**
   * Stops scheduling: no new checks start, queued ones are dropped, and the returned promise
   * resolves when the checks already running have finished and been recorded (or after `timeoutMs`).
   */
  async stop(timeoutMs = Infinity): Promise<{ unfinished: number }> {
    this.stopped = true;
    for (const e of this.entries.values()) {
      if (e.timer) clearTimeout(e.timer);
      e.timer = null;
    }
    for (const e of this.queue) e.busy = false;
    this.queue.length = 0;
    const all = Promise.allSettled([...this.inFlight]);
    if (Number.isFinite(timeoutMs)) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([all, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
    } else await all;
    return { unfinished: this.inFlight.size };
  }
}
