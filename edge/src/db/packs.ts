// State packs (table state_packs, migration 0008): what changes with every check — each monitor's
// state, its locations' states, its latest result per location and the scheduler's memory — kept
// for up to PACK_SIZE monitors in one row, so a batch of checks writes one row per pack.
//
// Writes are optimistic: a writer reads a pack (with its version), computes the new body and writes
// it only if the version is still the one it read. A stale write fails the whole D1 batch it is in
// (the version would become NULL, which the column refuses), so nothing of that batch lands; the
// writer reads the pack again and redoes its pure computation (withPackRetry).
import type { CheckError, MonitorSpec, MonitorStatus, Runner } from "../../../contract/index.ts";
import type { MonitorState, SeriesState } from "../alerts/state.ts";

/** Monitors per pack: one edge pack's checks fit one invocation's subrequest budget on the Free plan. */
export const PACK_SIZE = 32;

/** Rollup counts: checks, up, latency_sum, latency_n (latency_* cover successful checks that measured one). */
export type Counts = [number, number, number, number];
/** monitor → location → counts (db/rollups.ts). */
export type Cells = Record<string, Record<string, Counts>>;

/** The newest result of a monitor at one location (what /metrics exports). */
export type LatestEntry = {
  ts: number;
  up: 0 | 1;
  latency_ms: number | null;
  error_kind: string | null;
  tls_expires_at: number | null;
};

/** One monitor's entry in its pack. */
export type Member = {
  /** The interval, runner and enabled flag, copied from the spec: the scheduler plans from packs alone. */
  every: number;
  edge: boolean;
  on: boolean;
  /**
   * The monitor's spec, copied from the monitors table whenever it changes, so the scheduler reads
   * packs only (a row per 32 monitors) rather than two rows per check; absent in packs written before.
   */
  spec?: MonitorSpec;
  /** Epoch ms of the tick minute the edge scheduler last ran it in; null = never (due at the next tick). */
  ran: number | null;
  /** Redirect hops its last edge check followed: the planner's cost estimate. */
  hops: number;
  state: MonitorState;
  locations: Record<string, SeriesState>;
  latest: Record<string, LatestEntry>;
  /** A heartbeat monitor's pings (kind heartbeat only; absent until its first ping): what the tick's deadline reads. */
  hb?: HeartbeatMemory;
};

/** Epoch ms of a heartbeat's last end ping (success or fail), its last `/start`, and the last missed deadline the tick recorded. */
export type HeartbeatMemory = { last: number | null; start: number | null; missed: number | null };

/**
 * A pack: its members, and the rollup counters of its open hours (hour start → cells; db/rollups.ts)
 * with the end of the last hour closed (hours before it are in rollup_packs).
 */
export type Pack = { key: string; version: number; members: Map<string, Member>; hours: Record<string, Cells>; closedTo: number };

type PackRow = { pack: string; version: number; body: string };

const fromJsonState = (s: Record<string, unknown>): MonitorState => ({
  status: s.status as MonitorStatus,
  since: s.since as number,
  last_check_at: (s.last_check_at as number | null) ?? null,
  last_error: (s.last_error as CheckError | null) ?? null,
  last_latency_ms: (s.last_latency_ms as number | null) ?? null,
  consecutive_failures: (s.consecutive_failures as number) ?? 0,
  consecutive_successes: (s.consecutive_successes as number) ?? 0,
  degraded: Boolean(s.degraded),
  slow_streak: (s.slow_streak as number) ?? 0,
  incident_id: (s.incident_id as string | null) ?? null,
  cert_warned_for: (s.cert_warned_for as number | null) ?? null,
});

/** A member as JSON holds it (the migration writes 0/1 for booleans); normalised here. */
export function parseMember(raw: Record<string, unknown>): Member {
  return {
    ...(raw.spec ? { spec: raw.spec as MonitorSpec } : {}),
    every: Number(raw.every ?? 60),
    edge: Boolean(raw.edge),
    on: Boolean(raw.on),
    ran: (raw.ran as number | null) ?? null,
    hops: Number(raw.hops ?? 0),
    state: fromJsonState((raw.state ?? {}) as Record<string, unknown>),
    locations: (raw.locations ?? {}) as Record<string, SeriesState>,
    latest: (raw.latest ?? {}) as Record<string, LatestEntry>,
    ...(raw.hb ? { hb: raw.hb as HeartbeatMemory } : {}),
  };
}

function parsePack(row: PackRow): Pack {
  const body = JSON.parse(row.body) as {
    members?: Record<string, Record<string, unknown>>;
    hours?: Record<string, Cells>;
    closed_to?: number;
  };
  const members = new Map<string, Member>();
  for (const [id, raw] of Object.entries(body.members ?? {})) members.set(id, parseMember(raw));
  return { key: row.pack, version: row.version, members, hours: body.hours ?? {}, closedTo: body.closed_to ?? 0 };
}

/** A new (or just paused or resumed) monitor's state. */
export function initialState(spec: Pick<MonitorSpec, "enabled">, now: number): MonitorState {
  return {
    status: spec.enabled ? "pending" : "paused",
    since: now,
    last_check_at: null,
    last_error: null,
    last_latency_ms: null,
    consecutive_failures: 0,
    consecutive_successes: 0,
    degraded: false,
    slow_streak: 0,
    incident_id: null,
    cert_warned_for: null,
  };
}

