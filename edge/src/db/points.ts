// The embedded point store: PointStore on the Worker's D1 (table point_packs, migration 0008), the
// default when no InfluxDB is configured. Points are packed: one row per state pack and write, holding
// each monitor's points of that write, so a batch of checks writes a row per pack, not four rows per
// check (a point and its three index entries, before). Uptime comes from the rollups for whole days
// and hours, and from the points only for the partial hours at a window's ends.
import type { CheckResult, Kind } from "../../../contract/index.ts";
import { ERROR_KINDS, type ErrorKind } from "../../../contract/index.ts";
import { BUCKET_MS, assembleReport, type BucketSums } from "../points/buckets.ts";
import { keptDetail } from "../points/telegraf.ts";
import {
  PointStoreError,
  resultKey,
  type CheckQuery,
  type PointStore,
  type StoredResult,
  type UptimeQuery,
  type UptimeReport,
} from "../points/store.ts";
import { DAY, HOUR } from "../status/rollups.ts";
import { readPacks } from "./packs.ts";
import { readCells } from "./rollups.ts";

export type EmbeddedStoreOptions = {
  /** Upper bound on one row's body, in characters (D1 rows hold at most 2 MB). */
  maxRowChars?: number;
  /** Rows read per page while walking a monitor's points newest first. */
  pageRows?: number;
};

/** key, kind, location, agent, ts, up, latency_ms, error_kind, error_message, detail (JSON text). */
type Rec = [string, string, string, string | null, number, 0 | 1, number | null, string | null, string | null, string | null];

function toRec(r: StoredResult): Rec {
  const detail = keptDetail(r)[r.kind];
  return [
    resultKey(r),
    r.kind,
    r.location,
    r.agent,
    r.ts,
    r.ok ? 1 : 0,
    r.latency_ms,
    r.error?.kind ?? null,
    r.error?.message ?? null,
    detail === undefined ? null : JSON.stringify(detail),
  ];
}

function fromRec(monitor: string, kind: Kind, x: Rec): CheckResult {
  const [key, , location, agent, ts, up, latency_ms, error_kind, error_message, detail] = x;
  const ok = up === 1;
  const errorKind = (ERROR_KINDS as readonly string[]).includes(error_kind ?? "") ? (error_kind as ErrorKind) : "other";
  const result: CheckResult = {
    id: agent !== null && key.startsWith(`${agent}/`) ? key.slice(agent.length + 1) : key,
    monitor,
    ts,
    ok,
    latency_ms,
    location,
    agent,
    error: ok ? null : { kind: errorKind, message: error_message ?? "unknown error" },
  };
  if (detail !== null) Object.assign(result, { [kind]: JSON.parse(detail) });
  return result;
}

function failure(what: string, e: unknown): PointStoreError {
  const message = (e as Error)?.message ?? String(e);
  if (/no such table/i.test(message))
    return new PointStoreError(
      `embedded point store ${what} failed: ${message} — apply the D1 migrations (wrangler d1 migrations apply)`,
      false,
    );
  return new PointStoreError(`embedded point store ${what} failed: ${message}`, true);
}

type Row = { pack: string; ts: number; first: number; seq: string; body: string };

/** Rows for `results`: one per pack (more if one would outgrow `maxChars`), keyed so a repeated write stores nothing twice. */
function packRows(results: StoredResult[], maxChars: number): Row[] {
  const byPack = new Map<string, StoredResult[]>();
  for (const r of results) {
    const k = r.pack ?? "";
    (byPack.get(k) ?? byPack.set(k, []).get(k)!).push(r);
  }
  const rows: Row[] = [];
  for (const [pack, list] of byPack) {
    let body: Record<string, Rec[]> = {};
    let keys: string[] = [];
    let ts: number[] = [];
    let chars = 0;
    const flush = () => {
      if (keys.length === 0) return;
      keys.sort();
      rows.push({
        pack,
        ts: Math.max(...ts),
        first: Math.min(...ts),
        seq: `${keys[0]}:${keys[keys.length - 1]}:${keys.length}`,
        body: JSON.stringify(body),
      });
      body = {};
      keys = [];
      ts = [];
      chars = 0;
    };
    for (const r of list) {
      const rec = toRec(r);
      const size = JSON.stringify(rec).length + 1;
      if (chars > 0 && chars + size > maxChars) flush();
      (body[r.monitor] ??= []).push(rec);
      keys.push(rec[0]);
      ts.push(r.ts);
      chars += size;
    }
    flush();
  }
  return rows;
}

