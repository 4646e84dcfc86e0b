// The D1 migrations apply to an empty database, in order, and applying them again changes nothing.
import { applyD1Migrations, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";

async function tables(db: D1Database) {
  const r = await db
    .prepare(
      "SELECT name FROM sqlite_master WHERE type IN ('table','index') AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name",
    )
    .all<{ name: string }>();
  return r.results.map((x) => x.name);
}

describe("D1 migrations", () => {
  it("apply to an empty database and are idempotent", async () => {
    expect(await tables(env.EMPTY_DB)).toEqual([]);
    await applyD1Migrations(env.EMPTY_DB, env.TEST_MIGRATIONS);
    const after = await tables(env.EMPTY_DB);
    for (const t of ["monitors", "monitor_state", "api_tokens", "agents", "d1_migrations"]) expect(after).toContain(t);
    const applied = await env.EMPTY_DB.prepare("SELECT name FROM d1_migrations ORDER BY id").all<{ name: string }>();
    expect(applied.results.map((r) => r.name)).toEqual(env.TEST_MIGRATIONS.map((m) => m.name));
    await applyD1Migrations(env.EMPTY_DB, env.TEST_MIGRATIONS);
    expect(await tables(env.EMPTY_DB)).toEqual(after);
  });

  it("are numbered, never reuse a number, and are applied in order", () => {
    const names = env.TEST_MIGRATIONS.map((m) => m.name);
    expect(names.length).toBeGreaterThan(0);
    const numbers = names.map((n) => Number(/^(\d{4})_/.exec(n)?.[1]));
    for (const n of numbers) expect(Number.isInteger(n)).toBe(true);
    expect([...numbers].sort((a, b) => a - b)).toEqual(numbers);
    expect(new Set(numbers).size).toBe(numbers.length);
  });

  it("enforce the role set on tokens", async () => {
    await expect(
      env.DB.prepare("INSERT INTO api_tokens (id, name, role, secret_hash, created_at) VALUES ('t-bad', 'x', 'root', 'h-bad', 0)").run(),
    ).rejects.toThrow(/CHECK constraint failed/);
  });
});
