// The Cron Trigger handler: one tick of the scheduler.
import { loadConfig } from "./config.ts";
import type { Env } from "./env.ts";
import { createLogger } from "./log.ts";

export async function scheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
  const result = loadConfig(env);
  if (!result.ok) return; // already logged once by loadConfig
  const log = createLogger(result.config.logLevel, { cron: controller.cron });
  log.info("tick", { scheduled_time: new Date(controller.scheduledTime).toISOString() });
}
