// Test support for the agent runtime: a stand-in edge (real node:http on port 0) that speaks the
// assignments/results protocol, a local TCP target, and a small real TCP check to run against it.
import { createHash } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { Monitor, parseHostPort, type CheckResult, type MonitorInput, type MonitorSpec } from "../../contract/index.ts";
import type { CheckOutcome } from "../src/checks/types.ts";
import type { AgentConfig } from "../src/config.ts";
import { nextDue } from "../src/scheduler.ts";

export type Reply = { status: number; headers?: Record<string, string>; body?: unknown };
export type Received = { method: string; path: string; headers: IncomingHttpHeaders; body: string; at: number };
export type ResultsBody = { version?: string; backlog?: number; results: CheckResult[] };

/**
 * A stand-in for the edge's agent API: protocol behaviour only (the real Worker is tested end to
 * end elsewhere). `results` answers POST /api/v1/results; the default stores by id and answers 202.
 */
export class EdgeStub {
  url = "";
  /** The agent tokens it accepts; anything else is answered 401 (a test rotates a token by changing this). */
  tokens: string[] = ["test-agent-token"];
  readonly requests: Received[] = [];
  /** Results acknowledged with 2xx, each id once. */
  readonly stored = new Map<string, CheckResult>();
  /** Results acknowledged as duplicates (sent again after the edge had stored them). */
  duplicates = 0;
  assignments: { agent: string; location: string; monitors: unknown[] } = { agent: "dc1-a", location: "dc1", monitors: [] };
  /** Overrides for the next answers to GET assignments (consumed in order), then the default. */
  assignmentReplies: Reply[] = [];
  /** Decides the answer to a results push; null = the default (store, 202). */
  results: ((body: ResultsBody, n: number) => Reply | null | "hang" | "destroy") | null = null;
  private server: Server | null = null;
  private pushes = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (c: string) => (body += c));
      req.on("end", () => {
        const path = (req.url ?? "/").split("?")[0]!;
        this.requests.push({ method: req.method ?? "", path, headers: req.headers, body, at: Date.now() });
        const reply = this.answer(req.method ?? "", path, req.headers, body);
        if (reply === "hang") return;
        if (reply === "destroy") return req.socket.destroy();
        const text = reply.body === undefined ? "" : typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
        res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
        res.end(text);
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  pushesReceived(): Received[] {
    return this.requests.filter((r) => r.method === "POST" && r.path === "/api/v1/results");
  }

  private answer(method: string, path: string, headers: IncomingHttpHeaders, body: string): Reply | "hang" | "destroy" {
    if (!this.tokens.some((t) => headers.authorization === `Bearer ${t}`))
      return { status: 401, body: { error: { code: "unauthorized", message: "bad token" } } };
    if (method === "GET" && path === "/api/v1/agents/me/assignments") {
      const scripted = this.assignmentReplies.shift();
      if (scripted) return scripted;
      const text = JSON.stringify(this.assignments);
      const etag = `"${createHash("sha256").update(text).digest("hex").slice(0, 16)}"`;
      if (headers["if-none-match"] === etag) return { status: 304, headers: { etag } };
      return { status: 200, headers: { etag }, body: text };
    }
    if (method === "POST" && path === "/api/v1/results") {
      const parsed = JSON.parse(body) as ResultsBody;
      const custom = this.results?.(parsed, ++this.pushes);
      if (custom === "hang" || custom === "destroy") return custom;
      if (custom) return custom;
      let accepted = 0;
      let duplicates = 0;
      for (const r of parsed.results) {
        if (this.stored.has(r.id)) duplicates++;
        else {
          this.stored.set(r.id, r);
          accepted++;
        }
      }
      this.duplicates += duplicates;
      return { status: 202, body: { accepted, duplicates } };
    }
    return { status: 404, body: { error: { code: "not_found", message: "no such route" } } };
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}

/** A TCP target on 127.0.0.1: accepts, and writes one byte after `delayMs` (so a check's duration is the test's choice). */
export async function startTarget(delayMs = 0): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  let n = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    n++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    const t = setTimeout(() => socket.end("+"), delayMs);
    socket.on("close", () => clearTimeout(t));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => n,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A small real check: connect to host:port and wait for the first byte, within timeout_ms. */
export function tcpFirstByte(monitor: MonitorSpec): Promise<CheckOutcome> {
  const hp = parseHostPort(monitor.target);
  if (typeof hp === "string") return Promise.resolve({ ok: false, latency_ms: null, error: { kind: "other", message: hp } });
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = net.connect({ host: hp.host, port: hp.port });
    const done = (o: CheckOutcome) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(o);
    };
    const timer = setTimeout(
      () => done({ ok: false, latency_ms: null, error: { kind: "timeout", message: `no byte within ${monitor.timeout_ms} ms` } }),
      monitor.timeout_ms,
    );
    socket.once("data", () => done({ ok: true, latency_ms: performance.now() - started, error: null, tcp: { port: hp.port } }));
    socket.once("error", (e: NodeJS.ErrnoException) =>
      done({ ok: false, latency_ms: null, error: { kind: e.code === "ECONNREFUSED" ? "refused" : "connection", message: e.message } }),
    );
  });
}

