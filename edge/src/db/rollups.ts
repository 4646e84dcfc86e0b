// Hourly and daily rollups, packed (table rollup_packs, migration 0008): one row per pack, size and
// start. The current hour's counters live in the state pack (its `hours`) and are merged into the
// rows when the hour closes; a result for an hour already closed is merged into its rows directly.
// Every write of a pack's rollup rows commits with a write of that pack's state, so the pack's
// version check orders them (db/packs.ts): two writers never merge into the same row unseen.
import { DAY, floorTo, mergeCells, sumByStart, type Size } from "../status/rollups.ts";
import type { Cells, Counts, Pack } from "./packs.ts";

export type { Cells, Counts } from "./packs.ts";

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
