// The daily trim (run by the scheduler on TRIM_CRON): deletes what is older than its configured age from the D1 tables that grow, in bounded chunks.
import type { Config } from "../config/config.ts";
import type { Logger } from "../observability/log.ts";

type Retention = Config["retention"];

/**
 * One thing the trim deletes: rows of `table` matching `where` (?1 is the cutoff, epoch ms),
 * picked by `key` in chunks. A rule whose table or columns do not exist (alerting not migrated) is skipped.
 */
export type TrimRule = { name: string; table: string; columns: string[]; key: string; where: string; ageMs: number | null };

/** In order: the small tables first, so that a backlog of raw points cannot starve them of the run's budget. */
export function trimRules(r: Retention): TrimRule[] {
  const rollupKey = "(pack, size, start)";
  // Through each pack's primary-key range, so a chunk reads the rows it deletes, not the whole table
  // ('' holds points of monitors deleted before their results were recorded).
  const inPacks = "pack IN (SELECT pack FROM state_packs UNION ALL SELECT '')";
  return [
    {
      name: "ingested_results",
      table: "ingested_results",
      columns: ["received_at"],
      key: "rowid",
      where: "received_at < ?1",
      ageMs: r.ingestedMs,
    },
    {
      name: "hourly_rollups",
      table: "rollup_packs",
      columns: ["size", "start"],
      key: rollupKey,
      where: `${inPacks} AND size = '1h' AND start < ?1`,
      ageMs: r.hourlyRollupsMs,
    },
    {
      name: "daily_rollups",
      table: "rollup_packs",
      columns: ["size", "start"],
      key: rollupKey,
      where: `${inPacks} AND size = '1d' AND start < ?1`,
      ageMs: r.dailyRollupsMs,
    },
    // Delivered and skipped notifications are finished; dead-lettered ones stay for the operator to see.
    {
      name: "notifications",
      table: "notifications",
      columns: ["status", "finished_at"],
      key: "rowid",
      // …except those of an incident still open: its recovery is sent only if its "down" was.
      where:
        "status IN ('delivered', 'skipped') AND finished_at < ?1 AND event_id NOT IN (SELECT id FROM alert_events WHERE incident_id IN (SELECT id FROM incidents WHERE resolved_at IS NULL))",
      ageMs: r.notificationsMs,
    },
    // Events whose notifications are all gone (trimmed above, or none matched a channel).
    {
      name: "alert_events",
      table: "alert_events",
      columns: ["created_at"],
      key: "rowid",
      where:
        "created_at < ?1 AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.event_id = alert_events.id) AND (incident_id IS NULL OR incident_id NOT IN (SELECT id FROM incidents WHERE resolved_at IS NULL))",
      ageMs: r.notificationsMs,
    },
    {
      name: "incidents",
      table: "incidents",
      columns: ["resolved_at"],
      key: "rowid",
      where: "resolved_at IS NOT NULL AND resolved_at < ?1",
      ageMs: r.incidentsMs,
    },
    { name: "audit_log", table: "audit_log", columns: ["at"], key: "rowid", where: "at < ?1", ageMs: r.auditMs },
    // A row of points goes when its newest point is past the age.
    { name: "points", table: "point_packs", columns: ["ts"], key: "(pack, ts, seq)", where: `${inPacks} AND ts < ?1`, ageMs: r.pointsMs },
  ];
}

/** One chunk: at most `?2` rows of the rule, picked through its key (the age indexes keep the pick cheap). */
export function deleteChunkSql(rule: TrimRule): string {
  const keyCols = rule.key.replace(/[()]/g, "");
  return `DELETE FROM ${rule.table} WHERE ${rule.key} IN (SELECT ${keyCols} FROM ${rule.table} WHERE ${rule.where} LIMIT ?2)`;
}

export type TrimReport = { deleted: Record<string, number>; skipped: string[]; complete: boolean; batches: number };

async function applicable(db: D1Database, rule: TrimRule): Promise<boolean> {
  const cols = await db.prepare(`PRAGMA table_info(${rule.table})`).all<{ name: string }>();
  const have = new Set(cols.results.map((c) => c.name));
  return rule.columns.every((c) => have.has(c));
}

/**
 * Deletes every row older than its rule's age (relative to `now`), chunk by chunk, up to
 * `maxBatches` DELETE statements in this run; what is left waits for the next day's run.
 */
export async function runTrim(db: D1Database, retention: Retention, now: number, log: Logger): Promise<TrimReport> {
  const report: TrimReport = { deleted: {}, skipped: [], complete: true, batches: 0 };
  for (const rule of trimRules(retention)) {
    if (!(await applicable(db, rule))) {
      report.skipped.push(rule.name);
      continue;
    }
    const stmt = db.prepare(deleteChunkSql(rule));
    const cutoff = rule.ageMs === null ? 0 : now - rule.ageMs;
    let deleted = 0;
    for (;;) {
      if (report.batches >= retention.maxBatches) {
        report.complete = false;
        break;
      }
      report.batches += 1;
      const changes = (await stmt.bind(cutoff, retention.batchRows).run()).meta.changes ?? 0;
      deleted += changes;
      if (changes < retention.batchRows) break;
    }
    report.deleted[rule.name] = deleted;
    if (!report.complete) break;
  }
  if (report.complete) log.info("trim done", { ...report });
  else
    log.warn("trim stopped at its batch limit; the rest goes in the next run (raise TRIM_MAX_BATCHES or TRIM_BATCH_ROWS)", { ...report });
  return report;
}
