// API tokens in D1: only the SHA-256 of each secret is stored, and of the one a rotation replaced while its grace lasts.
import type { Role } from "../api/context.ts";

export type TokenRow = {
  id: string;
  name: string;
  role: Role;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
  rotated_at: number | null;
  previous_expires_at: number | null;
};

/** A token found by a secret's hash, and whether that secret is its current one (else the one its last rotation replaced). */
export type TokenMatch = TokenRow & { current: 0 | 1 };

const COLUMNS = "id, name, role, created_at, last_used_at, expires_at, rotated_at, previous_expires_at";

/** One indexed read whichever secret was sent: both hash columns are UNIQUE, so SQLite looks the hash up in each index. */
export async function findTokenByHash(db: D1Database, hash: string): Promise<TokenMatch | null> {
  return db
    .prepare(`SELECT ${COLUMNS}, secret_hash = ?1 AS current FROM api_tokens WHERE secret_hash = ?1 OR previous_hash = ?1`)
    .bind(hash)
    .first<TokenMatch>();
}

/**
 * How stale `last_used_at` may get: each stamp is a billed row written, and agents call every few seconds.
 * "Last used" to within five minutes still answers "is this token in use?".
 */
export const TOUCH_EVERY_MS = 5 * 60_000;

/** Whether a use at `now` should be stamped, given the stamp read with the token (so most uses ask D1 nothing more). */
export const dueForTouch = (lastUsedAt: number | null, now: number): boolean => lastUsedAt === null || lastUsedAt <= now - TOUCH_EVERY_MS;

/** Records use; the condition repeats dueForTouch so that concurrent requests stamp once. */
export async function touchToken(db: D1Database, id: string, now: number): Promise<void> {
  await db
    .prepare("UPDATE api_tokens SET last_used_at = ?1 WHERE id = ?2 AND (last_used_at IS NULL OR last_used_at <= ?1 - ?3)")
    .bind(now, id, TOUCH_EVERY_MS)
    .run();
}

export function insertToken(
  db: D1Database,
  row: { id: string; name: string; role: Role; hash: string; now: number; expiresAt: number | null },
): D1PreparedStatement {
  return db
    .prepare("INSERT INTO api_tokens (id, name, role, secret_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)")
    .bind(row.id, row.name, row.role, row.hash, row.now, row.expiresAt);
}

export async function listTokens(db: D1Database): Promise<TokenRow[]> {
  const r = await db.prepare(`SELECT ${COLUMNS} FROM api_tokens ORDER BY created_at, id`).all<TokenRow>();
  return r.results;
}

/**
 * Gives a token a new secret (`hash`) valid until `expiresAt`, and keeps the one it had valid until
 * `graceUntil`, or its own expiry if sooner; a secret kept from an earlier rotation is dropped. One
 * statement (an UPDATE's right-hand sides read the row as it was), so rotations cannot interleave.
 * Null when there is no such token.
 */
export async function rotateToken(
  db: D1Database,
  r: { id: string; hash: string; now: number; expiresAt: number | null; graceUntil: number },
): Promise<TokenRow | null> {
  return db
    .prepare(
      `UPDATE api_tokens SET previous_hash = secret_hash, previous_expires_at = MIN(?4, COALESCE(expires_at, ?4)),
         secret_hash = ?2, expires_at = ?3, rotated_at = ?5
       WHERE id = ?1 RETURNING ${COLUMNS}`,
    )
    .bind(r.id, r.hash, r.expiresAt, r.graceUntil, r.now)
    .first<TokenRow>();
}

/** Deletes a token; returns false when there was none. An agent's registration goes with its token. */
export async function deleteToken(db: D1Database, id: string): Promise<boolean> {
  const r = await db.prepare("DELETE FROM api_tokens WHERE id = ?").bind(id).run();
  return r.meta.changes > 0;
}
