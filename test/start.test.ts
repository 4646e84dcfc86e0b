// `npm start` on a fresh copy of the repo: migrations on an empty D1, a generated admin token,
// the API answering with it, and the cron handler fired by the local scheduler.
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain ESM helper without types
import { ROOT, freePort, nodeBinary } from "../scripts/lib/proc.mjs";

let dir: string;
let child: ChildProcess;
let output = "";
let port: number;

function waitFor(pattern: RegExp, timeoutMs = 90_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const m = pattern.exec(output);
      if (m) {
        clearInterval(timer);
        resolve(m);
      } else if (child.exitCode !== null || Date.now() > deadline) {
        clearInterval(timer);
        reject(new Error(`waiting for ${pattern}: ${child.exitCode !== null ? `exited ${child.exitCode}` : "timed out"}\n${output}`));
      }
    }, 100);
    const deadline = Date.now() + timeoutMs;
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "ium-start-"));
  for (const entry of ["package.json", "wrangler.toml", "tsconfig.base.json", "edge", "contract", "scripts", "probe-agent", "ui"])
    cpSync(path.join(ROOT, entry), path.join(dir, entry), {
      recursive: true,
      filter: (src) => !src.includes(".wrangler") && !src.includes("ui/dist"),
    });
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), UPTIME_TICK_MS: "2000" };
  delete env.ADMIN_TOKEN;
  child = spawn(nodeBinary(), ["scripts/start.mjs"], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe("npm start on a fresh checkout", () => {
  it("generates an admin token, writes it to .dev.vars and prints it", async () => {
    const [, token] = await waitFor(/\[start\] admin token: (\S+)/);
    expect(output).toContain("generated an admin token");
    expect(readFileSync(path.join(dir, ".dev.vars"), "utf8")).toBe(`ADMIN_TOKEN="${token}"\n`);
  });

  it("serves /healthz and the monitors API with that token, as the README shows", async () => {
    const [, token] = await waitFor(/\[start\] admin token: (\S+)/);
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const created = await fetch(`${base}/api/v1/monitors`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ id: "homepage", name: "Homepage", kind: "http", target: `${base}/healthz` }),
    });
    expect(created.status).toBe(201);
    expect((await fetch(`${base}/api/v1/monitors/homepage`, { headers: auth })).status).toBe(200);
    const patched = await fetch(`${base}/api/v1/monitors/homepage`, {
      method: "PATCH",
      headers: auth,
      body: JSON.stringify({ interval_s: 120 }),
    });
    expect(((await patched.json()) as { interval_s: number }).interval_s).toBe(120);
    expect((await fetch(`${base}/api/v1/monitors/homepage`, { method: "DELETE", headers: auth })).status).toBe(204);
    expect((await fetch(`${base}/api/v1/monitors`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
  });

  it("fires the Worker's cron handler on its schedule, which checks the seeded demo monitor", async () => {
    const [, token] = await waitFor(/\[start\] admin token: (\S+)/);
    expect(output).toContain('seeded demo monitor "worker-healthz"');
    await waitFor(/"msg":"tick done"[^\n]*\n[\s\S]*"msg":"tick done"/, 30_000);
    const deadline = Date.now() + 20_000;
    let state: { status: string; last_check_at: string | null } = { status: "pending", last_check_at: null };
    while (Date.now() < deadline && state.status !== "up") {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/monitors/worker-healthz`, { headers: { authorization: `Bearer ${token}` } });
      state = ((await res.json()) as { state: typeof state }).state;
      if (state.status !== "up") await new Promise((r) => setTimeout(r, 500));
    }
    expect(state.status).toBe("up");
    expect(state.last_check_at).not.toBeNull();
  });

  it("starts a local agent, registered automatically, whose ICMP and TCP demo monitors come up", async () => {
    const [, token] = await waitFor(/\[start\] admin token: (\S+)/);
    await waitFor(/started the local probe agent "local"/);
    const auth = { authorization: `Bearer ${token}` };
    const agents = (await (await fetch(`http://127.0.0.1:${port}/api/v1/agents`, { headers: auth })).json()) as {
      agents: Array<{ id: string; location: string }>;
    };
    expect(agents.agents.map((a) => `${a.id}@${a.location}`)).toEqual(["local@local"]);
    const deadline = Date.now() + 45_000;
    const status: Record<string, string> = {};
    while (Date.now() < deadline) {
      for (const id of ["loopback-icmp", "worker-tcp"]) {
        const m = (await (await fetch(`http://127.0.0.1:${port}/api/v1/monitors/${id}`, { headers: auth })).json()) as {
          state: { status: string };
        };
        status[id] = m.state.status;
      }
      if (status["loopback-icmp"] === "up" && status["worker-tcp"] === "up") break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(status).toEqual({ "loopback-icmp": "up", "worker-tcp": "up" });
    expect(output).toMatch(/\[agent\] \{.*"msg":"agent started"/);
  });

  it("stops cleanly on SIGTERM", async () => {
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
