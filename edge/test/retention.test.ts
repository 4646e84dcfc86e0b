// The daily trim on real D1: exactly the rows older than each age go, in bounded chunks, only on its own cron.
import { createExecutionContext, createScheduledController, env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/config.ts";
import type { Env } from "../src/config/env.ts";
import { createLogger } from "../src/observability/log.ts";
import { runTrim, trimRules } from "../src/db/retention.ts";
import { TRIM_CRON } from "../src/scheduler/crons.ts";
import { scheduled } from "../src/scheduler/handlers.ts";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 15, 3, 17);
const db = env.DB;
const log = createLogger("error");

function retention(vars: Partial<Env> = {}) {
  const r = parseConfig({ ...(env as unknown as Env), ...vars });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config.retention;
}

const ids = async (sql: string) => (await db.prepare(sql).all<{ id: string | number }>()).results.map((r) => String(r.id)).sort();

/** A row of points holding one point, in the pack '' (monitors deleted before their results were recorded). */
const insertPoint = (id: string, ts: number) =>
  db
    .prepare("INSERT INTO point_packs (pack, ts, seq, first, body) VALUES ('', ?2, ?1, ?2, ?3)")
    .bind(id, ts, JSON.stringify({ m: [[id, "http", "edge", null, ts, 1, null, null, null, null]] }));

/** A rollup row with one monitor's cell, named after the row. */
const insertRollup = (name: string, size: string, start: number) =>
  db
    .prepare("INSERT INTO rollup_packs (pack, size, start, body) VALUES ('', ?1, ?2, ?3)")
    .bind(size, start, JSON.stringify({ [name]: { edge: [1, 1, 0, 0] } }));

const POINT_IDS = "SELECT json_extract(x.value, '$[0]') AS id FROM point_packs p, json_each(p.body) m, json_each(m.value) x";
const ROLLUP_IDS = "SELECT m.key AS id FROM rollup_packs r, json_each(r.body) m";

/** Three rows around each cutoff: one ms older (goes), exactly at it and one ms newer (stay). */
const around = (cutoff: number) => ({ old: cutoff - 1, at: cutoff, young: cutoff + 1 });

async function seed() {
  await db.batch([
    db.prepare("DELETE FROM point_packs"),
    db.prepare("DELETE FROM ingested_results"),
    db.prepare("DELETE FROM rollup_packs"),
    db.prepare("DELETE FROM incidents"),
    db.prepare("DELETE FROM monitors"),
  ]);
  const stmts: D1PreparedStatement[] = [];
  for (const [name, ts] of Object.entries(around(NOW - 30 * DAY))) stmts.push(insertPoint(`p-${name}`, ts));
  for (const [name, ts] of Object.entries(around(NOW - 7 * DAY)))
    stmts.push(db.prepare("INSERT INTO ingested_results (id, monitor, received_at) VALUES (?, 'm', ?)").bind(`i-${name}`, ts));
  for (const [size, days] of [
    ["1h", 35],
    ["1d", 400],
  ] as const)
    for (const [name, start] of Object.entries(around(NOW - days * DAY))) stmts.push(insertRollup(`${size}-${name}`, size, start));
  // An old hourly row's start is far past the daily age too: sizes are trimmed by their own ages only.
  stmts.push(insertRollup("1d-recent", "1d", NOW - 36 * DAY));
  for (const [name, at] of Object.entries(around(NOW - 400 * DAY)))
    stmts.push(
      db
        .prepare("INSERT INTO incidents (id, monitor, opened_at, resolved_at, cause) VALUES (?, 'm', ?, ?, 'x')")
        .bind(`inc-${name}`, at - DAY, at),
    );
  stmts.push(
    db
      .prepare("INSERT INTO incidents (id, monitor, opened_at, resolved_at, cause) VALUES ('inc-open', 'm', ?, NULL, 'x')")
      .bind(NOW - 900 * DAY),
  );
  stmts.push(
    db.prepare(
      "INSERT INTO monitors (id, spec, kind, runner, interval_s, created_at, updated_at) VALUES ('kept', '{}', 'http', 'edge', 60, 0, 0)",
    ),
  );
  await db.batch(stmts);
  await db.batch([
    db.prepare("DELETE FROM notifications"),
    db.prepare("DELETE FROM alert_events"),
    db.prepare("DELETE FROM channels"),
    db.prepare(
      "INSERT INTO channels (id, name, kind, url, events, created_at, updated_at) VALUES ('ch', 'ch', 'webhook', 'http://127.0.0.1:9/', '[]', 0, 0)",
    ),
  ]);
  const n: D1PreparedStatement[] = [];
  let i = 0;
  for (const status of ["delivered", "skipped", "dead"])
    for (const [name, at] of Object.entries(around(NOW - 30 * DAY))) {
      const ev = `ev-${status}-${name}`;
      n.push(
        db
          .prepare(
            "INSERT INTO alert_events (id, type, monitor_id, timestamp, payload, created_at) VALUES (?, 'monitor.down', 'm', 0, '{}', 0)",
          )
          .bind(ev),
      );
      n.push(
        db
          .prepare("INSERT INTO notifications (id, event_id, channel_id, status, created_at, finished_at) VALUES (?, ?, 'ch', ?, 0, ?)")
          .bind(++i, ev, status, at),
      );
    }
  n.push(
    db.prepare(
      "INSERT INTO alert_events (id, type, monitor_id, timestamp, payload, created_at) VALUES ('ev-pending', 'monitor.down', 'm', 0, '{}', 0)",
    ),
  );
  n.push(
    db.prepare("INSERT INTO notifications (id, event_id, channel_id, status, created_at) VALUES (100, 'ev-pending', 'ch', 'pending', 0)"),
  );
  await db.batch(n);
}

