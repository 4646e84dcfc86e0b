// Hands alert events to delivery: each is stored in the notification outbox (once per channel),
// then, where the invocation can keep running, delivered at once with the short retries.
import type { Logger } from "../observability/log.ts";
import { deliverNow, deliveryDeps, enqueue } from "./delivery.ts";
import type { AlertEvent } from "./events.ts";

export type Notify = (events: AlertEvent[]) => Promise<void>;

/**
 * `waitUntil`, when given, delivers right away in the background (up to `maxRequests`
 * subrequests); without it the next cron tick's delivery step sends them.
 */
export function notifier(
  db: D1Database,
  log: Logger,
  opts: { waitUntil?: (p: Promise<unknown>) => void; maxRequests?: number } = {},
): Notify {
  return async (events) => {
    let queued = 0;
    for (const e of events) queued += await enqueue(db, e);
    if (queued > 0 && opts.waitUntil)
      opts.waitUntil(
        deliverNow(deliveryDeps(db, log), { maxRequests: opts.maxRequests ?? 10 }).catch((e: unknown) =>
          log.error("alert delivery failed", { error: e }),
        ),
      );
  };
}
