// The dead-letter queue's consumer: check batches the checks queue gave up on after max_retries are logged at
// error level, counted for /metrics, and acked. They are not run again: their minute has passed, and the next
// tick plans those monitors afresh.
import { addCounter } from "../db/counters.ts";
import type { Logger } from "../observability/log.ts";
import { DEAD_LETTER_COUNTER, type CheckBatchMessage } from "./messages.ts";

/** Most monitor ids one log line names; the rest are counted. */
const IDS_LOGGED = 20;

export async function recordDeadLetters(
  db: D1Database,
  log: Logger,
  batch: MessageBatch<CheckBatchMessage>,
  now = Date.now(),
): Promise<void> {
  for (const msg of batch.messages) {
    // The body came from this Worker, but a dead letter is exactly where a malformed one would end up.
    const ids = Array.isArray(msg.body?.ids) ? msg.body.ids : [];
    log.error("check batch dead-lettered", {
      message_id: msg.id,
      attempts: msg.attempts,
      enqueued_at: msg.timestamp.toISOString(),
      scheduled_time: msg.body?.scheduled_time ?? null,
      monitor_count: ids.length,
      monitors: ids.slice(0, IDS_LOGGED),
    });
  }
  if (batch.messages.length === 0) return;
  // Acked once counted: were the counter write to fail, the batch comes back and is logged again, not lost.
  await addCounter(db, DEAD_LETTER_COUNTER, batch.messages.length, now).run();
  for (const msg of batch.messages) msg.ack();
}
