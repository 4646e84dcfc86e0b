// The Worker entry: wiring only.
import { createApp } from "./api/app.ts";
import type { Env } from "./config/env.ts";
import { queue, scheduled } from "./scheduler/handlers.ts";
import type { CheckBatchMessage } from "./scheduler/messages.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  scheduled,
  queue,
} satisfies ExportedHandler<Env, CheckBatchMessage>;