export function newMember(spec: MonitorSpec, now: number): Member {
  return {
    spec,
    every: spec.interval_s,
    edge: spec.runner === "edge",
    on: spec.enabled,
    ran: null,
    hops: 0,
    state: initialState(spec, now),
    locations: {},
    latest: {},
  };
}

/** A member after its spec changed: schedule fields follow the spec; pausing or resuming resets state and schedule. */
export function updatedMember(m: Member, spec: MonitorSpec, now: number): Member {
  const toggled = m.on !== spec.enabled;
  return {
    ...m,
    spec,
    every: spec.interval_s,
    edge: spec.runner === "edge",
    on: spec.enabled,
    ...(toggled
      ? {
          ran: null,
          state: {
            ...m.state,
            status: spec.enabled ? "pending" : "paused",
            since: now,
            consecutive_failures: 0,
            consecutive_successes: 0,
          },
          // A resumed heartbeat waits for its job's next ping, as a new one does, rather than count the pause as silence.
          hb: undefined,
        }
      : {}),
  };
}

export async function readPacks(db: D1Database, keys: string[]): Promise<Map<string, Pack>> {
  const out = new Map<string, Pack>();
  const unique = [...new Set(keys)];
  if (unique.length === 0) return out;
  const r = await db
    .prepare("SELECT pack, version, body FROM state_packs WHERE pack IN (SELECT value FROM json_each(?1))")
    .bind(JSON.stringify(unique))
    .all<PackRow>();
  for (const row of r.results) out.set(row.pack, parsePack(row));
  return out;
}

/** Every pack of one runner (keys "<runner>:<n>"), or every pack. */
export async function readAllPacks(db: D1Database, runner?: Runner): Promise<Pack[]> {
  const stmt = runner
    ? db.prepare("SELECT pack, version, body FROM state_packs WHERE pack >= ?1 AND pack < ?2").bind(`${runner}:`, `${runner};`)
    : db.prepare("SELECT pack, version, body FROM state_packs");
  return (await stmt.all<PackRow>()).results.map(parsePack);
}

/** One member, read through its pack, with the pack's version; null when absent. */
export function memberOf(raw: string | null): Member | null {
  return raw ? parseMember(JSON.parse(raw) as Record<string, unknown>) : null;
}

/**
 * A pack of `runner` with room for one more monitor: the first with fewer than PACK_SIZE members,
 * else a new, empty one (version 0: written by INSERT, so two writers creating it cannot both win).
 */
export async function packWithRoom(db: D1Database, runner: Runner): Promise<Pack> {
  const row = await db
    .prepare("SELECT pack, version, body FROM state_packs WHERE pack >= ?1 AND pack < ?2 AND members < ?3 ORDER BY pack LIMIT 1")
    .bind(`${runner}:`, `${runner};`, PACK_SIZE)
    .first<PackRow>();
  if (row) return parsePack(row);
  const count = await db
    .prepare("SELECT COUNT(*) AS n FROM state_packs WHERE pack >= ?1 AND pack < ?2")
    .bind(`${runner}:`, `${runner};`)
    .first<{ n: number }>();
  return { key: `${runner}:${count?.n ?? 0}`, version: 0, members: new Map(), hours: {}, closedTo: 0 };
}

function body(pack: Pack): string {
  return JSON.stringify({ members: Object.fromEntries(pack.members), hours: pack.hours, closed_to: pack.closedTo });
}

/**
 * The statement writing `pack` as read at `pack.version`. It fails (and with it its D1 batch) when
 * another writer got there first: an UPDATE of an older version sets version to NULL, which the
 * column refuses; an INSERT of a pack that exists meanwhile breaks its primary key.
 */
export function writePack(db: D1Database, pack: Pack): D1PreparedStatement {
  if (pack.version === 0)
    return db
      .prepare("INSERT INTO state_packs (pack, version, members, body) VALUES (?1, 1, ?2, ?3)")
      .bind(pack.key, pack.members.size, body(pack));
  return db
    .prepare("UPDATE state_packs SET version = CASE WHEN version = ?2 THEN version + 1 END, members = ?3, body = ?4 WHERE pack = ?1")
    .bind(pack.key, pack.version, pack.members.size, body(pack));
}

/** Whether a D1 batch failed because a pack it wrote had moved on since it was read. */
export function isPackConflict(e: unknown): boolean {
  return /NOT NULL constraint failed: state_packs\.version|UNIQUE constraint failed: state_packs\.pack/.test(String(e));
}

/** Attempts before a write that keeps losing to other writers gives up (each loss means another writer progressed). */
export const PACK_ATTEMPTS = 64;

/** Runs `attempt` (read packs, compute, write one batch) until it commits without a pack conflict. */
export async function withPackRetry<T>(attempt: (n: number) => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (e) {
      if (!isPackConflict(e) || n >= PACK_ATTEMPTS) throw e;
      // A short, growing, jittered pause, so writers that collided do not collide again in lockstep.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(100, 10 * n)));
    }
  }
}

/** Changes one member of `packKey` (read, change, optimistic write, again on conflict); false when it is not there. */
export async function updateMember(db: D1Database, packKey: string, id: string, change: (m: Member) => Member): Promise<boolean> {
  return withPackRetry(async () => {
    const pack = (await readPacks(db, [packKey])).get(packKey);
    const member = pack?.members.get(id);
    if (!pack || !member) return false;
    pack.members.set(id, change(member));
    await db.batch([writePack(db, pack)]);
    return true;
  });
}
