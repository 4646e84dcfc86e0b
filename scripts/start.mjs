#!/usr/bin/env node
// `npm start`: the whole product locally — the Worker under wrangler dev with local D1 and embedded
// storage (or InfluxDB when INFLUX_URL is set), its cron fired every minute, migrations applied.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./lib/proc.mjs";
import { WORKER_SETTINGS, applyMigrations, startScheduler, startWorker } from "./lib/wrangler-dev.mjs";

const cwd = process.env.UPTIME_ROOT ?? ROOT;
const port = Number(process.env.PORT ?? 8787);
const tickMs = Number(process.env.UPTIME_TICK_MS ?? 60_000);
const persistTo = process.env.UPTIME_STATE_DIR; // default: wrangler's .wrangler/state

const say = (msg) => process.stdout.write(`[start] ${msg}\n`);

/** ADMIN_TOKEN from the environment, else from .dev.vars, else a new one written to .dev.vars. */
function adminToken() {
  if (process.env.ADMIN_TOKEN) return { token: process.env.ADMIN_TOKEN, source: "environment" };
  const file = path.join(cwd, ".dev.vars");
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const m = /^\s*ADMIN_TOKEN\s*=\s*"?([^"\n]+)"?\s*$/m.exec(text);
  if (m) return { token: m[1], source: ".dev.vars" };
  const token = `ium_${randomBytes(32).toString("base64url")}`;
  writeFileSync(file, `${text}${text && !text.endsWith("\n") ? "\n" : ""}ADMIN_TOKEN="${token}"\n`, { mode: 0o600 });
  return { token, source: "generated", file };
}

/** Demo monitors that work with no internet: the Worker's own /healthz. Existing ones are left alone. */
async function seedDemo(base, token) {
  const demos = [
    { id: "worker-healthz", name: "This Worker's /healthz", group: "Demo", kind: "http", target: `${base}/healthz`, http: { keyword: "ok" } },
  ];
  for (const monitor of demos) {
    const res = await fetch(`${base}/api/v1/monitors`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(monitor),
    });
    if (res.status === 201) say(`seeded demo monitor "${monitor.id}" (${monitor.target})`);
    else if (res.status !== 409) say(`could not seed demo monitor "${monitor.id}": ${res.status} ${await res.text()}`);
  }
}

async function main() {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`PORT must be a port number, got "${process.env.PORT}"`);
  const admin = adminToken();
  say(admin.source === "generated" ? `generated an admin token and wrote it to ${admin.file}` : `admin token from ${admin.source}`);

  say("applying D1 migrations (local)");
  await applyMigrations({ cwd, persistTo });

  const vars = Object.fromEntries(WORKER_SETTINGS.filter((k) => process.env[k]).map((k) => [k, process.env[k]]));
  say(`starting the Worker on http://127.0.0.1:${port} (${process.env.INFLUX_URL ? `InfluxDB at ${process.env.INFLUX_URL}` : "embedded point store in D1"})`);
  const worker = await startWorker({ cwd, port, persistTo, vars, onLine: (l) => process.stdout.write(`${l}\n`) });

  if (process.env.UPTIME_SEED !== "false") await seedDemo(`http://127.0.0.1:${port}`, admin.token);

  const stopScheduler = startScheduler(() => worker.tick(), {
    everyMs: tickMs,
    onError: (e) => say(`cron tick failed: ${e.message}`),
  });

  say(`ready: http://127.0.0.1:${port}`);
  say(`admin token: ${admin.token}`);
  say(`try: curl -H "Authorization: Bearer ${admin.token}" http://127.0.0.1:${port}/api/v1/monitors`);
  say(`cron: the scheduled handler fires every ${tickMs / 1000} s`);

  let stopping = false;
  const shutdown = async (signal) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping`);
    stopScheduler();
    await worker.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  worker.child.on("exit", (code) => {
    if (stopping) return;
    say(`wrangler dev exited (${code})`);
    stopScheduler();
    process.exit(code ?? 1);
  });
}

main().catch((e) => {
  say(`failed: ${e.message}`);
  process.exit(1);
});
