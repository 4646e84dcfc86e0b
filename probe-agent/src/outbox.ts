// The disk-backed outbox: every result is committed to SQLite (WAL, fsync) before its check counts as
// done, and leaves only once the edge acknowledged it. Bounded by count and by age.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { CheckResult } from "../../contract/index.ts";

export type DropReason = "full" | "expired" | "rejected";

/** Told about every drop, once per batch of dropped results. */
export type DropReport = {
  reason: DropReason;
  count: number;
  monitors: string[];
  oldestTs: number | null;
  newestTs: number | null;
  detail?: string;
};

export type OutboxOptions = {
  /** Directory holding `outbox.sqlite` (created when missing). */
  dir: string;
  maxResults: number;
  maxAgeMs: number;
  now?: () => number;
  onDrop?: (report: DropReport) => void;
};

/** One stored result as pushed: its JSON text as written, so a retry sends the same bytes. */
export type Entry = { seq: number; id: string; monitor: string; ts: number; json: string; bytes: number };

type Pending = { result: CheckResult; json: string; resolve: () => void; reject: (e: unknown) => void };

/** How long an append waits for others to share its commit (fsync). */
export const GROUP_COMMIT_MS = 50;

export class Outbox {
  readonly file: string;
  private readonly db: DatabaseSync;
  private readonly maxResults: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private readonly onDrop: (report: DropReport) => void;
  private readonly insert: StatementSync;
  private pending: Pending[] = [];
  private commitQueued = false;
  private count: number;
  private closed = false;

  /**
   * Opens (or creates) the outbox. The database is locked exclusively, so a second agent
   * pointed at the same directory fails here instead of pushing the same results twice.
   */
  constructor(options: OutboxOptions) {
    mkdirSync(options.dir, { recursive: true });
    this.file = path.join(options.dir, "outbox.sqlite");
    this.maxResults = options.maxResults;
    this.maxAgeMs = options.maxAgeMs;
    this.now = options.now ?? Date.now;
    this.onDrop = options.onDrop ?? (() => {});
    this.db = new DatabaseSync(this.file, { timeout: 0 });
    try {
      // WAL + synchronous=FULL: a commit is on disk (fsync) before it returns; a torn last write
      // after SIGKILL or power loss is rolled back on open, never half-read.
      this.db.exec("PRAGMA locking_mode = EXCLUSIVE");
      this.db.exec("PRAGMA journal_mode = WAL");
      this.db.exec("PRAGMA synchronous = FULL");
      this.db.exec(`CREATE TABLE IF NOT EXISTS results (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        monitor TEXT NOT NULL,
        ts INTEGER NOT NULL,
        json TEXT NOT NULL
      )`);
      this.db.exec("CREATE INDEX IF NOT EXISTS results_ts ON results (ts)");
    } catch (e) {
      this.db.close();
      const message = e instanceof Error ? e.message : String(e);
      throw new Error(
        /locked|busy/i.test(message)
          ? `the outbox ${this.file} is in use by another process (one agent per data directory)`
          : `cannot open the outbox ${this.file}: ${message}`,
        { cause: e },
      );
    }
    this.insert = this.db.prepare("INSERT OR IGNORE INTO results (id, monitor, ts, json) VALUES (?, ?, ?, ?)");
    this.count = Number((this.db.prepare("SELECT count(*) AS n FROM results").get() as { n: number }).n);
  }

  /** Results waiting for the edge (committed ones; appends still being committed are not counted). */
  depth(): number {
    return this.count;
  }

  oldestTs(): number | null {
    const row = this.statement("SELECT min(ts) AS ts FROM results").get() as { ts: number | null };
    return row.ts === null ? null : Number(row.ts);
  }

  /**
   * Stores a result durably. Appends made within GROUP_COMMIT_MS of each other are committed
   * together (one fsync: at 100 checks/s that is ~5 results a commit instead of one, which is
   * most of the agent's CPU per check), and each promise resolves only after that commit.
   */
  append(result: CheckResult): Promise<void> {
    if (this.closed) return Promise.reject(new Error("the outbox is closed"));
    const json = JSON.stringify(result);
    return new Promise((resolve, reject) => {
      this.pending.push({ result, json, resolve, reject });
      if (!this.commitQueued) {
        this.commitQueued = true;
        setTimeout(() => this.commitPending(), GROUP_COMMIT_MS);
      }
    });
  }

