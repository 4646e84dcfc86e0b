// Runs a real InfluxDB 1.x (Debian's `influxd`) for tests and benchmarks: temp data dir, ephemeral ports, stop/restart on demand.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { constants } from "node:fs";
import { access, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export type InfluxStartOptions = {
  /** Turn on `auth-enabled` and create an admin user (returned as username/password). */
  auth?: boolean;
  /** Milliseconds to wait for /ping after (re)starting; default 30 s. */
  readyTimeoutMs?: number;
  /** Pass influxd's own log through to this process's stderr (default: kept, shown only when start fails). */
  verbose?: boolean;
};

/** What the tests need to reach the server; serialisable, so globalSetup can `provide` it. */
export type InfluxEndpoint = { url: string; username?: string; password?: string };

export type InfluxServer = InfluxEndpoint & {
  /** Data, WAL and meta live here until destroy(). */
  readonly dir: string;
  /** True while the influxd process is alive. */
  readonly running: boolean;
  /** Starts influxd again on the same port with the same data (after stop() or kill()). */
  start(): Promise<void>;
  /** Graceful shutdown (SIGTERM); resolves once the process has exited and the port is free. */
  stop(): Promise<void>;
  /** Abrupt crash (SIGKILL); resolves once the process has exited. */
  kill(): Promise<void>;
  /** Stops the server and deletes its data directory. */
  destroy(): Promise<void>;
};

/** A free TCP port on 127.0.0.1, found by listening on port 0 and closing again. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error("could not find a free port"))));
    });
  });
}

async function which(cmd: string): Promise<string | null> {
  // /usr/bin last: apt installs there even when PATH is unusual.
  for (const dir of [...(process.env.PATH ?? "").split(path.delimiter), "/usr/bin"]) {
    if (!dir) continue;
    const candidate = path.join(dir, cmd);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* not here */
    }
  }
  return null;
}

let installing: Promise<string> | null = null;

/**
 * The path of `influxd`: $INFLUXD, then PATH, else installs Debian's `influxdb` package with apt
 * (needs root, as in CI). The package's own service is never used; policy-rc.d usually keeps it from starting.
 */
export function ensureInfluxd(): Promise<string> {
  installing ??= (async () => {
    const explicit = process.env.INFLUXD;
    if (explicit) return explicit;
    const found = await which("influxd");
    if (found) return found;
    if (process.getuid?.() !== 0)
      throw new Error(
        "influxd is not installed and this process is not root: run `apt-get install -y influxdb` (Debian) or set INFLUXD=/path/to/influxd",
      );
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const apt = (args: string[]) => run("apt-get", ["-o", "DPkg::Lock::Timeout=300", ...args], { env, maxBuffer: 64 << 20 });
    try {
      await apt(["install", "-y", "--no-install-recommends", "influxdb"]);
    } catch {
      // The package lists may be missing or stale: refresh once and try again.
      await apt(["update"]);
      await apt(["install", "-y", "--no-install-recommends", "influxdb"]);
    }
    const installed = await which("influxd");
    if (!installed) throw new Error("apt-get installed influxdb but influxd is not on PATH");
    return installed;
  })();
  installing.catch(() => (installing = null));
  return installing;
}

function config(dir: string, httpPort: number, rpcPort: number, auth: boolean): string {
  const q = (s: string) => JSON.stringify(s);
  return `# Written by test/services/influxdb.ts: a throwaway server for tests.
reporting-disabled = true
bind-address = ${q(`127.0.0.1:${rpcPort}`)}

[meta]
  dir = ${q(path.join(dir, "meta"))}
  logging-enabled = false

[data]
  dir = ${q(path.join(dir, "data"))}
  wal-dir = ${q(path.join(dir, "wal"))}
  query-log-enabled = false
  wal-fsync-delay = "0s"

[coordinator]
  log-queries-after = "0s"

[retention]
  enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = ${q(`127.0.0.1:${httpPort}`)}
  auth-enabled = ${auth}
  log-enabled = false
  pprof-enabled = false
  max-body-size = 0

[logging]
  level = "warn"

[continuous_queries]
  enabled = false

[[graphite]]
  enabled = false
[[collectd]]
  enabled = false
[[opentsdb]]
  enabled = false
[[udp]]
  enabled = false
`;
}

