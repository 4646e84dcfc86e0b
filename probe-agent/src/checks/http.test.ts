// The agent's HTTP check against a local node:http server (and an HTTPS one with a certificate made here).
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Monitor, type MonitorSpec } from "../../../contract/index.ts";
import { createSilentHost, netnsUnavailable, type SilentHost } from "../../../test/services/netns.ts";
import { defaultDeps } from "./deps.ts";
import { MAX_BODY_BYTES, MAX_REDIRECTS } from "../../../contract/http-rules.ts";
import { checkHttp, USER_AGENT } from "./http.ts";
import { waitFor } from "../../test/helpers.ts";

type HttpMonitor = Extract<MonitorSpec, { kind: "http" }>;
const run = promisify(execFile);

function monitor(target: string, http: Record<string, unknown> = {}, timeout_ms = 3000): HttpMonitor {
  return Monitor.parse({ id: "h", kind: "http", target, runner: "agent", timeout_ms, http }) as HttpMonitor;
}

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A server on an ephemeral loopback port; it records every request and destroys open sockets on close. */
async function listen(server: Server) {
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    sockets,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const seen: Seen[] = [];
const connections = { count: 0 };
function route(req: IncomingMessage, res: ServerResponse, body: string) {
  const url = new URL(req.url!, "http://x");
  seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
  const p = url.pathname;
  let m: RegExpExecArray | null;
  if (p === "/ok") return res.end("hello, world: all systems operational");
  if ((m = /^\/status\/(\d+)$/.exec(p))) {
    res.statusCode = Number(m[1]);
    if (url.searchParams.has("location")) res.setHeader("location", url.searchParams.get("location")!);
    if (m[1] === "522") res.setHeader("cf-ray", "8f00000000000000-AMS");
    return res.end("status page");
  }
  if ((m = /^\/redirect\/(\d+)$/.exec(p))) {
    const n = Number(m[1]);
    res.writeHead(302, { location: n > 1 ? `/redirect/${n - 1}` : "/ok" });
    return res.end();
  }
  if (p === "/loop") {
    res.writeHead(301, { location: "/loop" });
    return res.end();
  }
  if (p === "/see-other") {
    res.writeHead(303, { location: "/echo" });
    return res.end();
  }
  if (p === "/echo") return res.end(JSON.stringify({ method: req.method, body }));
  if (p === "/slow-headers") return void setTimeout(() => res.end("late"), 5000);
  if (p === "/slow-body") {
    res.writeHead(200, { "content-type": "text/plain" });
    res.write("first part; ");
    return; // the rest never comes
  }
  if (p === "/big") {
    res.writeHead(200, { "content-type": "text/plain" });
    res.write("x".repeat(MAX_BODY_BYTES));
    return res.end("needle after the limit");
  }
  if (p === "/chunked") {
    res.write("abc");
    return res.end("def");
  }
  if (p === "/reset") return req.socket.resetAndDestroy();
  if (p === "/garbage") {
    req.socket.end("SSH-2.0-not-http\r\n\r\n");
    return;
  }
  res.statusCode = 404;
  res.end("not found");
}

function handler(req: IncomingMessage, res: ServerResponse) {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (d: string) => (body += d));
  req.on("end", () => route(req, res, body));
}

