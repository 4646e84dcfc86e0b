// Starts the Worker under `wrangler dev` with local D1 (migrations applied) and fires its cron like Cloudflare.
import { spawn } from "node:child_process";
import path from "node:path";
import { ROOT, freePort, nodeBinary, run, waitForHttp } from "./proc.mjs";

const WRANGLER = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");

/** Worker settings an operator may give as environment variables to `npm start`. */
export const WORKER_SETTINGS = [
  "ADMIN_TOKEN",
  "ADMIN_TOKEN_PREVIOUS",
  "ADMIN_TOKEN_PREVIOUS_UNTIL",
  "TOKEN_MAX_LIFETIME_DAYS",
  "PUBLIC_STATUS",
  "LOG_LEVEL",
  "INFLUX_URL",
  "INFLUX_DATABASE",
  "INFLUX_RETENTION_POLICY",
  "INFLUX_TOKEN",
  "INFLUX_USERNAME",
  "INFLUX_PASSWORD",
  "EDGE_SUBREQUEST_BUDGET",
  "OUTBOX_MAX_POINTS",
  "OUTBOX_BACKOFF_MAX_S",
  "AGENT_LIVENESS_S",
  "RETENTION_POINTS_DAYS",
  "RETENTION_INGESTED_DAYS",
  "RETENTION_HOURLY_ROLLUPS_DAYS",
  "RETENTION_DAILY_ROLLUPS_DAYS",
  "RETENTION_NOTIFICATIONS_DAYS",
  "RETENTION_INCIDENTS_DAYS",
  "RETENTION_AUDIT_DAYS",
  "TRIM_BATCH_ROWS",
  "TRIM_MAX_BATCHES",
  "CERT_WARNING_DAYS",
  "REMIND_EVERY_S",
  "RESULT_MAX_AGE_S",
  "RESULT_MAX_AHEAD_S",
  "MAX_MONITORS",
  "MAX_TOKENS",
  "MAX_AGENTS",
  "MAX_CHANNELS",
  "MAX_MAINTENANCE_WINDOWS",
  "HOST_CHECKS_PER_MIN",
  "HOST_BODY_BYTES_PER_MIN",
  "RATE_LIMITS",
  "EGRESS_ALLOW",
  "EGRESS_DENY",
];

/**
 * What the Worker's egress policy must allow for checks and channels on this machine's loopback (the
 * demo monitors, local test targets and receivers): EGRESS_ALLOW for `wrangler dev` runs that need it.
 * The policy refuses loopback by default (docs/security.md); this is configuration, not an exception in it.
 */
export const LOOPBACK_EGRESS_ALLOW = "127.0.0.0/8,::1,localhost";

/** The daily trim's Cron Trigger (wrangler.toml; edge/src/scheduler/trim.ts TRIM_CRON): 03:17 UTC. */
export const TRIM_CRON = "17 3 * * *";

/** Whether `date` falls in the trim's minute, for local schedulers that fire crons themselves. */
export function isTrimMinute(date) {
  return date.getUTCHours() === 3 && date.getUTCMinutes() === 17;
}

export async function applyMigrations({ cwd = ROOT, persistTo } = {}) {
  const args = [WRANGLER, "d1", "migrations", "apply", "DB", "--local"];
  if (persistTo) args.push("--persist-to", persistTo);
  return run(nodeBinary(), args, { cwd, env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" } });
}

/**
 * Starts `wrangler dev` on `ip`:`port` (127.0.0.1 unless told otherwise) and resolves once /healthz answers.
 * `vars` reach the Worker as variables; `onLine` receives each line it prints.
 */
export async function startWorker({ cwd = ROOT, ip = "127.0.0.1", port, persistTo, vars = {}, onLine = () => {} } = {}) {
  port ??= await freePort();
  const inspector = await freePort();
  const args = [
    WRANGLER,
    "dev",
    "--ip",
    ip,
    "--port",
    String(port),
    "--inspector-port",
    String(inspector),
    "--test-scheduled",
    "--show-interactive-dev-session=false",
  ];
  if (persistTo) args.push("--persist-to", persistTo);
  for (const [k, v] of Object.entries(vars)) if (v !== undefined && v !== "") args.push("--var", `${k}:${v}`);
  const child = spawn(nodeBinary(), args, {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" },
    detached: false,
  });
  const lines = (stream) => {
    let buf = "";
    stream.on("data", (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        onLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
  };
  lines(child.stdout);
  lines(child.stderr);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/healthz`, { child, timeoutMs: 90_000 });
  } catch (e) {
    child.kill("SIGTERM");
    throw e;
  }
  return {
    url,
    port,
    child,
    /** Fires the Worker's scheduled handler as the Cron Trigger would. */
    async tick(scheduledTime, cron = "* * * * *") {
      const time = scheduledTime === undefined ? "" : `&time=${scheduledTime}`;
      const res = await fetch(`${url}/cdn-cgi/local/scheduled?cron=${encodeURIComponent(cron)}${time}`);
      if (!res.ok) throw new Error(`scheduled handler answered ${res.status}: ${await res.text()}`);
    },
    stop() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 5000).unref();
      });
    },
  };
}

/** Fires `tick` at every minute boundary (or every `everyMs`), as Cloudflare's cron would. */
export function startScheduler(tick, { everyMs = 60_000, onError = () => {} } = {}) {
  let timer;
  const schedule = () => {
    const wait = everyMs - (Date.now() % everyMs);
    timer = setTimeout(async () => {
      try {
        await tick();
      } catch (e) {
        onError(e);
      }
      schedule();
    }, wait);
  };
  schedule();
  return () => clearTimeout(timer);
}
