// API tokens in D1: only the SHA-256 of each secret is stored.
import type { Role } from "../api/context.ts";

export type TokenRow = { id: string; name: string; role: Role; created_at: number; last_used_at: number | null };

export async function findTokenByHash(db: D1Database, hash: string): Promise<TokenRow | null> {
  return db.prepare("SELECT id, name, role, created_at, last_used_at FROM api_tokens WHERE secret_hash = ?").bind(hash).first<TokenRow>();
}

/** Records use at most once a minute, so reads do not turn into a write per request. */
export async function touchToken(db: D1Database, id: string, now: number): Promise<void> {
  await db
    .prepare("UPDATE api_tokens SET last_used_at = ?1 WHERE id = ?2 AND (last_used_at IS NULL OR last_used_at < ?1 - 60000)")
    .bind(now, id)
    .run();
}

export function insertToken(db: D1Database, row: { id: string; name: string; role: Role; hash: string; now: number }): D1PreparedStatement {
  return db
    .prepare("INSERT INTO api_tokens (id, name, role, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)")
    .bind(row.id, row.name, row.role, row.hash, row.now);
}

export async function listTokens(db: D1Database): Promise<TokenRow[]> {
  const r = await db.prepare("SELECT id, name, role, created_at, last_used_at FROM api_tokens ORDER BY created_at, id").all<TokenRow>();
  return r.results;
}

/** Deletes a token; returns false when there was none. An agent's registration goes with its token. */
export async function deleteToken(db: D1Database, id: string): Promise<boolean> {
  const r = await db.prepare("DELETE FROM api_tokens WHERE id = ?").bind(id).run();
  return r.meta.changes > 0;
}
