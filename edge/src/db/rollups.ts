// Hourly and daily rollups, packed (table rollup_packs, migration 0008): one row per pack, size and
// start. The current hour's counters live in the state pack (its `hours`) and are merged into the
// rows when the hour closes; a result for an hour already closed is merged into its rows directly.
// Every write of a pack's rollup rows commits with a write of that pack's state, so the pack's
// version check orders them (db/packs.ts): two writers never merge into the same row unseen.
import { DAY, HOUR, floorTo, type Size } from "../status/rollups.ts";
import type { Cells, Counts, Pack } from "./packs.ts";

export type { Cells, Counts } from "./packs.ts";

/** An hour stays open this long after it ends, so results pushed a little late still count in the pack. */
export const CLOSE_GRACE_MS = 5 * 60_000;

type Countable = { monitor: string; location: string; ts: number; ok: boolean; latency_ms: number | null };

export function addCounts(cells: Cells, monitor: string, location: string, c: Counts): void {
  const m = cells[monitor] ?? (cells[monitor] = {});
  const cur = m[location] ?? (m[location] = [0, 0, 0, 0]);
  for (let i = 0; i < 4; i++) cur[i]! += c[i]!;
}

const countsOf = (r: Countable): Counts => {
  const measured = r.ok && r.latency_ms !== null;
  return [1, r.ok ? 1 : 0, measured ? r.latency_ms! : 0, measured ? 1 : 0];
};

function mergeCells(into: Cells, from: Cells): Cells {
  for (const [monitor, locs] of Object.entries(from)) for (const [loc, c] of Object.entries(locs)) addCounts(into, monitor, loc, c);
  return into;
}

/** Adds `cells` of an hour to the deltas of its hourly and daily rows. */
function addHour(deltas: Map<string, Cells>, hour: number, cells: Cells): void {
  for (const key of [`1h:${hour}`, `1d:${floorTo(hour, DAY)}`]) mergeCells(deltas.get(key) ?? deltas.set(key, {}).get(key)!, cells);
}

/**
 * Counts `results` into the pack: into its open hours, or, for an hour closed already, into the
 * deltas for its stored rows; then closes the open hours that ended more than CLOSE_GRACE_MS before
 * `now`, moving them into the deltas. Returns the deltas by "<size>:<start>". Mutates `pack`.
 */
export function foldIntoPack(pack: Pack, results: Countable[], now: number): Map<string, Cells> {
  const deltas = new Map<string, Cells>();
  for (const r of results) {
    const hour = floorTo(r.ts, HOUR);
    const cells: Cells = {};
    addCounts(cells, r.monitor, r.location, countsOf(r));
    if (hour < pack.closedTo) addHour(deltas, hour, cells);
    else mergeCells(pack.hours[hour] ?? (pack.hours[hour] = {}), cells);
  }
  for (const [start, cells] of Object.entries(pack.hours)) {
    const hour = Number(start);
    if (hour + HOUR + CLOSE_GRACE_MS > now) continue;
    addHour(deltas, hour, cells);
    delete pack.hours[hour];
    pack.closedTo = Math.max(pack.closedTo, hour + HOUR);
  }
  return deltas;
}

/** Statements merging `deltas` into the pack's stored rows (read here: only hours that closed or late results need them). */
export async function mergeRollups(db: D1Database, pack: string, deltas: Map<string, Cells>): Promise<D1PreparedStatement[]> {
  if (deltas.size === 0) return [];
  const keys = [...deltas.keys()].map((k) => {
    const [size, start] = k.split(":");
    return [size!, Number(start)] as const;
  });
  const stored = await db
    .prepare(
      `SELECT size, start, body FROM rollup_packs WHERE pack = ?1
       AND (size, start) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?2))`,
    )
    .bind(pack, JSON.stringify(keys))
    .all<{ size: string; start: number; body: string }>();
  const have = new Map(stored.results.map((r) => [`${r.size}:${r.start}`, JSON.parse(r.body) as Cells]));
  return keys.map(([size, start]) => {
    const key = `${size}:${start}`;
    const body = mergeCells(have.get(key) ?? {}, deltas.get(key)!);
    return db
      .prepare(
        "INSERT INTO rollup_packs (pack, size, start, body) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (pack, size, start) DO UPDATE SET body = excluded.body",
      )
      .bind(pack, size, start, JSON.stringify(body));
  });
}

