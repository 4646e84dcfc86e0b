// The durable point outbox: results the point store did not acknowledge wait in D1 and are
// retried with backoff until they land. Bounded; what it must drop is counted and logged.
import { addCounter, getCounters, setCounter } from "../db/counters.ts";
import { dropOldest, enqueueResult, oldestQueued, outboxDepth, removeThrough } from "../db/outbox.ts";
import type { Logger } from "../observability/log.ts";
import { PointStoreError, type PointStore, type StoredResult } from "./store.ts";

export const OUTBOX_COUNTERS = {
  dropped: "points_dropped",
  failures: "outbox_failures",
  nextAttempt: "outbox_next_attempt_at",
  delivered: "outbox_delivered",
} as const;

export type OutboxOptions = { maxPoints: number; flushBatch: number; backoffMaxMs: number; now: () => number; random?: () => number };

/** Backoff after `failures` consecutive failed attempts: 15 s doubling up to `maxMs`, with jitter (50-100 %). */
export function backoffMs(failures: number, maxMs: number, random: () => number = Math.random): number {
  const base = Math.min(15_000 * 2 ** Math.max(0, failures - 1), maxMs);
  return Math.round(base * (0.5 + random() / 2));
}

export type WriteOutcome = { stored: number; queued: number; dropped: number; subrequests: number };

export class PointWriter {
  readonly store: PointStore;
  private readonly db: D1Database;
  private readonly log: Logger;
  private readonly opts: OutboxOptions;

  constructor(store: PointStore, db: D1Database, log: Logger, opts: OutboxOptions) {
    this.store = store;
    this.db = db;
    this.log = log;
    this.opts = opts;
  }

  /** Subrequests one write() plus one flush() may make: the budget the scheduler reserves. */
  get reserve(): number {
    return this.store.name === "influxdb" ? 2 : 0;
  }

  private async backoffState() {
    const c = await getCounters(this.db, [OUTBOX_COUNTERS.failures, OUTBOX_COUNTERS.nextAttempt]);
    return { failures: c[OUTBOX_COUNTERS.failures]!, nextAttemptAt: c[OUTBOX_COUNTERS.nextAttempt]! };
  }

  async depth(): Promise<number> {
    return outboxDepth(this.db);
  }

  /**
   * Stores results: straight to the point store unless it is backing off, else (or on failure)
   * into the outbox. Resolves once every result is durable in one or the other.
   */
  async write(results: StoredResult[]): Promise<WriteOutcome> {
    if (results.length === 0) return { stored: 0, queued: 0, dropped: 0, subrequests: 0 };
    const now = this.opts.now();
    const { nextAttemptAt } = await this.backoffState();
    if (now >= nextAttemptAt) {
      try {
        await this.store.write(results);
        return { stored: results.length, queued: 0, dropped: 0, subrequests: this.store.name === "influxdb" ? 1 : 0 };
      } catch (e) {
        await this.recordFailure(e);
        const queued = await this.enqueue(results);
        return { ...queued, subrequests: 1 };
      }
    }
    return { ...(await this.enqueue(results)), subrequests: 0 };
  }

  private async recordFailure(e: unknown) {
    const now = this.opts.now();
    const { failures } = await this.backoffState();
    const wait = backoffMs(failures + 1, this.opts.backoffMaxMs, this.opts.random);
    await this.db.batch([
      setCounter(this.db, OUTBOX_COUNTERS.failures, failures + 1, now),
      setCounter(this.db, OUTBOX_COUNTERS.nextAttempt, now + wait, now),
    ]);
    this.log.warn("point store write failed; points kept in the outbox", {
      store: this.store.name,
      error: e instanceof Error ? e.message : String(e),
      retryable: e instanceof PointStoreError ? e.retryable : true,
      consecutive_failures: failures + 1,
      retry_in_ms: wait,
    });
  }

  private async enqueue(results: StoredResult[]): Promise<{ stored: number; queued: number; dropped: number }> {
    const now = this.opts.now();
    const depth = await this.depth();
    const overflow = Math.max(0, depth + results.length - this.opts.maxPoints);
    const stmts: D1PreparedStatement[] = [];
    // Newest points are kept: drop the oldest queued ones first, then the oldest of this batch.
    const dropQueued = Math.min(overflow, depth);
    const dropNew = overflow - dropQueued;
    if (dropQueued > 0) stmts.push(dropOldest(this.db, dropQueued));
    const keep = [...results].sort((a, b) => a.ts - b.ts).slice(dropNew);
    for (const r of keep) stmts.push(enqueueResult(this.db, r, now));
    if (overflow > 0) stmts.push(addCounter(this.db, OUTBOX_COUNTERS.dropped, overflow, now));
    await this.db.batch(stmts);
    if (overflow > 0)
      this.log.error("point outbox full: dropped the oldest points", { dropped: overflow, max_points: this.opts.maxPoints });
    return { stored: 0, queued: keep.length, dropped: overflow };
  }

  /** Sends the oldest queued points to the store when the backoff allows; returns how many landed. */
  async flush(): Promise<{ delivered: number; remaining: number; subrequests: number }> {
    const now = this.opts.now();
    const { failures, nextAttemptAt } = await this.backoffState();
    const rows = await oldestQueued(this.db, this.opts.flushBatch);
    if (rows.length === 0 || now < nextAttemptAt) return { delivered: 0, remaining: rows.length ? await this.depth() : 0, subrequests: 0 };
    try {
      await this.store.write(rows.map((r) => r.result));
    } catch (e) {
      await this.recordFailure(e);
      return { delivered: 0, remaining: await this.depth(), subrequests: 1 };
    }
    const last = rows[rows.length - 1]!.seq;
    await this.db.batch([
      removeThrough(this.db, last),
      addCounter(this.db, OUTBOX_COUNTERS.delivered, rows.length, now),
      setCounter(this.db, OUTBOX_COUNTERS.failures, 0, now),
      setCounter(this.db, OUTBOX_COUNTERS.nextAttempt, 0, now),
    ]);
    const remaining = await this.depth();
    this.log.info("point outbox flushed", { delivered: rows.length, remaining, after_failures: failures });
    return { delivered: rows.length, remaining, subrequests: 1 };
  }
}
