#!/usr/bin/env node
// docker-compose.yml's agent-register job: registers the stack's probe agent with the edge once, keeps its token
// in a file for the agent container (a token is shown only once), and seeds demo monitors for it.
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const env = process.env;
const base = (env.EDGE_URL ?? "http://edge:8787").replace(/\/+$/, "");
const admin = env.ADMIN_TOKEN;
const id = env.AGENT_ID || "compose-1";
const location = env.AGENT_LOCATION || "compose";
const file = env.AGENT_TOKEN_FILE || "/run/agent/token";
const say = (m) => process.stdout.write(`[agent-register] ${m}\n`);

async function call(method, path, body, token = admin) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed };
}

/** The token in the file, if the edge still knows it (its D1 volume may have been reset since). */
async function keptToken() {
  if (!existsSync(file)) return null;
  const token = readFileSync(file, "utf8").trim();
  if (!token) return null;
  const r = await call("GET", "/api/v1/agents/me/assignments", undefined, token);
  return r.status === 200 ? token : null;
}

async function register() {
  let reg = await call("POST", "/api/v1/agents", { id, location });
  if (reg.status === 409) {
    // Registered before, but its token is lost: revoke the old one and register again.
    const tokens = await call("GET", "/api/v1/tokens");
    const old = tokens.body?.tokens?.find((t) => t.role === "agent" && t.name === `agent ${id}`);
    // Revoking the token removes the registration with it (agents.token_id cascades), as npm start does.
    if (old) await call("DELETE", `/api/v1/tokens/${old.id}`);
    reg = await call("POST", "/api/v1/agents", { id, location });
  }
  if (reg.status !== 201) throw new Error(`could not register agent "${id}": ${reg.status} ${JSON.stringify(reg.body)}`);
  writeFileSync(file, `${reg.body.token}\n`, { mode: 0o600 });
  say(`registered agent "${id}" in location "${location}"; its token is in ${file}`);
}

/** Checks the agent can run inside the stack with no internet: the stack's own InfluxDB and Grafana. */
async function seed() {
  const demos = [
    {
      id: "influxdb-tcp",
      name: "InfluxDB port",
      group: "Stack",
      kind: "tcp",
      target: "influxdb:8086",
      interval_s: 30,
      locations: [location],
    },
    { id: "influxdb-icmp", name: "InfluxDB host", group: "Stack", kind: "icmp", target: "influxdb", interval_s: 30, locations: [location] },
    {
      id: "grafana-http",
      name: "Grafana health",
      group: "Stack",
      kind: "http",
      runner: "agent",
      target: "http://grafana:3000/api/health",
      interval_s: 30,
      locations: [location],
    },
  ];
  for (const m of demos) {
    const r = await call("POST", "/api/v1/monitors", m);
    if (r.status === 201) say(`seeded demo monitor "${m.id}" (${m.target})`);
    else if (r.status !== 409) say(`could not seed demo monitor "${m.id}": ${r.status} ${JSON.stringify(r.body)}`);
  }
}

try {
  if (!admin) throw new Error("ADMIN_TOKEN is not set");
  if (await keptToken()) say(`agent "${id}" is registered and its token in ${file} works`);
  else await register();
  if (env.UPTIME_SEED !== "false") await seed();
} catch (e) {
  say(`failed: ${e.message}`);
  process.exit(1);
}