describe("http check against a local server", () => {
  let base: string;
  let srv: Awaited<ReturnType<typeof listen>>;
  const deps = defaultDeps();
  beforeAll(async () => {
    const server = createServer(handler);
    server.on("connection", () => connections.count++);
    srv = await listen(server);
    base = `http://127.0.0.1:${srv.port}`;
  });
  afterAll(async () => {
    await srv?.close();
  });

  it("is up on 200, with status, content length, time to headers, and its own User-Agent", async () => {
    seen.length = 0;
    const t0 = performance.now();
    const r = await checkHttp(monitor(`${base}/ok`), deps);
    const elapsed = performance.now() - t0;
    expect(r).toMatchObject({ ok: true, error: null, http: { status: 200, content_length: 37 } });
    expect(r.latency_ms).toBeGreaterThan(0);
    expect(r.latency_ms).toBeLessThanOrEqual(elapsed);
    expect(seen[0]!.headers["user-agent"]).toBe(USER_AGENT);
  });

  /** Waits until the server holds no connection; fails after `ms`. */
  async function closedWithin(ms: number) {
    await waitFor(() => srv.sockets.size === 0, ms, `the server's connections to close (${ms} ms)`);
    expect(srv.sockets.size, `connections still open after ${ms} ms`).toBe(0);
  }

  it("opens its own connection for every check (a refused port is never hidden by a pooled one) and closes it after", async () => {
    const before = connections.count;
    await checkHttp(monitor(`${base}/ok`), deps);
    await checkHttp(monitor(`${base}/ok`), deps);
    expect(connections.count - before).toBe(2);
    // The agent closes its side as soon as the answer is read: no connection is left open on the server.
    await closedWithin(2000);
  });

  it("closes the connection after a redirect hop and after a body it did not read to the end", async () => {
    const before = connections.count;
    const r = await checkHttp(monitor(`${base}/redirect/1`, { keyword: "operational" }), deps);
    expect(r.ok).toBe(true);
    await checkHttp(monitor(`${base}/big`), deps);
    expect(connections.count - before).toBe(3);
    await closedWithin(2000);
  });

  it("fails on an unexpected status, worded as the edge check words it", async () => {
    const r = await checkHttp(monitor(`${base}/status/503`), deps);
    expect(r).toMatchObject({ ok: false, http: { status: 503 } });
    expect(r.error).toEqual({ kind: "status", message: `GET ${base}/status/503: got 503 Service Unavailable, expected 2xx` });
    const listed = await checkHttp(monitor(`${base}/status/404`, { expected_status: ["200", 204, "3xx"] }), deps);
    expect(listed.error?.message).toBe(`GET ${base}/status/404: got 404 Not Found, expected 200, 204 or 3xx`);
  });

  it("accepts expected codes and classes", async () => {
    expect((await checkHttp(monitor(`${base}/status/404`, { expected_status: ["404"] }), deps)).ok).toBe(true);
    expect((await checkHttp(monitor(`${base}/status/418`, { expected_status: ["2xx", "4xx"] }), deps)).ok).toBe(true);
  });

  it("follows redirects, counting them in the message", async () => {
    const r = await checkHttp(monitor(`${base}/redirect/3`, { expected_status: ["500"] }), deps);
    expect(r.error?.message).toBe(`GET ${base}/ok (after 3 redirects from ${base}/redirect/3): got 200 OK, expected 500`);
    expect((await checkHttp(monitor(`${base}/redirect/${MAX_REDIRECTS}`), deps)).ok).toBe(true);
  });

  it("stops after 10 redirects, and says when a URL redirects to itself", async () => {
    const r = await checkHttp(monitor(`${base}/redirect/${MAX_REDIRECTS + 1}`), deps);
    expect(r.error?.kind).toBe("other");
    expect(r.error?.message).toBe(
      `too many redirects: ${base}/redirect/11 was still redirecting after 10 hops (the limit); ${base}/redirect/1 answered 302 Found to /ok`,
    );
    const loop = await checkHttp(monitor(`${base}/loop`), deps);
    expect(loop.error?.message).toMatch(/to \/loop \(it redirects to itself\)$/);
  });

  it("reports a redirect as a status when follow_redirects is off", async () => {
    const r = await checkHttp(monitor(`${base}/redirect/1`, { follow_redirects: false }), deps);
    expect(r.error).toEqual({ kind: "status", message: `GET ${base}/redirect/1: got 302 Found (Location: /ok), expected 2xx` });
  });

  it("sends method, headers and body, and a 303 turns a POST into a GET", async () => {
    seen.length = 0;
    const r = await checkHttp(
      monitor(`${base}/see-other`, {
        method: "POST",
        headers: { "X-Probe": "1", "Content-Type": "application/json" },
        body: '{"ping":1}',
        keyword: '"method":"GET"',
      }),
      deps,
    );
    expect(r).toMatchObject({ ok: true, error: null });
    expect(seen[0]).toMatchObject({ method: "POST", body: '{"ping":1}', headers: { "x-probe": "1", "content-type": "application/json" } });
    expect(seen[1]).toMatchObject({ method: "GET", body: "", headers: { "x-probe": "1" } });
    expect(seen[1]!.headers["content-type"]).toBeUndefined();
  });

  it("refuses a GET with a body", async () => {
    const r = await checkHttp(monitor(`${base}/ok`, { body: "x" }), deps);
    expect(r.error?.kind).toBe("other");
    expect(r.error?.message).toContain("a GET request cannot carry a body");
  });

  it("checks keyword and keyword_absent in the body", async () => {
    expect((await checkHttp(monitor(`${base}/ok`, { keyword: "operational" }), deps)).ok).toBe(true);
    const missing = await checkHttp(monitor(`${base}/ok`, { keyword: "Operational" }), deps);
    expect(missing.error).toEqual({ kind: "keyword", message: `GET ${base}/ok: keyword "Operational" was not found in the body` });
    const present = await checkHttp(monitor(`${base}/ok`, { keyword_absent: "systems" }), deps);
    expect(present.error).toEqual({ kind: "keyword", message: `GET ${base}/ok: keyword_absent "systems" was found in the body` });
  });

  it("reads at most 1 MiB of the body and says the keyword may lie beyond", async () => {
    const r = await checkHttp(monitor(`${base}/big`, { keyword: "needle" }), deps);
    expect(r.error?.kind).toBe("keyword");
    expect(r.error?.message).toContain(`(the body was truncated: only its first ${MAX_BODY_BYTES} bytes were read)`);
    expect(r.http).toEqual({ status: 200, content_length: MAX_BODY_BYTES, keyword_matched: false });
  });

  it("counts the bytes of a body without Content-Length", async () => {
    const r = await checkHttp(monitor(`${base}/chunked`), deps);
    expect(r).toMatchObject({ ok: true, http: { status: 200, content_length: 6 } });
  });

  it("times out waiting for headers within timeout_ms", async () => {
    const t0 = performance.now();
    const r = await checkHttp(monitor(`${base}/slow-headers`, {}, 300), deps);
    const elapsed = performance.now() - t0;
    expect(r.error).toEqual({
      kind: "timeout",
      message: `timed out after 300 ms (timeout_ms) waiting for the response headers of GET ${base}/slow-headers`,
    });
    expect(elapsed).toBeLessThan(1000);
    expect(r.http).toBeUndefined();
  });

  it("times out while reading a body that never ends", async () => {
    const r = await checkHttp(monitor(`${base}/slow-body`, { keyword: "second" }, 300), deps);
    expect(r.error).toEqual({
      kind: "timeout",
      message: `timed out after 300 ms (timeout_ms) while reading the body of ${base}/slow-body (12 bytes read after 200 OK)`,
    });
    expect(r.http?.status).toBe(200);
  });

  it("closes the connection at once when it times out (headers or body never come)", async () => {
    await closedWithin(2000);
    await checkHttp(monitor(`${base}/slow-headers`, {}, 200), deps);
    await closedWithin(500);
    await checkHttp(monitor(`${base}/slow-body`, { keyword: "second" }, 200), deps);
    await closedWithin(500);
  });

  it("tells a refused port apart", async () => {
    const closed = await listen(createServer());
    await closed.close();
    const r = await checkHttp(monitor(`http://127.0.0.1:${closed.port}/`), deps);
    expect(r.error?.kind).toBe("refused");
    expect(r.error?.message).toContain(`GET http://127.0.0.1:${closed.port}/: connection refused`);
  });

  it("tells a reset connection apart", async () => {
    const r = await checkHttp(monitor(`${base}/reset`), deps);
    expect(r.error?.kind).toBe("connection");
    expect(r.error?.message).toContain(`GET ${base}/reset: the server closed or reset the connection before answering`);
  });

  it("tells an answer that is not HTTP apart", async () => {
    const r = await checkHttp(monitor(`${base}/garbage`), deps);
    expect(r.error?.kind).toBe("connection");
    expect(r.error?.message).toContain(`GET ${base}/garbage: the answer is not valid HTTP: Response does not match the HTTP/1.1 protocol`);
  });

  it("tells an unknown host apart (dns)", async () => {
    const r = await checkHttp(monitor("http://no-such-host.invalid/"), deps);
    expect(r.error?.kind).toBe("dns");
    expect(r.error?.message).toContain("GET http://no-such-host.invalid/: the host name");
  });

  it("reads Cloudflare's 52x as the origin being unreachable", async () => {
    const r = await checkHttp(monitor(`${base}/status/522`), deps);
    expect(r.error).toEqual({
      kind: "connection",
      message: `GET ${base}/status/522: got 522 from Cloudflare: connection timed out (Cloudflare could not complete a TCP connection to the origin) [cf-ray 8f00000000000000-AMS]`,
    });
  });
});