/** A tcp monitor as the edge would send it (validated), with the scheduler-only overrides tests need. */
export function tcpMonitor(id: string, port: number, extra: Partial<MonitorInput> = {}): MonitorSpec {
  return Monitor.parse({ id, kind: "tcp", target: `127.0.0.1:${port}`, interval_s: 10, timeout_ms: 2000, ...extra });
}

/**
 * Monitor ids (prefix-N) whose next slot for `intervalMs` falls between minMs and maxMs from now,
 * so a test with the contract's 10 s minimum interval need not wait a whole interval.
 */
export function idsDueSoon(prefix: string, count: number, intervalMs: number, minMs = 300, maxMs = 2500): string[] {
  const out: string[] = [];
  const now = Date.now();
  for (let i = 0; out.length < count && i < 1_000_000; i++) {
    const id = `${prefix}-${i}`;
    const wait = nextDue(id, intervalMs, now) - now;
    if (wait >= minMs && wait <= maxMs) out.push(id);
  }
  return out;
}

/** Agent configuration for tests: everything local, port 0, short waits. */
export function testConfig(edgeUrl: string, dataDir: string, extra: Partial<AgentConfig> = {}): AgentConfig {
  return {
    edgeUrl,
    token: "test-agent-token",
    listen: { host: "127.0.0.1", port: 0 },
    dataDir,
    outboxMaxResults: 100_000,
    outboxMaxAgeMs: 7 * 86_400_000,
    concurrency: 16,
    assignmentsRefreshMs: 1000,
    pushBatch: 500,
    shutdownTimeoutMs: 5000,
    logLevel: "silent",
    edgeProxy: null,
    ...extra,
  };
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs = 10_000, what = "condition"): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A forward proxy on loopback that tunnels CONNECT requests and records each one as
 * `host:port` plus its Proxy-Authorization header, if any.
 */
export async function startConnectProxy(): Promise<{ url: string; tunnels: string[]; close(): Promise<void> }> {
  const tunnels: string[] = [];
  const open = new Set<net.Socket>();
  const proxy = createServer();
  proxy.on("connect", (req, client: net.Socket) => {
    tunnels.push(`${req.url} ${req.headers["proxy-authorization"] ?? ""}`.trim());
    const [host, port] = req.url!.split(":");
    const upstream = net.connect(Number(port), host!, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const sock of [client, upstream]) {
      open.add(sock);
      sock.on("close", () => open.delete(sock));
      sock.on("error", () => {});
    }
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(proxy.address() as { port: number }).port}`,
    tunnels,
    close: async () => {
      for (const sock of open) sock.destroy();
      await new Promise((r) => proxy.close(r));
    },
  };
}
