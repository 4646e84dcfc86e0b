// D1 for alerting: incidents and their reminders (per-location states live in the state packs).
import type { IncidentView } from "../alerts/events.ts";
import type { IncidentChange } from "../alerts/rules.ts";

export function incidentStatement(db: D1Database, monitor: string, change: IncidentChange): D1PreparedStatement {
  switch (change.op) {
    case "open":
      // Deterministic ids: the same incident opened twice (overlapping evaluation) is stored once.
      return db
        .prepare(
          "INSERT INTO incidents (id, monitor, opened_at, cause, first_error, last_error) VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (id) DO NOTHING",
        )
        .bind(change.id, monitor, change.at, change.cause, change.error ? JSON.stringify(change.error) : null);
    case "error":
      return db
        .prepare("UPDATE incidents SET last_error = ?2 WHERE id = ?1")
        .bind(change.id, change.error ? JSON.stringify(change.error) : null);
    case "resolve":
      return db.prepare("UPDATE incidents SET resolved_at = ?2 WHERE id = ?1 AND resolved_at IS NULL").bind(change.id, change.at);
  }
}

/** An incident as stored: what events carry, plus the reminder bookkeeping. */
export type IncidentRow = IncidentView & { reminders_sent: number; last_reminder_at: number | null };

type RawIncident = Omit<IncidentRow, "first_error" | "last_error"> & { first_error: string | null; last_error: string | null };
const fromRaw = (r: RawIncident): IncidentRow => ({
  ...r,
  first_error: r.first_error ? JSON.parse(r.first_error) : null,
  last_error: r.last_error ? JSON.parse(r.last_error) : null,
});

export async function listIncidents(
  db: D1Database,
  q: { monitor?: string; status?: "open" | "resolved"; limit: number },
): Promise<IncidentRow[]> {
  const where: string[] = [];
  const args: unknown[] = [];
  if (q.monitor) {
    args.push(q.monitor);
    where.push(`monitor = ?${args.length}`);
  }
  if (q.status === "open") where.push("resolved_at IS NULL");
  if (q.status === "resolved") where.push("resolved_at IS NOT NULL");
  args.push(q.limit);
  const sql = `SELECT * FROM incidents ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY opened_at DESC LIMIT ?${args.length}`;
  return (
    await db
      .prepare(sql)
      .bind(...args)
      .all<RawIncident>()
  ).results.map(fromRaw);
}

export async function getIncidents(db: D1Database, ids: string[]): Promise<Map<string, IncidentRow>> {
  const out = new Map<string, IncidentRow>();
  if (!ids.length) return out;
  const r = await db
    .prepare("SELECT * FROM incidents WHERE id IN (SELECT value FROM json_each(?1))")
    .bind(JSON.stringify(ids))
    .all<RawIncident>();
  for (const row of r.results) out.set(row.id, fromRaw(row));
  return out;
}

/** Claims reminder `number` of an open incident; false when another tick sent it first or the incident closed. */
export async function claimReminder(db: D1Database, incident: string, number: number, now: number): Promise<boolean> {
  const r = await db
    .prepare(
      "UPDATE incidents SET reminders_sent = ?2, last_reminder_at = ?3 WHERE id = ?1 AND reminders_sent = ?4 AND resolved_at IS NULL",
    )
    .bind(incident, number, now, number - 1)
    .run();
  return r.meta.changes > 0;
}
