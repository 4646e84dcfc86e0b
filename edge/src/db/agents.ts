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
