// The Worker entry: wiring only.
import { createApp } from "./app.ts";
import type { Env } from "./env.ts";
import { queue, scheduled } from "./scheduled.ts";
import type { CheckBatchMessage } from "./scheduler/tick.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  scheduled,
  queue,
} satisfies ExportedHandler<Env, CheckBatchMessage>;
