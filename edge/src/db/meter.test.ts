// The D1 meter against the real D1 binding: each method's answer is D1's own, and the totals are
// the sums of the metas D1 reports for the same statements run without the meter.
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { Env } from "../config/env.ts";
import { createLogger, type Level } from "../observability/log.ts";
import { d1LogFields, meterD1, withD1Totals } from "./meter.ts";

const { DB } = env as unknown as Env;
const TABLES = ["meter_a", "meter_b"] as const;

beforeEach(async () => {
  for (const t of TABLES) {
    await DB.prepare(`DROP TABLE IF EXISTS ${t}`).run();
    await DB.prepare(`CREATE TABLE ${t} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 0)`).run();
  }
});

type Meta = { rows_read: number; rows_written: number };

/**
 * The same work on table `t` through `db`: every method once, a batch, reads and writes. Returns what
 * each call answered and the metas D1 gave back (first() has none: its query is all()'s, see meter.ts).
 */
async function workload(db: D1Database, t: string) {
  const metas: Meta[] = [];
  const keep = <R extends { meta: Meta }>(r: R) => {
    metas.push(r.meta);
    return r;
  };
  const answers: unknown[] = [];
  const insert = db.prepare(`INSERT INTO ${t} (id, name, n) VALUES (?, ?, ?)`);
  answers.push(keep(await insert.bind(1, "one", 1).run()).meta.changes);
  const batch = await db.batch([
    insert.bind(2, "two", 2),
    insert.bind(3, "three", 3),
    db.prepare(`UPDATE ${t} SET n = n + 10 WHERE id <= ?`).bind(2),
    db.prepare(`SELECT id, n FROM ${t} ORDER BY id`),
  ]);
  for (const r of batch) keep(r as D1Result & { meta: Meta });
  answers.push(batch.map((r) => r.results));
  answers.push(keep(await db.prepare(`SELECT * FROM ${t} WHERE n > ? ORDER BY id`).bind(5).all()).results);
  if (db === DB) {
    // Unwrapped, first() gives no meta: the meter runs the same query as all(), so that is what it is compared with.
    keep(await db.prepare(`SELECT name FROM ${t} ORDER BY id`).all());
    keep(await db.prepare(`SELECT n FROM ${t} WHERE name = ?`).bind("three").all());
    keep(await db.prepare(`SELECT * FROM ${t} WHERE id = 99`).all());
  }
  answers.push(await db.prepare(`SELECT name FROM ${t} ORDER BY id`).first());
  answers.push(await db.prepare(`SELECT n FROM ${t} WHERE name = ?`).bind("three").first("n"));
  answers.push(await db.prepare(`SELECT * FROM ${t} WHERE id = 99`).first());
  answers.push(keep(await db.prepare(`DELETE FROM ${t} WHERE id = ?`).bind(1).run()).meta.changes);
  return { answers, metas };
}

const sum = (metas: Meta[]) => ({
  rows_read: metas.reduce((a, m) => a + m.rows_read, 0),
  rows_written: metas.reduce((a, m) => a + m.rows_written, 0),
});

