// What one invocation asks of D1, from D1's own `meta`: statements run, rows read and rows written
// (the two figures D1 bills). meterD1 wraps the binding for one invocation; everything the invocation
// runs through the wrapper is counted. The wrapper holds no SQL: statements still come from edge/src/db.
import type { Logger } from "../observability/log.ts";

export type D1Totals = {
  /** Statements sent to D1: one per run/all/first/raw, one per statement in a batch, exec's count. */
  statements: number;
  /** Sum of `meta.rows_read` over the statements D1 reported it for. */
  rows_read: number;
  /** Sum of `meta.rows_written` over the statements D1 reported it for. */
  rows_written: number;
  /**
   * Statements whose rows D1 does not report, so the sums above leave them out: raw() (D1 returns
   * no meta with it), exec() (D1ExecResult holds count and duration only), and statements that
   * failed (an error carries no meta).
   */
  unmetered: number;
};

export type D1Meter = { db: D1Database; totals(): D1Totals };

type Meta = { rows_read?: unknown; rows_written?: unknown } | undefined;

/** The statement the wrapper stands for, so batch() can hand D1 its own statements. */
const INNER = Symbol("d1-meter inner statement");
type Metered = D1PreparedStatement & { [INNER]: D1PreparedStatement };

/**
 * Wraps `db` for one invocation. run() and all() return D1's answer unchanged. first() runs as
 * all() and takes row 0: D1's own first() sends the same query (`/query`, rows and columns, no
 * LIMIT added) and drops its meta, so the rows D1 reads are the same; only the trace span's name
 * differs. raw() passes through unmetered (its rows come as arrays, which all() cannot give back
 * exactly when two columns share a name). batch() unwraps the statements and sums each result's
 * meta. exec(), withSession() and dump() pass through; a session's statements are metered too.
 */
export function meterD1(db: D1Database): D1Meter {
  const t: D1Totals = { statements: 0, rows_read: 0, rows_written: 0, unmetered: 0 };
  const record = (meta: Meta) => {
    t.statements += 1;
    const read = meta?.rows_read;
    const written = meta?.rows_written;
    if (typeof read !== "number" || typeof written !== "number") {
      t.unmetered += 1;
      return;
    }
    t.rows_read += read;
    t.rows_written += written;
  };
  const unmetered = (n: number) => {
    t.statements += n;
    t.unmetered += n;
  };
  async function metered<R extends { meta?: Meta }>(p: () => Promise<R>): Promise<R> {
    let r: R;
    try {
      r = await p();
    } catch (e) {
      unmetered(1);
      throw e;
    }
    record(r.meta);
    return r;
  }

  const wrap = (inner: D1PreparedStatement): Metered => {
    const s = {
      [INNER]: inner,
      bind: (...values: unknown[]) => wrap(inner.bind(...values)),
      run: () => metered(() => inner.run()),
      all: () => metered(() => inner.all()),
      async first(colName?: string) {
        const { results } = await metered(() => inner.all<Record<string, unknown>>());
        const row = results[0];
        if (row === undefined) return null;
        if (colName === undefined) return row;
        // D1's own message when the column is missing.
        if (row[colName] === undefined) throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${colName})`);
        return row[colName];
      },
      async raw(options?: { columnNames?: boolean }) {
        try {
          return await inner.raw(options as { columnNames?: false });
        } finally {
          unmetered(1); // D1 gives no meta with raw()
        }
      },
    };
    return s as unknown as Metered;
  };

  const unwrap = (s: D1PreparedStatement) => (s as Partial<Metered>)[INNER] ?? s;
  const batchVia =
    (inner: (s: D1PreparedStatement[]) => Promise<D1Result[]>) =>
    async (statements: D1PreparedStatement[]): Promise<D1Result[]> => {
      let results: D1Result[];
      try {
        results = await inner(statements.map(unwrap));
      } catch (e) {
        unmetered(statements.length);
        throw e;
      }
      for (const r of results) record(r.meta);
      return results;
    };

  const wrapped = {
    prepare: (query: string) => wrap(db.prepare(query)),
    batch: batchVia((s) => db.batch(s)),
    async exec(query: string) {
      let r: D1ExecResult;
      try {
        r = await db.exec(query);
      } catch (e) {
        unmetered(1);
        throw e;
      }
      unmetered(r.count); // D1ExecResult has no rows read or written
      return r;
    },
    withSession(constraintOrBookmark?: string) {
      const session = db.withSession(constraintOrBookmark);
      return {
        prepare: (query: string) => wrap(session.prepare(query)),
        batch: batchVia((s) => session.batch(s)),
        getBookmark: () => session.getBookmark(),
      } as unknown as D1DatabaseSession;
    },
    dump: () => db.dump(),
  };
  return { db: wrapped as unknown as D1Database, totals: () => ({ ...t }) };
}

/** The totals as log fields: `d1_statements`, `d1_rows_read`, `d1_rows_written`, and `d1_unmetered` when any. */
export function d1LogFields(t: D1Totals): Record<string, number> {
  const f: Record<string, number> = { d1_statements: t.statements, d1_rows_read: t.rows_read, d1_rows_written: t.rows_written };
  if (t.unmetered > 0) f.d1_unmetered = t.unmetered;
  return f;
}

/**
 * The invocation's logger, whose final lines (those `isFinal` picks) also carry the meter's totals
 * so far, so one line per invocation says what it cost in D1.
 */
export function withD1Totals(log: Logger, meter: D1Meter, isFinal: (msg: string) => boolean): Logger {
  const add = (msg: string, fields?: Record<string, unknown>) => (isFinal(msg) ? { ...fields, ...d1LogFields(meter.totals()) } : fields);
  return {
    debug: (m, f) => log.debug(m, add(m, f)),
    info: (m, f) => log.info(m, add(m, f)),
    warn: (m, f) => log.warn(m, add(m, f)),
    error: (m, f) => log.error(m, add(m, f)),
    child: (fields) => withD1Totals(log.child(fields), meter, isFinal),
  };
}
