#!/usr/bin/env node
// `npm start`: the whole product locally — the Worker under wrangler dev with local D1 and embedded
// storage (or InfluxDB when INFLUX_URL is set), its cron fired every minute, migrations applied.
import { spawn } from "node:child_process";
import { adminToken, adminTokenLines } from "./lib/admin-token.mjs";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { buildAgent } from "./build-agent.mjs";
import { ROOT, nodeBinary } from "./lib/proc.mjs";
import {
  LOOPBACK_EGRESS_ALLOW,
  TRIM_CRON,
  WORKER_SETTINGS,
  applyMigrations,
  isTrimMinute,
  startScheduler,
  startWorker,
} from "./lib/wrangler-dev.mjs";

const cwd = process.env.UPTIME_ROOT ?? ROOT;
const port = Number(process.env.PORT ?? 8787);
// The address wrangler dev listens on: 127.0.0.1, or 0.0.0.0 in a container (docker/edge/Dockerfile).
const ip = process.env.UPTIME_IP || "127.0.0.1";
const tickMs = Number(process.env.UPTIME_TICK_MS ?? 60_000);
const persistTo = process.env.UPTIME_STATE_DIR; // default: wrangler's .wrangler/state

const say = (msg) => process.stdout.write(`[start] ${msg}\n`);

const LOCAL_AGENT = { id: "local", location: "local" };

/**
 * Demo monitors that work with no internet: the Worker's own /healthz (edge), and for the local
 * agent ICMP to 127.0.0.1 and TCP to the Worker's port. Existing ones are left alone.
 */
async function seedDemo(base, token, withAgent) {
  const demos = [
    {
      id: "worker-healthz",
      name: "This Worker's /healthz",
      group: "Demo",
      kind: "http",
      target: `${base}/healthz`,
      http: { keyword: "ok" },
    },
  ];
  if (withAgent)
    demos.push(
      {
        id: "loopback-icmp",
        name: "Loopback ping",
        group: "Demo",
        kind: "icmp",
        target: "127.0.0.1",
        interval_s: 30,
        locations: [LOCAL_AGENT.location],
      },
      {
        id: "worker-tcp",
        name: "Worker's TCP port",
        group: "Demo",
        kind: "tcp",
        target: `127.0.0.1:${new URL(base).port}`,
        interval_s: 30,
        locations: [LOCAL_AGENT.location],
      },
    );
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

async function call(base, token, method, p, body) {
  const res = await fetch(`${base}${p}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/**
 * Registers the local agent once and keeps its token beside its data (a token is shown only once);
 * if the registration exists but the token file is gone, the old registration is revoked first.
 */
async function localAgentToken(base, token, dataDir) {
  const file = path.join(dataDir, "agent-token.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")).token;
  let reg = await call(base, token, "POST", "/api/v1/agents", LOCAL_AGENT);
  if (reg.status === 409) {
    const tokens = await call(base, token, "GET", "/api/v1/tokens");
    const old = tokens.body.tokens.find((t) => t.role === "agent" && t.name === `agent ${LOCAL_AGENT.id}`);
    if (old) await call(base, token, "DELETE", `/api/v1/tokens/${old.id}`);
    reg = await call(base, token, "POST", "/api/v1/agents", LOCAL_AGENT);
  }
  if (reg.status !== 201) throw new Error(`could not register the local agent: ${reg.status} ${JSON.stringify(reg.body)}`);
  writeFileSync(file, JSON.stringify({ id: LOCAL_AGENT.id, token: reg.body.token }), { mode: 0o600 });
  return reg.body.token;
}

/** One local probe agent, its logs passed through with a prefix. */
async function startLocalAgent(base, token) {
  const dataDir = path.join(persistTo ?? path.join(cwd, ".wrangler"), "local-agent");
  mkdirSync(dataDir, { recursive: true });
  const agentToken = await localAgentToken(base, token, dataDir);
  // The bundle the container ships (scripts/build-agent.mjs), built from the sources here.
  const { agent } = await buildAgent();
  const child = spawn(nodeBinary(), ["--max-semi-space-size=2", agent], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      EDGE_URL: base,
      AGENT_TOKEN: agentToken,
      AGENT_DATA_DIR: dataDir,
      AGENT_LISTEN: process.env.AGENT_LISTEN ?? "127.0.0.1:0",
      ASSIGNMENTS_REFRESH_S: "10",
    },
  });
  for (const stream of [child.stdout, child.stderr]) {
    let buf = "";
    stream.on("data", (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        process.stdout.write(`[agent] ${buf.slice(0, i)}\n`);
        buf = buf.slice(i + 1);
      }
    });
  }
  say(`started the local probe agent "${LOCAL_AGENT.id}" (location "${LOCAL_AGENT.location}", data in ${dataDir})`);
  return child;
}

async function main() {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`PORT must be a port number, got "${process.env.PORT}"`);
  const admin = adminToken(cwd);
  say(admin.source === "generated" ? `generated an admin token and wrote it to ${admin.file}` : `admin token from ${admin.source}`);

  say("applying D1 migrations (local)");
  await applyMigrations({ cwd, persistTo });

  const vars = Object.fromEntries(WORKER_SETTINGS.filter((k) => process.env[k]).map((k) => [k, process.env[k]]));
  // The demo's edge monitor checks this Worker's own /healthz on loopback, which the egress policy refuses
  // by default: allow loopback for it, unless the operator set EGRESS_ALLOW (or seeds no demo).
  if (!process.env.EGRESS_ALLOW && process.env.UPTIME_SEED !== "false") {
    vars.EGRESS_ALLOW = LOOPBACK_EGRESS_ALLOW;
    say(`egress: allowing loopback for the demo monitors (EGRESS_ALLOW=${LOOPBACK_EGRESS_ALLOW}); set EGRESS_ALLOW to choose`);
  }
  say(
    `starting the Worker on http://127.0.0.1:${port} (${process.env.INFLUX_URL ? `InfluxDB at ${process.env.INFLUX_URL}` : "embedded point store in D1"})`,
  );
  const worker = await startWorker({ cwd, ip, port, persistTo, vars, onLine: (l) => process.stdout.write(`${l}\n`) });

  const base = `http://127.0.0.1:${port}`;
  const withAgent = process.env.UPTIME_AGENT !== "false";
  if (process.env.UPTIME_SEED !== "false") await seedDemo(base, admin.token, withAgent);
  const agent = withAgent ? await startLocalAgent(base, admin.token) : null;

  const stopScheduler = startScheduler(
    async () => {
      const at = new Date(); // the minute this firing stands for, before the tick takes its time
      await worker.tick();
      if (isTrimMinute(at)) await worker.tick(undefined, TRIM_CRON);
    },
    {
      everyMs: tickMs,
      onError: (e) => say(`cron tick failed: ${e.message}`),
    },
  );

  say(`ready: http://127.0.0.1:${port}`);
  for (const line of adminTokenLines(admin, `http://127.0.0.1:${port}`)) say(line);
  say(`cron: the scheduled handler fires every ${tickMs / 1000} s, and the daily trim at 03:17 UTC`);

  let stopping = false;
  const shutdown = async (signal) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping`);
    stopScheduler();
    if (agent && agent.exitCode === null) {
      const exited = new Promise((r) => agent.once("exit", r));
      agent.kill("SIGTERM");
      await exited;
    }
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
