// Probe agents in D1: identity, location, and what they last reported.

export type AgentRow = {
  id: string;
  location: string;
  token_id: string;
  created_at: number;
  last_seen_at: number | null;
  version: string | null;
  backlog: number | null;
};

/** Registers an agent together with its token in one transaction; false if the id is taken. */
export async function insertAgent(
  db: D1Database,
  tokenInsert: D1PreparedStatement[],
  a: { id: string; location: string; tokenId: string; now: number },
): Promise<boolean> {
  const exists = await db.prepare("SELECT 1 FROM agents WHERE id = ?").bind(a.id).first();
  if (exists) return false;
  try {
    await db.batch([
      ...tokenInsert,
      db.prepare("INSERT INTO agents (id, location, token_id, created_at) VALUES (?, ?, ?, ?)").bind(a.id, a.location, a.tokenId, a.now),
    ]);
  } catch (e) {
    if (/UNIQUE constraint failed: agents\.id/.test(String(e))) return false;
    throw e;
  }
  return true;
}

export async function listAgents(db: D1Database): Promise<AgentRow[]> {
  return (await db.prepare("SELECT * FROM agents ORDER BY location, id").all<AgentRow>()).results;
}

export async function findAgentByToken(db: D1Database, tokenId: string): Promise<AgentRow | null> {
  return db.prepare("SELECT * FROM agents WHERE token_id = ?").bind(tokenId).first<AgentRow>();
}

/** Records that an agent called in; version and backlog only when it reported them. */
export function touchAgent(
  db: D1Database,
  id: string,
  now: number,
  report: { version?: string; backlog?: number } = {},
): D1PreparedStatement {
  return db
    .prepare("UPDATE agents SET last_seen_at = ?2, version = COALESCE(?3, version), backlog = COALESCE(?4, backlog) WHERE id = ?1")
    .bind(id, now, report.version ?? null, report.backlog ?? null);
}

/** Agents of a location seen since `since` (epoch ms), by id. */
export async function liveAgents(db: D1Database, location: string, since: number): Promise<string[]> {
  const r = await db
    .prepare("SELECT id FROM agents WHERE location = ? AND last_seen_at >= ? ORDER BY id")
    .bind(location, since)
    .all<{ id: string }>();
  return r.results.map((x) => x.id);
}
