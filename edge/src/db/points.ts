// The embedded point store: PointStore on the Worker's D1 (table `points`, migration 0002), the default when no InfluxDB is configured.
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

export type EmbeddedStoreOptions = {
  /** Rows per INSERT statement (all travel as one JSON parameter, so D1's 100-parameter limit never binds). */
  rowsPerStatement?: number;
  /** Upper bound on one statement's JSON parameter, in characters. */
  maxStatementChars?: number;
  /** INSERT statements per D1 batch (one round trip, one transaction). */
  statementsPerBatch?: number;
};

const COLUMNS = ["id", "monitor", "kind", "location", "agent", "ts", "up", "latency_ms", "error_kind", "error_message", "detail"] as const;

// Rows arrive as one JSON array of arrays; json_each unpacks them, so a statement binds one parameter.
const INSERT =
  `INSERT INTO points (${COLUMNS.join(", ")}) ` +
  `SELECT ${COLUMNS.map((_, i) => `json_extract(value, '$[${i}]')`).join(", ")} FROM json_each(?1) WHERE true ` +
  `ON CONFLICT (id) DO NOTHING`;

type PointRecord = {
  id: string;
  monitor: string;
  location: string;
  agent: string | null;
  ts: number;
  up: number;
  latency_ms: number | null;
  error_kind: string | null;
  error_message: string | null;
  detail: string | null;
};

type SumsRow = { start: number; checks: number; up: number | null; latency_sum: number | null; latency_count: number };

/** Rows are keyed by resultKey, so two agents' results with the same id are both kept. */
function toRecord(r: StoredResult): unknown[] {
  const detail = keptDetail(r)[r.kind];
  return [
    resultKey(r),
    r.monitor,
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

function fromRecord(kind: Kind, row: PointRecord): CheckResult {
  const ok = row.up === 1;
  const errorKind = (ERROR_KINDS as readonly string[]).includes(row.error_kind ?? "") ? (row.error_kind as ErrorKind) : "other";
  const result: CheckResult = {
    id: row.agent !== null && row.id.startsWith(`${row.agent}/`) ? row.id.slice(row.agent.length + 1) : row.id,
    monitor: row.monitor,
    ts: row.ts,
    ok,
    latency_ms: row.latency_ms,
    location: row.location,
    agent: row.agent,
    error: ok ? null : { kind: errorKind, message: row.error_message ?? "unknown error" },
  };
  if (row.detail !== null) Object.assign(result, { [kind]: JSON.parse(row.detail) });
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

export class EmbeddedPointStore implements PointStore {
  readonly name = "embedded" as const;
  readonly #db: D1Database;
  readonly #rowsPerStatement: number;
  readonly #maxChars: number;
  readonly #statementsPerBatch: number;

  constructor(db: D1Database, options: EmbeddedStoreOptions = {}) {
    this.#db = db;
    this.#rowsPerStatement = options.rowsPerStatement ?? 250;
    this.#maxChars = options.maxStatementChars ?? 500_000;
    this.#statementsPerBatch = options.statementsPerBatch ?? 20;
  }

  async write(results: StoredResult[]): Promise<void> {
    if (results.length === 0) return;
    const statements: D1PreparedStatement[] = [];
    let chunk: string[] = [];
    let chars = 0;
    const flush = () => {
      if (chunk.length === 0) return;
      statements.push(this.#db.prepare(INSERT).bind(`[${chunk.join(",")}]`));
      chunk = [];
      chars = 0;
    };
    for (const r of results) {
      const json = JSON.stringify(toRecord(r));
      if (chunk.length >= this.#rowsPerStatement || (chunk.length > 0 && chars + json.length > this.#maxChars)) flush();
      chunk.push(json);
      chars += json.length + 1;
    }
    flush();
    try {
      for (let i = 0; i < statements.length; i += this.#statementsPerBatch)
        await this.#db.batch(statements.slice(i, i + this.#statementsPerBatch));
    } catch (e) {
      throw failure("write", e);
    }
  }

  async checks(q: CheckQuery): Promise<CheckResult[]> {
    if (q.limit <= 0 || q.from >= q.to) return [];
    try {
      const { results } = await this.#db
        .prepare(
          `SELECT id, monitor, location, agent, ts, up, latency_ms, error_kind, error_message, detail FROM points ` +
            `WHERE monitor = ?1 AND kind = ?2 AND ts >= ?3 AND ts < ?4 ORDER BY ts DESC LIMIT ?5`,
        )
        .bind(q.monitor, q.kind, Math.trunc(q.from), Math.trunc(q.to), Math.trunc(q.limit))
        .all<PointRecord>();
      return results.map((row) => fromRecord(q.kind, row));
    } catch (e) {
      throw failure("query", e);
    }
  }

  async uptime(q: UptimeQuery): Promise<UptimeReport> {
    if (q.from >= q.to) return assembleReport(q, []);
    // The bucket size is one of two constants, inlined so the division stays integer whatever type D1 binds.
    const start = q.bucket ? `(ts / ${BUCKET_MS[q.bucket]}) * ${BUCKET_MS[q.bucket]}` : "?3";
    const sql =
      `SELECT ${start} AS start, COUNT(*) AS checks, SUM(up) AS up, ` +
      `SUM(CASE WHEN up = 1 THEN latency_ms END) AS latency_sum, COUNT(CASE WHEN up = 1 THEN latency_ms END) AS latency_count ` +
      `FROM points WHERE monitor = ?1 AND kind = ?2 AND ts >= ?3 AND ts < ?4` +
      (q.bucket ? " GROUP BY 1" : "");
    let rows: SumsRow[];
    try {
      rows = (await this.#db.prepare(sql).bind(q.monitor, q.kind, Math.trunc(q.from), Math.trunc(q.to)).all<SumsRow>()).results;
    } catch (e) {
      throw failure("query", e);
    }
    const sums: BucketSums[] = rows
      .filter((r) => r.checks > 0)
      .map((r) => ({
        start: Number(r.start),
        checks: r.checks,
        up: r.up ?? 0,
        latencySum: r.latency_sum ?? 0,
        latencyCount: r.latency_count,
      }));
    return assembleReport(q, sums);
  }

  async ping(): Promise<void> {
    try {
      await this.#db.prepare("SELECT 1 FROM points LIMIT 1").all();
    } catch (e) {
      throw failure("ping", e);
    }
  }
}