const noOpenssl = await run("openssl", ["version"]).then(
  () => null,
  () => "the openssl CLI is missing",
);
describe.skipIf(noOpenssl !== null)("http check over https", () => {
  let dir: string;
  let pem: string;
  let srv: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ium-https-"));
    await run("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      path.join(dir, "key.pem"),
      "-out",
      path.join(dir, "cert.pem"),
      "-days",
      "2",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ]);
    pem = await readFile(path.join(dir, "cert.pem"), "utf8");
    const server = createHttpsServer({ key: await readFile(path.join(dir, "key.pem")), cert: pem }, handler);
    srv = await listen(server as unknown as Server);
  });
  afterAll(async () => {
    await srv?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("is up when the certificate is trusted (the injected CA)", async () => {
    const r = await checkHttp(monitor(`https://localhost:${srv.port}/ok`, { keyword: "operational" }), defaultDeps({ ca: [pem] }));
    expect(r).toMatchObject({ ok: true, error: null, http: { status: 200 } });
  });

  it("fails with tls, naming the reason, when it is not", async () => {
    const r = await checkHttp(monitor(`https://localhost:${srv.port}/ok`), defaultDeps());
    expect(r.error?.kind).toBe("tls");
    expect(r.error?.message).toMatch(
      new RegExp(`^GET https://localhost:${srv.port}/ok: TLS failed \\(DEPTH_ZERO_SELF_SIGNED_CERT\\): self-signed certificate`),
    );
  });
});

const noNetns = await netnsUnavailable();
describe.skipIf(noNetns !== null)("http check against a namespace host that drops", () => {
  let host: SilentHost;
  beforeAll(async () => {
    host = await createSilentHost("drop");
  });
  afterAll(async () => {
    await host?.destroy();
  });

  it("times out within timeout_ms while connecting", async () => {
    const t0 = performance.now();
    const r = await checkHttp(monitor(`http://${host.address}/`, {}, 400), defaultDeps());
    expect(r.error).toEqual({
      kind: "timeout",
      message: `timed out after 400 ms (timeout_ms) waiting for the response headers of GET http://${host.address}/`,
    });
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