// If the test runner dies without tearing down, don't leave servers behind: kill whatever is still running on exit.
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(proc: ChildProcess): void {
  live.add(proc);
  proc.once("exit", () => live.delete(proc));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const p of live) p.kill("SIGKILL");
    });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitReady(url: string, child: ChildProcess, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`influxd exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${log()}`);
    try {
      const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 204) return;
    } catch {
      /* not listening yet */
    }
    await sleep(50);
  }
  throw new Error(`influxd did not answer ${url}/ping with 204 within ${timeoutMs} ms:\n${log()}`);
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Starts a private influxd and waits until it answers /ping. Call destroy() when done. */
export async function startInflux(opts: InfluxStartOptions = {}): Promise<InfluxServer> {
  const binary = await ensureInfluxd();
  const dir = await mkdtemp(path.join(tmpdir(), "influxdb-test-"));
  const [httpPort, rpcPort] = [await freePort(), await freePort()];
  const confPath = path.join(dir, "influxdb.conf");
  await writeFile(confPath, config(dir, httpPort, rpcPort, Boolean(opts.auth)));
  const url = `http://127.0.0.1:${httpPort}`;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
  const credentials = opts.auth ? { username: "admin", password: `pw-${Math.random().toString(36).slice(2)}` } : null;

  let child: ChildProcess | null = null;
  let output = "";

  async function launch(): Promise<void> {
    if (child && child.exitCode === null && child.signalCode === null) return;
    output = "";
    const proc = spawn(binary, ["-config", confPath], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, INFLUXDB_DATA_QUERY_LOG_ENABLED: "false" },
    });
    const keep = (chunk: Buffer) => {
      if (opts.verbose) process.stderr.write(chunk);
      output = (output + chunk.toString()).slice(-8000);
    };
    proc.stdout?.on("data", keep);
    proc.stderr?.on("data", keep);
    child = proc;
    track(proc);
    try {
      await waitReady(url, proc, readyTimeoutMs, () => output);
    } catch (e) {
      proc.kill("SIGKILL");
      await exited(proc);
      throw e;
    }
  }

  async function signal(sig: NodeJS.Signals): Promise<void> {
    const proc = child;
    if (!proc) return;
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill(sig);
      const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
      await exited(proc);
      clearTimeout(timer);
    }
    child = null;
  }

  await launch();
  if (credentials) {
    // InfluxDB 1.x lets anyone create the first admin user while there are no users.
    await influxQuery(url, `CREATE USER "${credentials.username}" WITH PASSWORD '${credentials.password}' WITH ALL PRIVILEGES`);
  }

  return {
    url,
    ...(credentials ?? {}),
    dir,
    get running() {
      return child !== null && child.exitCode === null && child.signalCode === null;
    },
    start: launch,
    stop: () => signal("SIGTERM"),
    kill: () => signal("SIGKILL"),
    async destroy() {
      await signal("SIGTERM");
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Runs one InfluxQL statement as POST /query (needed for CREATE/DROP); throws on any error the server reports. */
export async function influxQuery(url: string, q: string, auth?: { username?: string; password?: string }, db?: string): Promise<unknown> {
  const params = new URLSearchParams({ q });
  if (db) params.set("db", db);
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (auth?.username) headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password ?? ""}`).toString("base64")}`;
  const res = await fetch(`${url}/query`, { method: "POST", headers, body: params });
  const text = await res.text();
  let body: { error?: string; results?: { error?: string }[] } = {};
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  const error = body.error ?? body.results?.find((r) => r.error)?.error;
  if (!res.ok || error) throw new Error(`InfluxDB ${res.status} for ${q}: ${error ?? text}`);
  return body;
}

/** Creates a database (no-op when it exists), optionally with a retention policy as its default. */
export async function createDatabase(
  server: InfluxEndpoint,
  name: string,
  retentionPolicy?: { name: string; duration?: string },
): Promise<void> {
  const id = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  await influxQuery(server.url, `CREATE DATABASE ${id(name)}`, server);
  if (retentionPolicy)
    await influxQuery(
      server.url,
      `CREATE RETENTION POLICY ${id(retentionPolicy.name)} ON ${id(name)} DURATION ${retentionPolicy.duration ?? "INF"} REPLICATION 1`,
      server,
    );
}

export async function dropDatabase(server: InfluxEndpoint, name: string): Promise<void> {
  await influxQuery(server.url, `DROP DATABASE "${name.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`, server);
}
