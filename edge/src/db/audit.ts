// The audit log (migration 0010): one INSERT per audited request, and the admin's filtered, paged read, newest first.

export type AuditEntry = {
  at: number;
  token_id: string | null;
  token_name: string;
  role: string;
  action: string;
  target_type: string;
  target_id: string | null;
  request_id: string;
  source_address: string | null;
  status: number;
  /** JSON text: field names and a few non-secret facts, never values of the request. */
  detail: string;
};

export type AuditRow = AuditEntry & { id: number };

export function insertAudit(db: D1Database, e: AuditEntry): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO audit_log (at, token_id, token_name, role, action, target_type, target_id, request_id, source_address, status, detail)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)`,
    )
    .bind(e.at, e.token_id, e.token_name, e.role, e.action, e.target_type, e.target_id, e.request_id, e.source_address, e.status, e.detail);
}

/** Position in the newest-first order: the last entry of a page. */
export type AuditKey = { at: number; id: number };

export type AuditQuery = {
  /** A token's entries; `null`: the bootstrap admin's. */
  token?: { id: string | null };
  /** An exact action, or every action starting with `prefix` (`monitor.`). */
  action?: { exact: string } | { prefix: string };
  target?: { type: string; id?: string };
  /** `from <= at < to`. */
  from?: number;
  to?: number;
  after?: AuditKey | null;
  limit: number;
};

/** One page, newest first, plus one more row when there is one (so the caller knows whether a next page exists). */
export async function listAudit(db: D1Database, q: AuditQuery): Promise<AuditRow[]> {
  const where: string[] = [];
  const args: unknown[] = [];
  const arg = (v: unknown) => {
    args.push(v);
    return `?${args.length}`;
  };
  if (q.token) where.push(q.token.id === null ? "token_id IS NULL" : `token_id = ${arg(q.token.id)}`);
  if (q.action && "exact" in q.action) where.push(`action = ${arg(q.action.exact)}`);
  if (q.action && "prefix" in q.action) {
    const p = arg(q.action.prefix);
    where.push(`substr(action, 1, length(${p})) = ${p}`);
  }
  if (q.target) {
    where.push(`target_type = ${arg(q.target.type)}`);
    if (q.target.id !== undefined) where.push(`target_id = ${arg(q.target.id)}`);
  }
  if (q.from !== undefined) where.push(`at >= ${arg(q.from)}`);
  if (q.to !== undefined) where.push(`at < ${arg(q.to)}`);
  if (q.after) where.push(`(at < ${arg(q.after.at)} OR (at = ?${args.length} AND id < ${arg(q.after.id)}))`);
  const r = await db
    .prepare(
      `SELECT id, at, token_id, token_name, role, action, target_type, target_id, request_id, source_address, status, detail
       FROM audit_log ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
       ORDER BY at DESC, id DESC LIMIT ${arg(q.limit + 1)}`,
    )
    .bind(...args)
    .all<AuditRow>();
  return r.results;
}
