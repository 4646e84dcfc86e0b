// The Worker's bindings and vars as Cloudflare hands them over, before validation (see config.ts).
export interface Env {
  DB: D1Database;
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
}
