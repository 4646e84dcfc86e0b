// What the cron tick puts on CHECKS_QUEUE for the queue consumer: one planned batch of edge monitors.
// `packs` names the state packs holding those monitors (their specs and state): the consumer reads
// those rows only. A message without it (sent before packs held specs) is served from the monitors table.
export type CheckBatchMessage = { ids: string[]; scheduled_time: number; packs?: string[] };
