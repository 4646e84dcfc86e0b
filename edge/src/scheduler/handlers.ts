// The Cron Trigger and queue handlers: validate configuration, then hand over to the scheduler (or the daily trim).
import { notifier } from "../alerts/notify.ts";
import { loadConfig } from "../config/config.ts";
import type { Env } from "../config/env.ts";
import { meterD1, withD1Totals } from "../db/meter.ts";
import { createLogger } from "../observability/log.ts";
import { runTrim } from "../db/retention.ts";
import { TRIM_CRON } from "./crons.ts";
import { recordDeadLetters } from "./dead-letters.ts";
import { isDeadLetterQueue, type CheckBatchMessage } from "./messages.ts";
import { runQueuedBatch, runTick, type Runtime } from "./tick.ts";

/**
 * The runtime of one invocation. Alert events go to the notification outbox; the tick's and the
 * queue batch's own delivery step then sends them within the subrequest budget the checks left.
 */
function runtime(env: Env, fields: Record<string, unknown>): Runtime | null {
  const result = loadConfig(env);
  if (!result.ok) return null; // loadConfig has logged the problems once
  // This invocation's D1 binding counts what it asks of D1; its final line says so (db/meter.ts).
  const meter = meterD1(result.config.db);
  const log = withD1Totals(createLogger(result.config.logLevel, fields), meter, isFinalLine);
  return {
    config: { ...result.config, db: meter.db },
    log,
    fetch: (input, init) => fetch(input, init),
    queue: result.config.queue,
    notify: notifier(meter.db, log),
  };
}

/**
 * The last line each invocation logs: "tick done" (scheduler/tick.ts), "check batch done" (the queue
 * consumer, once per message), and the daily trim's "trim done" or its warning that it stopped at
 * its batch limit (db/retention.ts). The totals on it are the invocation's so far: one line per
 * invocation while the queue hands over one message at a time (max_batch_size = 1).
 */
function isFinalLine(msg: string): boolean {
  return msg === "tick done" || msg === "check batch done" || msg === "trim done" || msg.startsWith("trim stopped");
}

export async function scheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
  const rt = runtime(env, { cron: controller.cron });
  if (!rt) return;
  if (controller.cron === TRIM_CRON) {
    await runTrim(rt.config.db, rt.config.retention, controller.scheduledTime, rt.log);
    return;
  }
  await runTick(rt, controller.scheduledTime);
}

export async function queue(batch: MessageBatch<CheckBatchMessage>, env: Env, _ctx: ExecutionContext): Promise<void> {
  const rt = runtime(env, { queue: batch.queue });
  if (!rt) {
    batch.retryAll({ delaySeconds: 60 });
    return;
  }
  if (isDeadLetterQueue(batch.queue)) return recordDeadLetters(rt.config.db, rt.log, batch);
  // max_batch_size is 1, so each invocation runs one planned batch within its own budget.
  for (const msg of batch.messages) {
    await runQueuedBatch(rt, msg.body);
    msg.ack();
  }
}
