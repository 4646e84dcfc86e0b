// The Worker's Cron Triggers, as wrangler.toml lists them: the checks every minute, the daily trim at 03:17 UTC.
export const TICK_CRON = "* * * * *";
export const TRIM_CRON = "17 3 * * *";
