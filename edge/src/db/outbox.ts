// The point outbox table (point_outbox): results waiting for the point store, oldest first.
import type { StoredResult } from "../points/store.ts";

export async function outboxDepth(db: D1Database): Promise<number> {
  const r = await db.prepare("SELECT COUNT(*) AS n FROM point_outbox").first<{ n: number }>();
  return r?.n ?? 0;
}

/** Drops the `n` oldest queued results. */
export function dropOldest(db: D1Database, n: number): D1PreparedStatement {
  return db.prepare("DELETE FROM point_outbox WHERE seq IN (SELECT seq FROM point_outbox ORDER BY seq LIMIT ?)").bind(n);
}

export function enqueueResult(db: D1Database, r: StoredResult, now: number): D1PreparedStatement {
  return db.prepare("INSERT INTO point_outbox (result, enqueued_at) VALUES (?, ?)").bind(JSON.stringify(r), now);
}

/** The `limit` oldest queued results with their sequence numbers. */
export async function oldestQueued(db: D1Database, limit: number): Promise<Array<{ seq: number; result: StoredResult }>> {
  const rows = await db
    .prepare("SELECT seq, result FROM point_outbox ORDER BY seq LIMIT ?")
    .bind(limit)
    .all<{ seq: number; result: string }>();
  return rows.results.map((r) => ({ seq: r.seq, result: JSON.parse(r.result) as StoredResult }));
}

/** Removes every queued result up to and including `seq` (they landed in the store). */
export function removeThrough(db: D1Database, seq: number): D1PreparedStatement {
  return db.prepare("DELETE FROM point_outbox WHERE seq <= ?").bind(seq);
}
