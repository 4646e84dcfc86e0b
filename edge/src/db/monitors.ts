// Monitors and their current state in D1. The spec is stored as validated JSON; columns index it.
import { toRfc3339, type MonitorSpec } from "../../../contract/index.ts";
import type { MonitorState } from "../alerts/state.ts";
import { deletePingKey } from "./ping-keys.ts";
import { purgePoints } from "./points.ts";
import { purgeRollups } from "./rollups.ts";
import {
  initialState,
  memberOf,
  newMember,
  PACK_SIZE,
  packWithRoom,
  readAllPacks,
  readPacks,
  updatedMember,
  withPackRetry,
  writePack,
  type Member,
  type Pack,
} from "./packs.ts";

export type StoredMonitor = { spec: MonitorSpec; created_at: number; updated_at: number; pack: string; state: MonitorState };

type Row = { spec: string; created_at: number; updated_at: number; pack: string };

function fromRow(r: Row, member: Member | null | undefined): StoredMonitor {
  const spec = JSON.parse(r.spec) as MonitorSpec;
  // A monitor always has a member in its pack; were it missing, it shows as freshly created.
  return {
    spec,
    created_at: r.created_at,
    updated_at: r.updated_at,
    pack: r.pack,
    state: member?.state ?? initialState(spec, r.created_at),
  };
}

export async function listMonitors(db: D1Database): Promise<StoredMonitor[]> {
  return (await listMonitorsWithPacks(db)).monitors;
}

/** Every monitor, in id order, with the packs their state came from (status reads add the packs' open hours). */
export async function listMonitorsWithPacks(db: D1Database): Promise<{ monitors: StoredMonitor[]; packs: Pack[] }> {
  const [rows, packs] = await Promise.all([
    db.prepare("SELECT id, spec, created_at, updated_at, pack FROM monitors ORDER BY id").all<Row & { id: string }>(),
    readAllPacks(db),
  ]);
  const members = new Map<string, Member>();
  for (const p of packs) for (const [id, m] of p.members) members.set(id, m);
  return { monitors: rows.results.map((r) => fromRow(r, members.get(r.id))), packs };
}

/** The monitor with its member, through one statement (json_extract reads only its entry of the pack). */
async function readMonitor(db: D1Database, id: string): Promise<{ m: StoredMonitor; member: Member | null } | null> {
  const r = await db
    .prepare(
      `SELECT m.spec, m.created_at, m.updated_at, m.pack, json_extract(p.body, '$.members.' || json_quote(m.id)) AS member
       FROM monitors m LEFT JOIN state_packs p ON p.pack = m.pack WHERE m.id = ?1`,
    )
    .bind(id)
    .first<Row & { member: string | null }>();
  if (!r) return null;
  const member = memberOf(r.member);
  return { m: fromRow(r, member), member };
}

export async function getMonitor(db: D1Database, id: string): Promise<StoredMonitor | null> {
  return (await readMonitor(db, id))?.m ?? null;
}

export { initialState } from "./packs.ts";

const isTaken = (e: unknown) => /UNIQUE constraint failed: monitors\.id/.test(String(e));

/** Inserts a monitor into a pack with room; returns false if the id is taken. */
export async function insertMonitor(
  db: D1Database,
  spec: MonitorSpec,
  now: number,
  /** Written in the same batch as the monitor, after it (a heartbeat's ping key): all of it or none. */
  also: D1PreparedStatement[] = [],
): Promise<boolean> {
  try {
    // Usually one statement adds the member to the first pack with room, in SQL (no read, no conflict),
    // and the next inserts the monitor naming that pack, only if the first did.
    const lo = `${spec.runner}:`;
    const hi = `${spec.runner};`;
    const [added] = await db.batch([
      db
        .prepare(
          `UPDATE state_packs SET version = version + 1, members = members + 1, body = json_set(body, '$.members.' || json_quote(?1), json(?2))
           WHERE pack = (SELECT pack FROM state_packs WHERE pack >= ?3 AND pack < ?4 AND members < ?5 ORDER BY pack LIMIT 1)`,
        )
        .bind(spec.id, JSON.stringify(newMember(spec, now)), lo, hi, PACK_SIZE),
      db
        .prepare(
          `INSERT INTO monitors (id, spec, kind, runner, enabled, interval_s, created_at, updated_at, pack)
           SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7,
             (SELECT pack FROM state_packs WHERE pack >= ?8 AND pack < ?9 AND json_type(body, '$.members.' || json_quote(?1)) IS NOT NULL)
           WHERE changes() = 1`,
        )
        .bind(spec.id, JSON.stringify(spec), spec.kind, spec.runner, spec.enabled ? 1 : 0, spec.interval_s, now, lo, hi),
      ...also,
    ]);
    if ((added?.meta.changes ?? 0) > 0) return true;
    // Every pack of this runner is full: a new one, created by INSERT (two creators cannot both win).
    await withPackRetry(async () => {
      const pack = await packWithRoom(db, spec.runner);
      pack.members.set(spec.id, newMember(spec, now));
      await db.batch([
        db
          .prepare(
            `INSERT INTO monitors (id, spec, kind, runner, enabled, interval_s, created_at, updated_at, pack)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)`,
          )
          .bind(spec.id, JSON.stringify(spec), spec.kind, spec.runner, spec.enabled ? 1 : 0, spec.interval_s, now, pack.key),
        writePack(db, pack),
        ...also,
      ]);
    });
    return true;
  } catch (e) {
    if (isTaken(e)) return false;
    throw e;
  }
}

/**
 * Replaces a monitor's spec and brings its member along: schedule fields follow the spec, and
 * pausing or resuming resets its state (packs.ts updatedMember). A monitor keeps its pack for life,
 * whatever its runner becomes (its points and rollups are kept by pack). Returns the state stored.
 */
