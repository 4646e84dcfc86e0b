// Named counters in D1 (points dropped, outbox backoff state), read by /readyz and /metrics.

export async function getCounters(db: D1Database, names: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  if (names.length === 0) return out;
  const r = await db
    .prepare(`SELECT name, value FROM counters WHERE name IN (${names.map(() => "?").join(",")})`)
    .bind(...names)
    .all<{ name: string; value: number }>();
  for (const row of r.results) out[row.name] = row.value;
  return out;
}

export function addCounter(db: D1Database, name: string, delta: number, now: number): D1PreparedStatement {
  return db
    .prepare(
      "INSERT INTO counters (name, value, updated_at) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO UPDATE SET value = value + ?2, updated_at = ?3",
    )
    .bind(name, delta, now);
}

export function setCounter(db: D1Database, name: string, value: number, now: number): D1PreparedStatement {
  return db
    .prepare(
      "INSERT INTO counters (name, value, updated_at) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO UPDATE SET value = ?2, updated_at = ?3",
    )
    .bind(name, value, now);
}
