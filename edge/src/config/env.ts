// The Worker's bindings and vars as Cloudflare hands them over, before validation (see config.ts).
import type { CheckBatchMessage } from "../scheduler/messages.ts";

export interface Env {
  DB: D1Database;
  CHECKS_QUEUE: Queue<CheckBatchMessage>;
  /** The status UI's static files (ui/dist, [assets] in wrangler.toml); absent when deployed without them. */
  ASSETS?: Fetcher;
  ADMIN_TOKEN?: string;
  PUBLIC_STATUS?: string;
  LOG_LEVEL?: string;
  INFLUX_URL?: string;
  INFLUX_DATABASE?: string;
  INFLUX_RETENTION_POLICY?: string;
  INFLUX_TOKEN?: string;
  INFLUX_USERNAME?: string;
  INFLUX_PASSWORD?: string;
  EDGE_SUBREQUEST_BUDGET?: string;
  OUTBOX_MAX_POINTS?: string;
  OUTBOX_BACKOFF_MAX_S?: string;
  AGENT_LIVENESS_S?: string;
  RETENTION_POINTS_DAYS?: string;
  RETENTION_INGESTED_DAYS?: string;
  RETENTION_HOURLY_ROLLUPS_DAYS?: string;
  RETENTION_DAILY_ROLLUPS_DAYS?: string;
  RETENTION_NOTIFICATIONS_DAYS?: string;
  RETENTION_INCIDENTS_DAYS?: string;
  TRIM_BATCH_ROWS?: string;
  TRIM_MAX_BATCHES?: string;
  CERT_WARNING_DAYS?: string;
  REMIND_EVERY_S?: string;
}
