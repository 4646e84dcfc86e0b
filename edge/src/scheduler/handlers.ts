// The Cron Trigger and queue handlers: validate configuration, then hand over to the scheduler (or the daily trim).
import { notifier } from "../alerts/notify.ts";
import { loadConfig } from "../config/config.ts";
import type { Env } from "../config/env.ts";
import { createLogger } from "../observability/log.ts";
import { runTrim } from "../db/retention.ts";
import { TRIM_CRON } from "./crons.ts";
import type { CheckBatchMessage } from "./messages.ts";
import { runQueuedBatch, runTick, type Runtime } from "./tick.ts";

/**
 * The runtime of one invocation. Alert events go to the notification outbox; the tick's and the
 * queue batch's own delivery step then sends them within the subrequest budget the checks left.
 */
function runtime(env: Env, fields: Record<string, unknown>): Runtime | null {
  const result = loadConfig(env);
  if (!result.ok) return null; // loadConfig has logged the problems once
  const log = createLogger(result.config.logLevel, fields);
  return {
    config: result.config,
    log,
    fetch: (input, init) => fetch(input, init),
    queue: result.config.queue,
    notify: notifier(result.config.db, log),
  };
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
  // max_batch_size is 1, so each invocation runs one planned batch within its own budget.
  for (const msg of batch.messages) {
    await runQueuedBatch(rt, msg.body);
    msg.ack();
  }
}
