// The point writer of one invocation: the configured point store behind the durable D1 outbox.
import type { Config } from "../config/config.ts";
import type { Logger } from "../observability/log.ts";
import { createPointStore } from "../points/index.ts";
import { PointWriter } from "../points/outbox.ts";

/** Points the outbox retries in one flush (one store write). */
const FLUSH_BATCH = 5000;

export function pointWriter(rt: { config: Config; log: Logger; fetch: typeof fetch; clock?: () => number }): PointWriter {
  return new PointWriter(createPointStore(rt.config, rt.fetch), rt.config.db, rt.log, {
    maxPoints: rt.config.outboxMaxPoints,
    backoffMaxMs: rt.config.outboxBackoffMaxMs,
    flushBatch: FLUSH_BATCH,
    now: rt.clock ?? Date.now,
  });
}
