// The scheduler's D1 reads and its one write: claim a tick's minute, find the edge monitors due in
// it (from the state packs alone: slots, not a cursor per monitor), load their specs.
import type { MonitorSpec } from "../../../contract/index.ts";
import { dueIn, minuteOf } from "../scheduler/slots.ts";
import { readAllPacks, readPacks, type Member, type Pack } from "./packs.ts";

export type Claimed = { spec: MonitorSpec; pack: string; last_hops: number };

/**
 * Claims the tick's minute: true for the first tick of that minute, false for a repeated or
 * overlapping one (which then runs no checks). One row, counters "edge_tick".
 */
export async function claimTick(db: D1Database, scheduledTime: number): Promise<boolean> {
  const minute = minuteOf(scheduledTime);
  const r = await db
    .prepare(
      `INSERT INTO counters (name, value, updated_at) VALUES ('edge_tick', ?1, ?1)
       ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at WHERE counters.value < excluded.value`,
    )
    .bind(minute)
    .run();
  return (r.meta.changes ?? 0) > 0;
}

/** The edge monitors due at `scheduledTime`, grouped by pack (the planner keeps a pack's checks together). */
export async function dueEdge(db: D1Database, scheduledTime: number): Promise<{ claimed: Claimed[]; packs: Map<string, Pack> }> {
  // Every pack: a monitor keeps its pack when its runner changes, so an edge monitor may sit in an agent pack.
  const all = await readAllPacks(db);
  const packs = new Map(all.map((p) => [p.key, p]));
  return { claimed: await loadForRun(db, dueIn(all, scheduledTime), packs, [...packs.keys()]), packs };
}

/**
 * Specs and planned cost of the given monitors that are still enabled edge monitors, ordered by
 * pack then id: from their packs (`packKeys`, read here unless in `packs`), which hold each
 * member's spec; members without one (packs written before they held specs) from the monitors table.
 */
export async function loadForRun(
  db: D1Database,
  ids: string[],
  packs = new Map<string, Pack>(),
  packKeys: string[] = [],
): Promise<Claimed[]> {
  if (ids.length === 0) return [];
  for (const [k, p] of await readPacks(
    db,
    packKeys.filter((k) => !packs.has(k)),
  ))
    packs.set(k, p);
  const found = new Map<string, { pack: string; m: Member }>();
  const wanted = new Set(ids);
  for (const p of packs.values()) for (const [id, m] of p.members) if (wanted.has(id)) found.set(id, { pack: p.key, m });
  const out: Claimed[] = [];
  const unresolved: string[] = [];
  for (const id of wanted) {
    const hit = found.get(id);
    if (!hit?.m.spec) unresolved.push(id);
    else if (hit.m.edge && hit.m.on && hit.m.spec.kind !== "heartbeat")
      out.push({ spec: hit.m.spec, pack: hit.pack, last_hops: hit.m.hops });
  }
  if (unresolved.length) out.push(...(await fromMonitors(db, unresolved, packs)));
  return out.sort((a, b) => (a.pack === b.pack ? (a.spec.id < b.spec.id ? -1 : 1) : a.pack < b.pack ? -1 : 1));
}

async function fromMonitors(db: D1Database, ids: string[], packs: Map<string, Pack>): Promise<Claimed[]> {
  const rows = await db
    .prepare(
      "SELECT spec, pack FROM monitors WHERE id IN (SELECT value FROM json_each(?1)) AND runner = 'edge' AND enabled = 1 AND kind != 'heartbeat'",
    )
    .bind(JSON.stringify(ids))
    .all<{ spec: string; pack: string }>();
  const missing = rows.results.map((r) => r.pack).filter((k) => !packs.has(k));
  for (const [k, p] of await readPacks(db, missing)) packs.set(k, p);
  return rows.results.map((r) => {
    const spec = JSON.parse(r.spec) as MonitorSpec;
    return { spec, pack: r.pack, last_hops: packs.get(r.pack)?.members.get(spec.id)?.hops ?? 0 };
  });
}