  private commitPending(): void {
    this.commitQueued = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    let inserted = 0;
    let overflow: Entry[] = [];
    try {
      this.db.exec("BEGIN IMMEDIATE");
      for (const p of batch) inserted += Number(this.insert.run(p.result.id, p.result.monitor, p.result.ts, p.json).changes);
      const excess = this.count + inserted - this.maxResults;
      if (excess > 0) overflow = this.deleteOldest(excess);
      this.db.exec("COMMIT");
    } catch (e) {
      try {
        if (this.db.isTransaction) this.db.exec("ROLLBACK");
      } catch {
        // the rollback failing too leaves nothing more to undo here
      }
      for (const p of batch) p.reject(e);
      return;
    }
    this.count += inserted - overflow.length;
    if (overflow.length) this.report("full", overflow, `the outbox holds at most ${this.maxResults} results`);
    for (const p of batch) p.resolve();
  }

  private deleteOldest(n: number): Entry[] {
    const victims = this.select("SELECT seq, id, monitor, ts, json FROM results ORDER BY seq LIMIT ?", n);
    this.deleteSeqs(victims.map((v) => v.seq));
    return victims;
  }

  /** Statements are prepared once: the push runs every second. */
  private readonly statements = new Map<string, StatementSync>();
  private statement(sql: string): StatementSync {
    let st = this.statements.get(sql);
    if (!st) this.statements.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  private select(sql: string, ...params: number[]): Entry[] {
    const rows = this.statement(sql).all(...params) as Array<{ seq: number; id: string; monitor: string; ts: number; json: string }>;
    return rows.map((r) => ({
      seq: Number(r.seq),
      id: r.id,
      monitor: r.monitor,
      ts: Number(r.ts),
      json: r.json,
      bytes: Buffer.byteLength(r.json),
    }));
  }

  private deleteSeqs(seqs: number[]): number {
    if (seqs.length === 0) return 0;
    const r = this.statement("DELETE FROM results WHERE seq IN (SELECT value FROM json_each(?))").run(JSON.stringify(seqs));
    return Number(r.changes);
  }

  private report(reason: DropReason, entries: Entry[], detail?: string): void {
    let oldest: number | null = null;
    let newest: number | null = null;
    const monitors = new Set<string>();
    for (const e of entries) {
      monitors.add(e.monitor);
      oldest = oldest === null ? e.ts : Math.min(oldest, e.ts);
      newest = newest === null ? e.ts : Math.max(newest, e.ts);
    }
    const report: DropReport = { reason, count: entries.length, monitors: [...monitors].sort(), oldestTs: oldest, newestTs: newest };
    if (detail !== undefined) report.detail = detail;
    this.onDrop(report);
  }

  /** Drops results older than the age bound; returns how many. */
  expire(): number {
    const cutoff = this.now() - this.maxAgeMs;
    const old = this.select("SELECT seq, id, monitor, ts, json FROM results WHERE ts < ? ORDER BY seq", cutoff);
    if (old.length === 0) return 0;
    const n = this.deleteSeqs(old.map((e) => e.seq));
    this.count -= n;
    this.report("expired", old, `older than ${Math.round(this.maxAgeMs / 1000)} s`);
    return n;
  }

  /** The oldest results, at most `maxCount` of them and at most `maxBytes` of JSON (always at least one). */
  peek(maxCount: number, maxBytes: number): Entry[] {
    this.expire();
    const rows = this.select("SELECT seq, id, monitor, ts, json FROM results ORDER BY seq LIMIT ?", maxCount);
    const out: Entry[] = [];
    let bytes = 0;
    for (const r of rows) {
      if (out.length > 0 && bytes + r.bytes + 1 > maxBytes) break;
      out.push(r);
      bytes += r.bytes + 1;
    }
    return out;
  }

  /** Removes results the edge acknowledged. */
  remove(entries: readonly Entry[]): void {
    this.count -= this.deleteSeqs(entries.map((e) => e.seq));
  }

  /** Removes results the edge refused, reporting them as dropped ("rejected"). */
  reject(entries: readonly Entry[], detail: string): void {
    const n = this.deleteSeqs(entries.map((e) => e.seq));
    this.count -= n;
    if (entries.length) this.report("rejected", [...entries], detail);
  }

  /** Commits what is pending, then closes the database. */
  close(): void {
    if (this.closed) return;
    this.commitPending();
    this.closed = true;
    this.db.close();
  }
}
