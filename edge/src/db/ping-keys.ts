// Heartbeat monitors' ping keys (table ping_keys, migration 0013): only the SHA-256 of each key is stored, and of
// the one a rotation replaced while its grace lasts. A key alone names its monitor: the ping URL holds no id.
import type { MonitorSpec } from "../../../contract/index.ts";

/** The monitor a ping key opens, with what recording a ping needs. */
export type PingTarget = { spec: MonitorSpec; pack: string; created_at: number; current: 0 | 1 };

/** One indexed read whichever key was sent (both hash columns are UNIQUE); a replaced key only until its grace ends. */
export async function findPingTarget(db: D1Database, hash: string, now: number): Promise<PingTarget | null> {
  const row = await db
    .prepare(
      `SELECT m.spec, m.pack, m.created_at, k.key_hash = ?1 AS current FROM ping_keys k JOIN monitors m ON m.id = k.monitor
       WHERE k.key_hash = ?1 OR (k.previous_hash = ?1 AND k.previous_until > ?2)`,
    )
    .bind(hash, now)
    .first<{ spec: string; pack: string; created_at: number; current: 0 | 1 }>();
  return row && { spec: JSON.parse(row.spec) as MonitorSpec, pack: row.pack, created_at: row.created_at, current: row.current };
}

/**
 * A monitor's first key, in the batch that inserts the monitor (db/monitors.ts insertMonitor): written only when the
 * monitor row is there, so a batch whose monitor insert did nothing writes no key either.
 */
export function insertPingKey(db: D1Database, monitor: string, hash: string, now: number): D1PreparedStatement {
  return db
    .prepare("INSERT INTO ping_keys (monitor, key_hash, created_at) SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM monitors WHERE id = ?1)")
    .bind(monitor, hash, now);
}

/** What the API shows of a monitor's key: whether it has one, and rotation times; never the key or its hash. */
export type PingKeyInfo = { created_at: number; rotated_at: number | null; previous_until: number | null };

export async function pingKeyInfo(db: D1Database, monitor: string): Promise<PingKeyInfo | null> {
  return db.prepare("SELECT created_at, rotated_at, previous_until FROM ping_keys WHERE monitor = ?1").bind(monitor).first<PingKeyInfo>();
}

/** Every monitor's key info, by monitor (for the list). */
export async function allPingKeyInfo(db: D1Database): Promise<Map<string, PingKeyInfo>> {
  const r = await db
    .prepare("SELECT monitor, created_at, rotated_at, previous_until FROM ping_keys")
    .all<PingKeyInfo & { monitor: string }>();
  return new Map(r.results.map(({ monitor, ...info }) => [monitor, info]));
}

/**
 * Gives `monitor` a new key (`hash`). With `graceS` > 0 the current key stays valid until `now + graceS`; a
 * rotation during another's grace drops the older key at once. A monitor without a key (one made a heartbeat by a
 * PATCH) gets its first. Returns false when the monitor is gone.
 */
export async function rotatePingKey(db: D1Database, monitor: string, hash: string, graceS: number, now: number): Promise<boolean> {
  const until = graceS > 0 ? now + graceS * 1000 : null;
  const r = await db
    .prepare(
      `INSERT INTO ping_keys (monitor, key_hash, created_at, rotated_at, previous_hash, previous_until)
       SELECT ?1, ?2, ?3, ?3, NULL, NULL WHERE EXISTS (SELECT 1 FROM monitors WHERE id = ?1)
       ON CONFLICT (monitor) DO UPDATE SET
         previous_hash = CASE WHEN ?4 IS NULL THEN NULL ELSE ping_keys.key_hash END,
         previous_until = ?4, key_hash = excluded.key_hash, rotated_at = excluded.rotated_at`,
    )
    .bind(monitor, hash, now, until)
    .run();
  return (r.meta.changes ?? 0) > 0;
}

/** Deletes a monitor's keys (with the monitor: its batch in db/monitors.ts). */
export function deletePingKey(db: D1Database, monitor: string): D1PreparedStatement {
  return db.prepare("DELETE FROM ping_keys WHERE monitor = ?1").bind(monitor);
}
