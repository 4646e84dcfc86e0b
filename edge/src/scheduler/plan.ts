// Splits due checks into batches that each fit one invocation's subrequest budget. Pure.
import { MAX_REDIRECTS } from "../../../contract/http-rules.ts";

/** Most redirect hops a check follows (the HTTP check's rule), so a check costs at most MAX_HOPS + 1 subrequests. */
export const MAX_HOPS = MAX_REDIRECTS;

export type Planned = { id: string; cost: number };

/** Share of each invocation's budget kept free for confirming failures with an immediate retry. */
export const CONFIRM_SHARE = 0.1;
export const confirmReserve = (budget: number) => Math.max(1, Math.ceil(budget * CONFIRM_SHARE));

/** A check's planned cost: its request plus the redirect hops it followed last time. */
export const checkCost = (lastHops: number) => 1 + Math.min(Math.max(0, lastHops), MAX_HOPS);

/**
 * Packs checks, in order, into batches whose costs sum to at most `budget - reserve` (`reserve` is
 * kept for the invocation's own store writes). A check that alone exceeds that capacity still gets
 * a batch of its own; the runtime guard then stops it at the budget.
 */
export function planBatches(items: Planned[], budget: number, reserve: number): Planned[][] {
  const capacity = Math.max(1, budget - reserve);
  const batches: Planned[][] = [];
  let current: Planned[] = [];
  let used = 0;
  for (const item of items) {
    if (current.length > 0 && used + item.cost > capacity) {
      batches.push(current);
      current = [];
      used = 0;
    }
    current.push(item);
    used += item.cost;
  }
  if (current.length) batches.push(current);
  return batches;
}

/**
 * Where a claimed monitor's next run falls: one interval after the tick it was due in, measured
 * from the tick's scheduled minute, so a late tick neither skips an interval nor runs it twice.
 */
export function nextDueAt(scheduledTime: number, intervalS: number): number {
  return Math.floor(scheduledTime / 60_000) * 60_000 + intervalS * 1000;
}
