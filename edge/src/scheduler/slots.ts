// When an edge monitor runs: at fixed slots derived from its id and interval, so the scheduler needs
// no per-monitor cursor written after every check. Pure.
import { hash32 } from "../agents/split.ts";
import type { Pack } from "../db/packs.ts";

const MINUTE = 60_000;

/** The monitor's phase: seconds into each interval at which its checks fall, spread by its id. */
export const phaseOf = (id: string, everyS: number) => hash32(id) % everyS;

/**
 * Whether the tick of `minute` (epoch ms, a whole minute) runs the monitor. It runs when one of its
 * slots (phase + k × interval, in seconds since the epoch) falls within that minute; at the first
 * tick after it was created, resumed or never ran (`ran` null); and, after a tick that never came,
 * at the next one once more than an interval and a minute passed since it last ran. Never twice in
 * one minute.
 */
export function isDue(id: string, everyS: number, ran: number | null, minute: number): boolean {
  if (ran === null) return true;
  if (ran >= minute) return false;
  if (minute - ran >= everyS * 1000 + MINUTE) return true;
  const start = minute / 1000;
  const phase = phaseOf(id, everyS);
  const slot = phase + Math.ceil((start - phase) / everyS) * everyS;
  return slot < start + 60;
}

export const minuteOf = (ts: number) => Math.floor(ts / MINUTE) * MINUTE;

/** Ids of the enabled edge monitors of `packs` due in the minute of `scheduledTime`; heartbeats run nothing (their jobs call in). */
export function dueIn(packs: Iterable<Pack>, scheduledTime: number): string[] {
  const minute = minuteOf(scheduledTime);
  const due: string[] = [];
  for (const p of packs)
    for (const [id, m] of p.members) if (m.edge && m.on && m.spec?.kind !== "heartbeat" && isDue(id, m.every, m.ran, minute)) due.push(id);
  return due;
}
