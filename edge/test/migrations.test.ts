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
    for (const t of ["monitors", "state_packs", "api_tokens", "agents", "d1_migrations"]) expect(after).toContain(t);
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
    await env.DB.prepare(
      "INSERT INTO api_tokens (id, name, role, secret_hash, created_at) VALUES ('t-status', 'x', 'status', 'h-status', 0)",
    ).run();
    await env.DB.prepare("DELETE FROM api_tokens WHERE id = 't-status'").run();
  });
});

describe("migration 0008 (state packs)", () => {
  it("moves monitor state, location states, latest results, rollups and points into packs, losing nothing", async () => {
    const db = env.LEGACY_DB;
    const before = env.TEST_MIGRATIONS.filter((m) => m.name < "0008");
    await applyD1Migrations(db, before);
    const spec = (id: string, runner: string) => JSON.stringify({ id, kind: "http", target: "https://x.test/", runner });
    const stmts = [
      ...["a", "b"].map((id) =>
        db
          .prepare(
            "INSERT INTO monitors (id, spec, kind, runner, enabled, interval_s, created_at, updated_at) VALUES (?1, ?2, 'http', 'edge', 1, 60, 5, 5)",
          )
          .bind(id, spec(id, "edge")),
      ),
      db
        .prepare(
          "INSERT INTO monitors (id, spec, kind, runner, enabled, interval_s, created_at, updated_at) VALUES ('g', ?1, 'http', 'agent', 0, 30, 7, 7)",
        )
        .bind(spec("g", "agent")),
      db.prepare(
        `INSERT INTO monitor_state (monitor_id, status, since, last_check_at, last_error, last_latency_ms, consecutive_failures, next_due_at, last_hops, degraded, slow_streak, incident_id, cert_warned_for)
         VALUES ('a', 'down', 100, 200, '{"kind":"timeout","message":"slow"}', NULL, 3, 999, 2, 1, 4, 'inc_a_100', 1234)`,
      ),
      db.prepare("INSERT INTO monitor_state (monitor_id, status, since, next_due_at) VALUES ('g', 'paused', 7, 0)"),
      db.prepare(
        "INSERT INTO location_state (monitor_id, location, status, since, last_check_at, consecutive_failures) VALUES ('a', 'edge', 'down', 100, 200, 3)",
      ),
      db.prepare(
        "INSERT INTO latest_results (monitor, location, ts, up, error_kind, tls_expires_at) VALUES ('a', 'edge', 200, 0, 'timeout', 77)",
      ),
      db.prepare(
        "INSERT INTO rollups (monitor, size, start, location, checks, up, latency_sum, latency_n) VALUES ('a', '1h', 0, 'edge', 60, 58, 580, 58)",
      ),
      db.prepare(
        "INSERT INTO rollups (monitor, size, start, location, checks, up, latency_sum, latency_n) VALUES ('b', '1h', 0, 'edge', 60, 60, 600, 60)",
      ),
      db.prepare(
        "INSERT INTO points (id, monitor, kind, location, agent, ts, up, latency_ms, error_kind, error_message, detail) VALUES ('p1', 'a', 'http', 'edge', NULL, 200, 0, NULL, 'timeout', 'slow', '{\"status\":null}')",
      ),
    ];
    await db.batch(stmts);
    await applyD1Migrations(db, env.TEST_MIGRATIONS);

    const monitors = await db.prepare("SELECT id, pack FROM monitors ORDER BY id").all<{ id: string; pack: string }>();
    expect(monitors.results).toEqual([
      { id: "a", pack: "edge:0" },
      { id: "b", pack: "edge:0" },
      { id: "g", pack: "agent:0" },
    ]);
    const packs = await db
      .prepare("SELECT pack, version, members, body FROM state_packs ORDER BY pack")
      .all<{ pack: string; members: number; body: string }>();
    expect(packs.results.map((p) => [p.pack, p.members])).toEqual([
      ["agent:0", 1],
      ["edge:0", 2],
    ]);
    const edge = JSON.parse(packs.results[1]!.body).members;
    expect(edge.a).toMatchObject({
      spec: { id: "a", runner: "edge" },
      every: 60,
      edge: 1,
      on: 1,
      hops: 2,
      ran: null,
      state: {
        status: "down",
        since: 100,
        last_check_at: 200,
        last_error: { kind: "timeout", message: "slow" },
        consecutive_failures: 3,
        degraded: 1,
        slow_streak: 4,
        incident_id: "inc_a_100",
        cert_warned_for: 1234,
      },
      locations: { edge: { status: "down", since: 100, last_check_at: 200, consecutive_failures: 3 } },
      latest: { edge: { ts: 200, up: 0, error_kind: "timeout", tls_expires_at: 77 } },
    });
    // A monitor without a state row starts pending from its creation.
    expect(edge.b.state).toMatchObject({ status: "pending", since: 5, last_check_at: null });
    expect(JSON.parse(packs.results[0]!.body).members.g).toMatchObject({ every: 30, edge: 0, on: 0, state: { status: "paused" } });

    const rollups = await db.prepare("SELECT pack, size, start, body FROM rollup_packs").all<{ body: string }>();
    expect(rollups.results).toHaveLength(1);
    expect(JSON.parse(rollups.results[0]!.body)).toEqual({ a: { edge: [60, 58, 580, 58] }, b: { edge: [60, 60, 600, 60] } });
    const points = await db
      .prepare("SELECT pack, ts, first, body FROM point_packs")
      .all<{ pack: string; ts: number; first: number; body: string }>();
    expect(points.results.map((p) => [p.pack, p.ts, p.first])).toEqual([["edge:0", 200, 200]]);
    expect(JSON.parse(points.results[0]!.body)).toEqual({
      a: [["p1", "http", "edge", null, 200, 0, null, "timeout", "slow", '{"status":null}']],
    });
    const gone = await db
      .prepare("SELECT name FROM sqlite_master WHERE name IN ('monitor_state', 'location_state', 'latest_results', 'rollups', 'points')")
      .all();
    expect(gone.results).toEqual([]);
  });
});