describe("meterD1", () => {
  it("answers as D1 does and totals the metas D1 reports for the same statements run unwrapped", async () => {
    const plain = await workload(DB, "meter_a");
    const meter = meterD1(DB);
    const metered = await workload(meter.db, "meter_b");

    expect(metered.answers).toEqual(plain.answers);
    expect(plain.answers).toEqual([
      1,
      [
        [],
        [],
        [],
        [
          { id: 1, n: 11 },
          { id: 2, n: 12 },
          { id: 3, n: 3 },
        ],
      ],
      [
        { id: 1, name: "one", n: 11 },
        { id: 2, name: "two", n: 12 },
      ],
      { name: "one" },
      3,
      null,
      1,
    ]);
    // The unwrapped run kept one meta per statement, first() included (as all()): 1 run, 4 in the batch, 1 all, 3 first, 1 run.
    expect(plain.metas).toHaveLength(10);
    const expected = sum(plain.metas);
    expect(expected.rows_written).toBeGreaterThan(0);
    expect(expected.rows_read).toBeGreaterThan(0);
    expect(meter.totals()).toEqual({ statements: 10, unmetered: 0, ...expected });
  });

  it("counts what a batch of wrapped statements did, statement by statement", async () => {
    const meter = meterD1(DB);
    const insert = meter.db.prepare("INSERT INTO meter_a (id, name) VALUES (?, ?)");
    const results = await meter.db.batch([insert.bind(1, "a"), insert.bind(2, "b"), meter.db.prepare("SELECT * FROM meter_a")]);
    expect(results[2]!.results).toHaveLength(2);
    const t = meter.totals();
    expect(t).toEqual({ statements: 3, unmetered: 0, ...sum(results.map((r) => r.meta)) });
    expect(t.rows_written).toBeGreaterThanOrEqual(2);
  });

  it("throws D1's error for a missing column in first(col)", async () => {
    await DB.prepare("INSERT INTO meter_a (id, name) VALUES (1, 'x')").run();
    const plain = await DB.prepare("SELECT name FROM meter_a")
      .first("nope")
      .catch((e: Error) => e.message);
    const metered = await meterD1(DB)
      .db.prepare("SELECT name FROM meter_a")
      .first("nope")
      .catch((e: Error) => e.message);
    expect(metered).toBe(plain);
    expect(metered).toMatch(/D1_COLUMN_NOTFOUND/);
  });

  it("passes raw() and exec() through, counted as statements whose rows D1 does not report", async () => {
    await DB.prepare("INSERT INTO meter_a (id, name) VALUES (1, 'x'), (2, 'y')").run();
    const meter = meterD1(DB);
    const raw = await meter.db.prepare("SELECT id, name AS id FROM meter_a ORDER BY id").raw({ columnNames: true });
    expect(raw).toEqual(await DB.prepare("SELECT id, name AS id FROM meter_a ORDER BY id").raw({ columnNames: true }));
    expect(raw[0]).toEqual(["id", "id"]); // two columns of one name: why raw() is not rebuilt from all()
    const exec = await meter.db.exec("UPDATE meter_a SET n = 1;\nUPDATE meter_a SET n = 2;");
    expect(exec.count).toBe(2);
    expect(meter.totals()).toEqual({ statements: 3, rows_read: 0, rows_written: 0, unmetered: 3 });
  });

  it("counts a failed statement and a failed batch as unmetered, and throws D1's error", async () => {
    const meter = meterD1(DB);
    await expect(meter.db.prepare("SELECT * FROM no_such_table").all()).rejects.toThrow(/no such table/);
    const insert = meter.db.prepare("INSERT INTO meter_a (id, name) VALUES (?, ?)");
    await expect(meter.db.batch([insert.bind(1, "a"), insert.bind(1, "again")])).rejects.toThrow(/UNIQUE/);
    expect(meter.totals()).toEqual({ statements: 3, rows_read: 0, rows_written: 0, unmetered: 3 });
    expect(await DB.prepare("SELECT COUNT(*) AS n FROM meter_a").first("n")).toBe(0); // the batch was one transaction
  });

  it("meters a session's statements and batches", async () => {
    const meter = meterD1(DB);
    const session = meter.db.withSession("first-primary");
    const insert = session.prepare("INSERT INTO meter_a (id, name) VALUES (?, ?)");
    const one = await insert.bind(1, "a").run();
    const batch = await session.batch([insert.bind(2, "b"), session.prepare("SELECT * FROM meter_a")]);
    expect(batch[1]!.results).toHaveLength(2);
    expect(meter.totals()).toEqual({ statements: 3, unmetered: 0, ...sum([one.meta, ...batch.map((r) => r.meta)]) });
    expect(typeof session.getBookmark === "function").toBe(true);
  });

  it("keeps separate totals per meter, so each invocation counts only its own statements", async () => {
    const a = meterD1(DB);
    const b = meterD1(DB);
    await a.db.prepare("INSERT INTO meter_a (id, name) VALUES (1, 'x')").run();
    expect(a.totals().statements).toBe(1);
    expect(b.totals()).toEqual({ statements: 0, rows_read: 0, rows_written: 0, unmetered: 0 });
  });
});

describe("log fields", () => {
  it("names the totals d1_*, with d1_unmetered only when there is any", () => {
    expect(d1LogFields({ statements: 2, rows_read: 5, rows_written: 1, unmetered: 0 })).toEqual({
      d1_statements: 2,
      d1_rows_read: 5,
      d1_rows_written: 1,
    });
    expect(d1LogFields({ statements: 3, rows_read: 5, rows_written: 1, unmetered: 1 })).toMatchObject({ d1_unmetered: 1 });
  });

  it("adds the totals so far to the final lines only, children included", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = (_l: Level, line: string) => lines.push(JSON.parse(line));
    const meter = meterD1(DB);
    const log = withD1Totals(createLogger("info", {}, sink), meter, (m) => m === "done");
    log.info("started");
    await meter.db.prepare("INSERT INTO meter_a (id, name) VALUES (1, 'x')").run();
    log.child({ part: 1 }).info("done", { checks: 3 });
    expect(lines[0]).not.toHaveProperty("d1_statements");
    expect(lines[1]).toMatchObject({ msg: "done", part: 1, checks: 3, d1_statements: 1, d1_rows_written: meter.totals().rows_written });
    expect(meter.totals().rows_written).toBeGreaterThan(0);
  });
});
