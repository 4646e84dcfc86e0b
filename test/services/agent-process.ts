// A real probe agent as a child process, for cross-process tests: start, SIGKILL, restart on the same
// data directory, read its /healthz and /metrics. It runs the bundle the container ships
// (probe-agent/dist/agent.mjs, built once per test process from the current sources).
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const NODE = path.join(ROOT, "node_modules/.bin/node");

/** Node flags the agent ships with (probe-agent/Dockerfile, npm run agent, npm start). */
export const AGENT_NODE_ARGS = ["--max-semi-space-size=2"];

export type AgentProcessOptions = {
  edgeUrl: string;
  token: string;
  dataDir: string;
  env?: Record<string, string>;
  /** Default AGENT_NODE_ARGS. */
  nodeArgs?: string[];
  /** Default: the bundle (agentBundle()). */
  script?: string;
};

let bundle: Promise<string> | null = null;
/** Builds probe-agent/dist/agent.mjs from the current sources, once per process. */
export function agentBundle(): Promise<string> {
  bundle ??= import(path.join(ROOT, "scripts/build-agent.mjs"))
    .then((m: { buildAgent: () => Promise<{ agent: string }> }) => m.buildAgent())
    .then((b) => b.agent);
  return bundle;
}

export type AgentProcess = {
  readonly url: string;
  readonly logs: Array<Record<string, any>>;
  readonly running: boolean;
  readonly pid: number | undefined;
  health(): Promise<{ status: number; body: any }>;
  metrics(): Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  restart(): Promise<void>;
};

export async function startAgentProcess(o: AgentProcessOptions): Promise<AgentProcess> {
  const script = o.script ?? (await agentBundle());
  const logs: Array<Record<string, any>> = [];
  let child: ChildProcess | null = null;
  let url = "";

  const launch = () =>
    new Promise<void>((resolve, reject) => {
      const proc = spawn(NODE, [...(o.nodeArgs ?? AGENT_NODE_ARGS), script], {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          ...process.env,
          EDGE_URL: o.edgeUrl,
          AGENT_TOKEN: o.token,
          AGENT_DATA_DIR: o.dataDir,
          AGENT_LISTEN: "127.0.0.1:0",
          LOG_LEVEL: "info",
          ...o.env,
        },
      });
      child = proc;
      let buf = "";
      let stderr = "";
      const timer = setTimeout(
        () => reject(new Error(`agent did not start within 30 s:\n${stderr}\n${JSON.stringify(logs.slice(-5))}`)),
        30_000,
      );
      proc.stdout!.on("data", (d) => {
        buf += d;
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          try {
            const rec = JSON.parse(line);
            logs.push(rec);
            if (rec.msg === "agent started") {
              url = rec.listen;
              clearTimeout(timer);
              resolve();
            }
          } catch {
            /* not JSON */
          }
        }
      });
      proc.stderr!.on("data", (d) => (stderr += d));
      proc.on("exit", (code) => {
        clearTimeout(timer);
        if (!url) reject(new Error(`agent exited ${code} before starting:\n${stderr}\n${JSON.stringify(logs.slice(-5))}`));
      });
    });

  await launch();
  return {
    get url() {
      return url;
    },
    logs,
    get running() {
      return child !== null && child.exitCode === null && child.signalCode === null;
    },
    get pid() {
      return (child as ChildProcess | null)?.pid;
    },
    async health() {
      const res = await fetch(`${url}/healthz`);
      return { status: res.status, body: await res.json() };
    },
    async metrics() {
      return (await fetch(`${url}/metrics`)).text();
    },
    kill(signal: NodeJS.Signals = "SIGTERM") {
      const proc = child;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc?.exitCode ?? null);
      return new Promise((resolve) => {
        proc.once("exit", (code) => resolve(code));
        proc.kill(signal);
      });
    },
    async restart() {
      url = "";
      await launch();
    },
  };
}