describe("migration 0009 (token lifecycle)", () => {
  it("rebuilds api_tokens and agents keeping every token and registration, and the cascade from token to agent", async () => {
    const db = env.TOKENS_DB;
    await applyD1Migrations(
      db,
      env.TEST_MIGRATIONS.filter((m) => m.name < "0009"),
    );
    await db.batch([
      db.prepare(
        "INSERT INTO api_tokens (id, name, role, secret_hash, created_at, last_used_at) VALUES ('t1', 'ci', 'viewer', 'h1', 1, 5)",
      ),
      db.prepare("INSERT INTO api_tokens (id, name, role, secret_hash, created_at) VALUES ('t2', 'agent a1', 'agent', 'h2', 2)"),
      db.prepare("INSERT INTO api_tokens (id, name, role, secret_hash, created_at) VALUES ('t3', 'agent a2', 'agent', 'h3', 3)"),
      db.prepare(
        "INSERT INTO agents (id, location, token_id, created_at, last_seen_at, version, backlog) VALUES ('a1', 'dc1', 't2', 2, 9, '1.2', 4)",
      ),
      db.prepare("INSERT INTO agents (id, location, token_id, created_at) VALUES ('a2', 'dc2', 't3', 3)"),
    ]);
    await applyD1Migrations(db, env.TEST_MIGRATIONS);

    const tokens = await db.prepare("SELECT * FROM api_tokens ORDER BY id").all();
    expect(tokens.results).toEqual([
      {
        id: "t1",
        name: "ci",
        role: "viewer",
        secret_hash: "h1",
        created_at: 1,
        last_used_at: 5,
        expires_at: null,
        rotated_at: null,
        previous_hash: null,
        previous_expires_at: null,
      },
      {
        id: "t2",
        name: "agent a1",
        role: "agent",
        secret_hash: "h2",
        created_at: 2,
        last_used_at: null,
        expires_at: null,
        rotated_at: null,
        previous_hash: null,
        previous_expires_at: null,
      },
      {
        id: "t3",
        name: "agent a2",
        role: "agent",
        secret_hash: "h3",
        created_at: 3,
        last_used_at: null,
        expires_at: null,
        rotated_at: null,
        previous_hash: null,
        previous_expires_at: null,
      },
    ]);
    const agents = await db.prepare("SELECT * FROM agents ORDER BY id").all();
    expect(agents.results).toEqual([
      { id: "a1", location: "dc1", token_id: "t2", created_at: 2, last_seen_at: 9, version: "1.2", backlog: 4 },
      { id: "a2", location: "dc2", token_id: "t3", created_at: 3, last_seen_at: null, version: null, backlog: null },
    ]);
    const fk = await db.prepare('SELECT "table", "from", "to", on_delete FROM pragma_foreign_key_list(\'agents\')').all();
    expect(fk.results).toEqual([{ table: "api_tokens", from: "token_id", to: "id", on_delete: "CASCADE" }]);
    const indexes = await db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('agents', 'api_tokens') ORDER BY name")
      .all();
    expect(indexes.results.map((r: any) => r.name)).toEqual(expect.arrayContaining(["agents_location", "agents_token"]));
    expect(await db.prepare("SELECT name FROM sqlite_master WHERE name LIKE '%_new'").all()).toMatchObject({ results: [] });

    // Revoking an agent's token still deletes its registration.
    await db.prepare("DELETE FROM api_tokens WHERE id = 't2'").run();
    expect((await db.prepare("SELECT id FROM agents").all()).results).toEqual([{ id: "a2" }]);
  });
});