beforeEach(seed);

describe("daily trim", () => {
  it("deletes exactly what is older than each age, and nothing else", async () => {
    const report = await runTrim(db, retention(), NOW, log);
    expect(report.complete).toBe(true);
    expect(await ids(POINT_IDS)).toEqual(["p-at", "p-young"]);
    expect(await ids("SELECT id FROM ingested_results")).toEqual(["i-at", "i-young"]);
    expect(await ids(ROLLUP_IDS)).toEqual(["1d-at", "1d-recent", "1d-young", "1h-at", "1h-young"]);
    expect(await ids("SELECT id FROM incidents")).toEqual(["inc-at", "inc-open", "inc-young"]);
    expect(report.deleted).toMatchObject({
      points: 1,
      ingested_results: 1,
      hourly_rollups: 1,
      daily_rollups: 1,
      incidents: 1,
    });
    // Finished ones (delivered, skipped) by age; dead-lettered and pending ones stay.
    const left = await db
      .prepare("SELECT status, finished_at FROM notifications ORDER BY id")
      .all<{ status: string; finished_at: number | null }>();
    const cutoff = NOW - 30 * DAY;
    expect(left.results).toEqual([
      { status: "delivered", finished_at: cutoff },
      { status: "delivered", finished_at: cutoff + 1 },
      { status: "skipped", finished_at: cutoff },
      { status: "skipped", finished_at: cutoff + 1 },
      { status: "dead", finished_at: cutoff - 1 },
      { status: "dead", finished_at: cutoff },
      { status: "dead", finished_at: cutoff + 1 },
      { status: "pending", finished_at: null },
    ]);
    expect(report.deleted.notifications).toBe(2);
    // Their events go with them; events that still have notifications stay.
    expect(report.deleted.alert_events).toBe(2);
    expect(
      await ids("SELECT id FROM alert_events WHERE id IN ('ev-delivered-old', 'ev-skipped-old', 'ev-dead-old', 'ev-pending')"),
    ).toEqual(["ev-dead-old", "ev-pending"]);
    expect(report.skipped).toEqual([]);
  });

  it("follows the configured ages", async () => {
    await runTrim(
      db,
      retention({ RETENTION_POINTS_DAYS: "31", RETENTION_INGESTED_DAYS: "1", RETENTION_HOURLY_ROLLUPS_DAYS: "3650" }),
      NOW,
      log,
    );
    expect(await ids(POINT_IDS)).toEqual(["p-at", "p-old", "p-young"]);
    expect(await ids("SELECT id FROM ingested_results")).toEqual([]);
    expect(await ids(`${ROLLUP_IDS} WHERE r.size = '1h'`)).toEqual(["1h-at", "1h-old", "1h-young"]);
  });

  it("refuses ages that would cut into what the status page shows", () => {
    const r = parseConfig({ ...(env as unknown as Env), RETENTION_HOURLY_ROLLUPS_DAYS: "30", RETENTION_DAILY_ROLLUPS_DAYS: "89" });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.path).sort()).toEqual(["RETENTION_DAILY_ROLLUPS_DAYS", "RETENTION_HOURLY_ROLLUPS_DAYS"]);
  });

  it("works in bounded chunks and leaves the rest to the next run", async () => {
    const old = NOW - 31 * DAY;
    await db.batch(Array.from({ length: 10 }, (_, i) => insertPoint(`bulk-${i}`, old - i)));
    const small = { ...retention(), batchRows: 3 };
    // The rules before the points with one chunk each (nothing or a few rows to delete), then the points: 11 old rows in chunks of 3.
    const before = trimRules(small).length - 1;
    const first = await runTrim(db, { ...small, maxBatches: before + 2 }, NOW, log);
    expect(first.complete).toBe(false);
    expect(first.batches).toBe(before + 2);
    expect(first.deleted.points).toBe(6);
    const second = await runTrim(db, { ...small, maxBatches: 100 }, NOW, log);
    expect(second.complete).toBe(true);
    expect(second.deleted.points).toBe(5);
    expect(await ids(POINT_IDS)).toEqual(["p-at", "p-young"]);
  });

  it("runs on its own cron only; the every-minute cron runs the checks", async () => {
    const ctx = createExecutionContext();
    // The tick delivers due notifications: the stand-in pending row above is not a real one.
    await db.prepare("DELETE FROM notifications WHERE status = 'pending'").run();
    await scheduled(createScheduledController({ scheduledTime: NOW, cron: "* * * * *" }), env as unknown as Env, ctx);
    expect(await ids(POINT_IDS)).toEqual(["p-at", "p-old", "p-young"]);
    await scheduled(createScheduledController({ scheduledTime: NOW, cron: TRIM_CRON }), env as unknown as Env, ctx);
    expect(await ids(POINT_IDS)).toEqual(["p-at", "p-young"]);
  });
});