/** The statement removing a deleted monitor's points from its pack's rows (every row holding some: a rare, large write). */
export function purgePoints(db: D1Database, pack: string, monitor: string): D1PreparedStatement {
  return db
    .prepare(
      "UPDATE point_packs SET body = json_remove(body, '$.' || json_quote(?2)) WHERE pack = ?1 AND json_type(body, '$.' || json_quote(?2)) IS NOT NULL",
    )
    .bind(pack, monitor);
}

export class EmbeddedPointStore implements PointStore {
  readonly name = "embedded" as const;
  readonly #db: D1Database;
  readonly #maxChars: number;
  readonly #pageRows: number;

  constructor(db: D1Database, options: EmbeddedStoreOptions = {}) {
    this.#db = db;
    this.#maxChars = options.maxRowChars ?? 500_000;
    this.#pageRows = options.pageRows ?? 64;
  }

  async write(results: StoredResult[]): Promise<void> {
    if (results.length === 0) return;
    const stmts = packRows(results, this.#maxChars).map((r) =>
      this.#db
        .prepare("INSERT INTO point_packs (pack, ts, seq, first, body) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING")
        .bind(r.pack, r.ts, r.seq, r.first, r.body),
    );
    try {
      await this.#db.batch(stmts);
    } catch (e) {
      throw failure("write", e);
    }
  }

