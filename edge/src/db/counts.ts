// How many rows of each kind the API's caps count (api/limits.ts): one COUNT over an indexed table.
const COUNTS = {
  monitors: "SELECT COUNT(*) AS n FROM monitors",
  tokens: "SELECT COUNT(*) AS n FROM api_tokens WHERE role != 'agent'",
  agents: "SELECT COUNT(*) AS n FROM agents",
  channels: "SELECT COUNT(*) AS n FROM channels",
  maintenance: "SELECT COUNT(*) AS n FROM maintenance_windows",
} as const;

export async function countOf(db: D1Database, what: keyof typeof COUNTS): Promise<number> {
  return (await db.prepare(COUNTS[what]).first<{ n: number }>())?.n ?? 0;
}
