// What the cron tick puts on CHECKS_QUEUE for the queue consumer: one planned batch of edge monitors.
export type CheckBatchMessage = { ids: string[]; scheduled_time: number };