export async function updateMonitor(db: D1Database, spec: MonitorSpec, now: number): Promise<MonitorState | null> {
  return withPackRetry(async () => {
    const current = await db.prepare("SELECT pack FROM monitors WHERE id = ?1").bind(spec.id).first<{ pack: string }>();
    if (!current) return null;
    const pack = (await readPacks(db, [current.pack])).get(current.pack);
    if (!pack) throw new Error(`monitor ${spec.id}: its state pack ${current.pack} is missing`);
    const member = updatedMember(pack.members.get(spec.id) ?? newMember(spec, now), spec, now);
    pack.members.set(spec.id, member);
    await db.batch([
      db
        .prepare("UPDATE monitors SET spec = ?2, kind = ?3, runner = ?4, enabled = ?5, interval_s = ?6, updated_at = ?7 WHERE id = ?1")
        .bind(spec.id, JSON.stringify(spec), spec.kind, spec.runner, spec.enabled ? 1 : 0, spec.interval_s, now),
      writePack(db, pack),
    ]);
    return member.state;
  });
}

/**
 * Deletes a monitor with everything D1 keeps of its history (its pack member, rollups, incidents,
 * embedded points), in one batch: a monitor created again under the same id starts empty. Points in
 * InfluxDB stay; reads start at the monitor's created_at (see history).
 */
export async function deleteMonitor(db: D1Database, id: string): Promise<boolean> {
  return withPackRetry(async () => {
    const current = await db.prepare("SELECT pack FROM monitors WHERE id = ?1").bind(id).first<{ pack: string }>();
    if (!current) return false;
    const stmts: D1PreparedStatement[] = [
      db.prepare("DELETE FROM monitors WHERE id = ?1").bind(id),
      purgeRollups(db, current.pack, id),
      db.prepare("DELETE FROM incidents WHERE monitor = ?1").bind(id),
      purgePoints(db, current.pack, id),
      deletePingKey(db, id),
    ];
    const pack = (await readPacks(db, [current.pack])).get(current.pack);
    if (pack?.members.delete(id)) {
      // Its counters in the pack's open hours go too.
      for (const cells of Object.values(pack.hours)) delete cells[id];
      stmts.push(writePack(db, pack));
    }
    const r = await db.batch(stmts);
    return (r[0]?.meta.changes ?? 0) > 0;
  });
}

/** Every other monitor's target, kind, interval and request-body size: what the per-host budget sums. */
export async function targetLoads(
  db: D1Database,
  exceptId: string,
): Promise<Array<{ kind: string; target: string; interval_s: number; body_bytes: number }>> {
  const r = await db
    .prepare(
      `SELECT kind, json_extract(spec, '$.target') AS target, interval_s,
         COALESCE(length(CAST(json_extract(spec, '$.http.body') AS BLOB)), 0) AS body_bytes
       FROM monitors WHERE id != ?1 AND enabled = 1`,
    )
    .bind(exceptId)
    .all<{ kind: string; target: string; interval_s: number; body_bytes: number }>();
  return r.results;
}

/** The API's view of a monitor: its spec, timestamps in RFC 3339, and its state. */
export function monitorView(m: Omit<StoredMonitor, "pack">) {
  const s = m.state;
  return {
    ...m.spec,
    created_at: toRfc3339(m.created_at),
    updated_at: toRfc3339(m.updated_at),
    state: {
      status: s.status,
      since: toRfc3339(s.since),
      last_check_at: toRfc3339(s.last_check_at),
      last_error: s.last_error,
      latency_ms: s.last_latency_ms,
      consecutive_failures: s.consecutive_failures,
      consecutive_successes: s.consecutive_successes,
      degraded: s.degraded,
      incident_id: s.incident_id,
    },
  };
}

/** Enabled agent monitors a location must run: those listing it, or listing no location at all. */
export async function monitorsForLocation(db: D1Database, location: string): Promise<Array<{ spec: MonitorSpec; updated_at: number }>> {
  const r = await db
    .prepare(
      `SELECT spec, updated_at FROM monitors WHERE runner = 'agent' AND enabled = 1
       AND (json_array_length(json_extract(spec, '$.locations')) = 0
            OR EXISTS (SELECT 1 FROM json_each(json_extract(spec, '$.locations')) WHERE value = ?1))
       ORDER BY id`,
    )
    .bind(location)
    .all<{ spec: string; updated_at: number }>();
  return r.results.map((x) => ({ spec: JSON.parse(x.spec) as MonitorSpec, updated_at: x.updated_at }));
}

/** Specs of the given monitors with when each was created, by id (missing ones are absent). */
export type MonitorRef = { spec: MonitorSpec; created_at: number; pack: string };

export async function monitorsByIds(db: D1Database, ids: string[]): Promise<Map<string, MonitorRef>> {
  const out = new Map<string, MonitorRef>();
  if (ids.length === 0) return out;
  const r = await db
    .prepare("SELECT spec, created_at, pack FROM monitors WHERE id IN (SELECT value FROM json_each(?1))")
    .bind(JSON.stringify(ids))
    .all<{ spec: string; created_at: number; pack: string }>();
  for (const row of r.results) {
    const spec = JSON.parse(row.spec) as MonitorSpec;
    out.set(spec.id, { spec, created_at: row.created_at, pack: row.pack });
  }
  return out;
}

/** Specs of the given monitors, by id (missing ones are absent). */
export async function specsByIds(db: D1Database, ids: string[]): Promise<Map<string, MonitorSpec>> {
  const out = new Map<string, MonitorSpec>();
  for (const [id, m] of await monitorsByIds(db, ids)) out.set(id, m.spec);
  return out;
}