/** The statement removing a deleted monitor from its pack's rollup rows. */
export function purgeRollups(db: D1Database, pack: string, monitor: string): D1PreparedStatement {
  return db
    .prepare(
      "UPDATE rollup_packs SET body = json_remove(body, '$.' || json_quote(?2)) WHERE pack = ?1 AND json_type(body, '$.' || json_quote(?2)) IS NOT NULL",
    )
    .bind(pack, monitor);
}

export type Cell = { monitor: string; location: string; start: number; counts: Counts };

/**
 * Every rollup cell of one size with `from <= start < to`: the stored rows and the open hours of the
 * state packs (counted into their day for "1d").
 * `packs` are the state packs to read (every pack holding a monitor the caller reports on, already
 * read by the caller for their open hours); `only` limits everything to one monitor (and its pack).
 */
export async function readCells(
  db: D1Database,
  size: Size,
  from: number,
  to: number,
  packs: Pack[],
  only?: { id: string; pack: string },
): Promise<Cell[]> {
  const stored = await (only
    ? db
        .prepare("SELECT start, body FROM rollup_packs WHERE pack = ?1 AND size = ?2 AND start >= ?3 AND start < ?4")
        .bind(only.pack, size, from, to)
    : // Through each pack's primary-key range: without the pack, the whole table would be scanned (and billed).
      db
        .prepare(
          "SELECT start, body FROM rollup_packs WHERE pack IN (SELECT value FROM json_each(?4)) AND size = ?1 AND start >= ?2 AND start < ?3",
        )
        .bind(size, from, to, JSON.stringify(packs.map((p) => p.key)))
  ).all<{ start: number; body: string }>();
  const out: Cell[] = [];
  const push = (start: number, cells: Cells) => {
    for (const [monitor, locs] of Object.entries(cells)) {
      if (only && monitor !== only.id) continue;
      for (const [location, counts] of Object.entries(locs)) out.push({ monitor, location, start, counts });
    }
  };
  for (const r of stored.results) push(r.start, JSON.parse(r.body) as Cells);
  for (const p of packs) {
    if (only && p.key !== only.pack) continue;
    for (const [hour, cells] of Object.entries(p.hours)) {
      const start = size === "1h" ? Number(hour) : floorTo(Number(hour), DAY);
      if (start >= from && start < to) push(start, cells);
    }
  }
  return out;
}

export type RollupSums = { monitor: string; start: number; checks: number; up: number; latency_sum: number; latency_n: number };

/** Rollups of one size with `from <= start < to`, summed over locations, per monitor and start, ordered. */
export function sumByStart(cells: Cell[]): RollupSums[] {
  const map = new Map<string, RollupSums>();
  for (const c of cells) {
    const key = `${c.monitor}\u0000${c.start}`;
    const row =
      map.get(key) ?? map.set(key, { monitor: c.monitor, start: c.start, checks: 0, up: 0, latency_sum: 0, latency_n: 0 }).get(key)!;
    row.checks += c.counts[0];
    row.up += c.counts[1];
    row.latency_sum += c.counts[2];
    row.latency_n += c.counts[3];
  }
  return [...map.values()].sort((a, b) => (a.monitor === b.monitor ? a.start - b.start : a.monitor < b.monitor ? -1 : 1));
}

/** Rollups of one size with `from <= start < to`, summed over locations, per monitor (or only one). */
export async function readRollups(
  db: D1Database,
  size: Size,
  from: number,
  to: number,
  packs: Pack[],
  only?: { id: string; pack: string },
) {
  return sumByStart(await readCells(db, size, from, to, packs, only));
}
