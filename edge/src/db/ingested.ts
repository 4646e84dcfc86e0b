// Result ids already ingested from agents (table ingested_results): what makes a repeated push count once.
// Ids are unique per agent, not globally: rows are keyed by resultKey ("<agent>/<id>"), so one agent's
// id can never make another agent's result look like a repeat.
import { resultKey } from "../points/store.ts";
import type { StoredResult } from "../points/store.ts";

/** Which of `ids` this agent pushed before. */
export async function findIngested(db: D1Database, agent: string, ids: string[]): Promise<Set<string>> {
  const rows = await db
    .prepare("SELECT id FROM ingested_results WHERE id IN (SELECT value FROM json_each(?1))")
    .bind(JSON.stringify(ids.map((id) => resultKey({ agent, id }))))
    .all<{ id: string }>();
  return new Set(rows.results.map((r) => r.id.slice(agent.length + 1)));
}

/** Marks `results` ingested; committed in the same batch as their state, so a crash leaves neither. */
export function markIngested(db: D1Database, results: StoredResult[], now: number): D1PreparedStatement {
  return db
    .prepare(
      "INSERT INTO ingested_results (id, monitor, received_at) SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), ?2 FROM json_each(?1)",
    )
    .bind(JSON.stringify(results.map((r) => [resultKey(r), r.monitor])), now);
}

/** Whether a commit failed because a concurrent request ingested the same result ids first. */
export function isDuplicateIngest(e: unknown): boolean {
  return /UNIQUE constraint failed: ingested_results/.test(String(e));
}