  /** The monitor's pack; '' for a monitor this Worker does not know (its points were written without one). */
  async #packOf(monitor: string): Promise<string> {
    const r = await this.#db.prepare("SELECT pack FROM monitors WHERE id = ?1").bind(monitor).first<{ pack: string | null }>();
    return r?.pack ?? "";
  }

  /**
   * The monitor's points with `from <= ts < to`, newest first, walking its pack's rows by their newest
   * time; stops once `limit` points are held and no row left can hold a newer one. Each point once.
   */
  async #points(pack: string, monitor: string, from: number, to: number, limit: number): Promise<Rec[]> {
    const out = new Map<string, Rec>();
    const stmt = this.#db.prepare(
      `SELECT ts, seq, json_extract(body, '$.' || json_quote(?2)) AS recs FROM point_packs
       WHERE pack = ?1 AND ts >= ?3 AND first < ?4 AND (ts < ?5 OR (ts = ?5 AND seq < ?6)) AND json_type(body, '$.' || json_quote(?2)) IS NOT NULL
       ORDER BY ts DESC, seq DESC LIMIT ?7`,
    );
    let cursor: [number, string] = [Number.MAX_SAFE_INTEGER, ""];
    for (;;) {
      const page = (
        await stmt
          .bind(pack, monitor, from, to, cursor[0], cursor[1] || "\uffff", this.#pageRows)
          .all<{ ts: number; seq: string; recs: string }>()
      ).results;
      for (const row of page) for (const x of JSON.parse(row.recs) as Rec[]) if (x[4] >= from && x[4] < to) out.set(x[0], x);
      if (page.length < this.#pageRows) break;
      const last = page[page.length - 1]!;
      cursor = [last.ts, last.seq];
      if (out.size >= limit) {
        const kth = [...out.values()].map((x) => x[4]).sort((a, b) => b - a)[limit - 1]!;
        if (last.ts < kth) break;
      }
    }
    return [...out.values()].sort((a, b) => b[4] - a[4] || (a[0] < b[0] ? 1 : -1)).slice(0, limit);
  }

  async checks(q: CheckQuery): Promise<CheckResult[]> {
    if (q.limit <= 0 || q.from >= q.to) return [];
    try {
      const pack = await this.#packOf(q.monitor);
      const recs = await this.#points(pack, q.monitor, Math.trunc(q.from), Math.trunc(q.to), Math.trunc(q.limit));
      return recs.filter((x) => x[1] === q.kind).map((x) => fromRec(q.monitor, q.kind, x));
    } catch (e) {
      throw failure("query", e);
    }
  }

  /**
   * Whole UTC days from the daily rollups (unless hourly buckets are asked for), the other whole hours
   * from the hourly ones, and the partial hours at the ends from the points (all of it from the points
   * for a monitor without a pack: the store's own contract tests write points of unknown monitors).
   */
  async uptime(q: UptimeQuery): Promise<UptimeReport> {
    if (q.from >= q.to) return assembleReport(q, []);
    try {
      const pack = await this.#packOf(q.monitor);
      const only = { id: q.monitor, pack };
      const packs = [...(await readPacks(this.#db, [pack])).values()];
      const bucketOf = (start: number) => (q.bucket ? Math.floor(start / BUCKET_MS[q.bucket]) * BUCKET_MS[q.bucket] : q.from);
      const sums = new Map<number, BucketSums>();
      const add = (start: number, c: number, u: number, ls: number, ln: number) => {
        const b = bucketOf(start);
        const s = sums.get(b) ?? sums.set(b, { start: b, checks: 0, up: 0, latencySum: 0, latencyCount: 0 }).get(b)!;
        s.checks += c;
        s.up += u;
        s.latencySum += ls;
        s.latencyCount += ln;
      };
      // Rollups are kept for the monitors results are recorded for; a monitor without a pack counts from its points alone.
      const h0 = pack === "" ? q.to : Math.ceil(q.from / HOUR) * HOUR;
      const h1 = pack === "" ? q.to : Math.floor(q.to / HOUR) * HOUR;
      const d0 = q.bucket === "1h" ? h1 : Math.ceil(q.from / DAY) * DAY;
      const d1 = q.bucket === "1h" ? h1 : Math.floor(q.to / DAY) * DAY;
      const hourRanges: Array<[number, number]> =
        d0 < d1
          ? [
              [h0, d0],
              [d1, h1],
            ]
          : [[h0, h1]];
      const cellRanges: Array<["1h" | "1d", number, number]> =
        pack === ""
          ? []
          : [
              ...(d0 < d1 ? [["1d", d0, d1] as ["1d", number, number]] : []),
              ...hourRanges.filter(([a, b]) => a < b).map(([a, b]) => ["1h", a, b] as ["1h", number, number]),
            ];
      for (const [size, a, b] of cellRanges) for (const c of await readCells(this.#db, size, a, b, packs, only)) add(c.start, ...c.counts);
      const pointRanges: Array<[number, number]> =
        h0 <= h1
          ? [
              [q.from, Math.min(h0, q.to)],
              [Math.max(h1, q.from), q.to],
            ]
          : [[q.from, q.to]];
      for (const [a, b] of pointRanges) {
        if (a >= b) continue;
        for (const x of await this.#points(pack, q.monitor, a, b, Number.MAX_SAFE_INTEGER)) {
          if (x[1] !== q.kind) continue;
          const measured = x[5] === 1 && x[6] !== null;
          add(x[4], 1, x[5], measured ? x[6]! : 0, measured ? 1 : 0);
        }
      }
      return assembleReport(
        q,
        [...sums.values()].filter((s) => s.checks > 0),
      );
    } catch (e) {
      throw failure("query", e);
    }
  }

  async ping(): Promise<void> {
    try {
      await this.#db.prepare("SELECT 1 FROM point_packs LIMIT 1").all();
    } catch (e) {
      throw failure("ping", e);
    }
  }
}
