// What the cron tick puts on CHECKS_QUEUE for the queue consumer: one planned batch of edge monitors.
// `packs` names the state packs holding those monitors (their specs and state): the consumer reads
// those rows only. A message without it (sent before packs held specs) is served from the monitors table.
export type CheckBatchMessage = { ids: string[]; scheduled_time: number; packs?: string[] };

/**
 * The checks queue's dead-letter queue is named after it with this suffix (wrangler.toml, the Terraform stack,
 * scripts/lib/deploy-config.mjs): the queue handler tells the two apart by name, whatever prefix a deployment uses.
 */
export const DEAD_LETTER_SUFFIX = "-dlq";
export const isDeadLetterQueue = (queue: string): boolean => queue.endsWith(DEAD_LETTER_SUFFIX);

/** The D1 counter of check batches that reached the dead-letter queue, for /metrics. */
export const DEAD_LETTER_COUNTER = "check_batches_dead_lettered";
