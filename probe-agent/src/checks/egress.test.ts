// The agent's egress policy at its checks' sockets, with real sockets on loopback: tcp, tls, http, icmp and dns refuse
// the metadata address before any packet, refuse a name once it resolved (through the injected lookup) to a denied
// address, honour EGRESS_DENY and EGRESS_DENY_PORTS from the agent's settings, and still reach loopback by default.
// Every socket the checks open goes through a guard that lets nothing but loopback through (and records what else
// was asked for), so even a broken policy sends no packet to 169.254.169.254.
import type { LookupAddress } from "node:dns";
import dgram from "node:dgram";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import net, { type AddressInfo } from "node:net";
import tls, { type ConnectionOptions } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Monitor, type MonitorSpec } from "../../../contract/index.ts";
import { loadConfig } from "../config.ts";
import { defaultDeps, type AgentCheckDeps, type DefaultDepsOptions, type HttpConnection } from "./deps.ts";
import { runCheck } from "./index.ts";
import type { Pinger } from "./pinger.ts";

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

type LookupFn = NonNullable<net.TcpNetConnectOpts["lookup"]>;

/**
 * Deps whose sockets reach loopback only: anything else a check asks for is recorded in `escaped` and
 * fails as a refused connection, without a packet. `lookup` is the injected resolver.
 */
function guarded(options: DefaultDepsOptions = {}) {
  const escaped: string[] = [];
  const pinged: string[] = [];
  const fail = (what: string) => {
    escaped.push(what);
    const s = new net.Socket();
    setImmediate(() => s.destroy(Object.assign(new Error(`test guard: no packet to ${what}`), { code: "ECONNREFUSED" })));
    return s;
  };
  // A lookup's answers pass only when they are loopback: what the check's own lookup let through.
  const guardLookup =
    (lookup: LookupFn, what: string): LookupFn =>
    (hostname, opts, callback) =>
      lookup(hostname, opts, (err, address, family) => {
        const list = Array.isArray(address) ? address.map((a) => a.address) : [address];
        if (!err && list.some((a) => !LOOPBACK.has(a))) {
          escaped.push(`${what} via ${list.join(",")}`);
          return callback(Object.assign(new Error("test guard: refused"), { code: "ECONNREFUSED" }), "", 0);
        }
        callback(err, address as never, family);
      });
  const route = <O extends { host?: string | undefined; port?: number | undefined; lookup?: LookupFn | undefined }>(
    o: O,
    open: (o: O) => net.Socket,
  ) => {
    const host = o.host ?? "localhost";
    const what = `${host}:${o.port}`;
    if (net.isIP(host) && !LOOPBACK.has(host)) return fail(what);
    if (!net.isIP(host) && !o.lookup && host !== "localhost") return fail(what);
    return open(o.lookup ? { ...o, lookup: guardLookup(o.lookup, what) } : o);
  };
  const pinger: Pinger = {
    describe: () => "test pinger (sends nothing)",
    async ping({ address, count }) {
      pinged.push(address);
      return { ok: true, rtts: Array(count).fill(0.1), icmpError: null };
    },
  };
  const base = defaultDeps({ pinger, ...options });
  const deps: AgentCheckDeps = {
    ...base,
    // Set here as well as through defaultDeps (which hands it to the http check's connections): no check may ask DNS.
    lookup: options.lookup ?? base.lookup,
    connect: (o) => route(o, (x) => net.connect(x)),
    // The dns check's UDP sockets: connected to loopback only, anything else recorded and failed without a datagram.
    udpSocket: (type) => {
      const socket = dgram.createSocket(type);
      const connect = socket.connect.bind(socket) as (port: number, address?: string, callback?: () => void) => void;
      socket.connect = ((port: number, address?: string, callback?: () => void) => {
        if (address !== undefined && !LOOPBACK.has(address)) {
          escaped.push(`udp ${address}:${port}`);
          setImmediate(() => socket.emit("error", Object.assign(new Error("test guard: refused"), { code: "ECONNREFUSED" })));
          return;
        }
        connect(port, address, callback);
      }) as typeof socket.connect;
      return socket;
    },
    tlsConnect: (o) => route(o as ConnectionOptions & { lookup?: LookupFn }, (x) => tls.connect(x)) as tls.TLSSocket,
    httpConnection: (origin): HttpConnection => {
      const host = new URL(origin).hostname.replace(/^\[|\]$/g, "");
      if (LOOPBACK.has(host)) return base.httpConnection(origin);
      escaped.push(origin);
      const fake = base.httpConnection("http://127.0.0.1:9");
      fake.close();
      return fake; // destroyed: its request fails at once, without a socket
    },
  };
  return { deps, escaped, pinged };
}

const check = (m: Record<string, unknown>, deps: AgentCheckDeps) =>
  runCheck(Monitor.parse({ id: "m", runner: "agent", timeout_ms: 2000, confirm_failures: false, ...m }) as MonitorSpec, deps);

/** A lookup that answers `address` for every name: DNS is never asked. */
const resolvesTo =
  (address: string) =>
  async (_host: string): Promise<LookupAddress[]> => [{ address, family: net.isIP(address) }];

let tcpServer: net.Server;
let tcpPort: number;
let tcpConnections = 0;
let httpServer: HttpServer;
let httpPort: number;
let httpRequests: string[] = [];

beforeAll(async () => {
  tcpServer = net.createServer((s) => {
    tcpConnections++;
    s.on("error", () => {});
    s.end("hello\n");
  });
  await new Promise<void>((r) => tcpServer.listen(0, "127.0.0.1", r));
  tcpPort = (tcpServer.address() as AddressInfo).port;
  httpServer = createHttpServer((req, res) => {
    httpRequests.push(req.url ?? "");
    if (req.url?.startsWith("/to-metadata")) {
      res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" });
      return res.end();
    }
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok\n");
  });
  await new Promise<void>((r) => httpServer.listen(0, "127.0.0.1", r));
  httpPort = (httpServer.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((r) => tcpServer.close(() => r()));
  httpServer.closeAllConnections();
  await new Promise<void>((r) => httpServer.close(() => r()));
});

const REFUSED_METADATA =
  /169\.254\.169\.254 is refused by this agent's egress policy: it is a cloud metadata service address \(169\.254\.169\.254\/32, .*\), which is refused by default; to allow it, add it to EGRESS_ALLOW \(e\.g\. EGRESS_ALLOW=169\.254\.169\.254\/32\); nothing was sent$/;

describe("the metadata address is refused before any packet", () => {
  it.each([
    ["tcp", { kind: "tcp", target: "169.254.169.254:80" }],
    ["tcp, IPv4-mapped", { kind: "tcp", target: "[::ffff:169.254.169.254]:80" }],
    ["tls", { kind: "tls", target: "169.254.169.254:443" }],
    ["http", { kind: "http", target: "http://169.254.169.254/latest/meta-data/" }],
    ["http, written in hex", { kind: "http", target: "http://0xa9fea9fe/latest/meta-data/" }],
    ["icmp", { kind: "icmp", target: "169.254.169.254" }],
    ["dns, as the server (UDP)", { kind: "dns", target: "example.test", dns: { server: "169.254.169.254" } }],
    ["dns, as the server (TCP)", { kind: "dns", target: "example.test", dns: { server: "169.254.169.254:53", transport: "tcp" } }],
    ["tcp, AWS's IPv6 metadata address", { kind: "tcp", target: "[fd00:ec2::254]:80" }],
  ])("%s", async (_name, m) => {
    const g = guarded();
    const r = await check(m, g.deps);
    expect(g.escaped).toEqual([]);
    expect(g.pinged).toEqual([]);
    expect(r.ok).toBe(false);
    expect(r.error?.kind).toBe("other");
    expect(r.error?.message).toMatch(
      /is refused by this agent's egress policy: it is a cloud metadata service address .*; nothing was sent$/,
    );
  });

  it("words the refusal with the address, the category and the setting", async () => {
    const g = guarded();
    const r = await check({ kind: "tcp", target: "169.254.169.254:80" }, g.deps);
    expect(r.error?.message).toMatch(new RegExp(`^169\\.254\\.169\\.254:80: ${REFUSED_METADATA.source}`));
  });

  it("refuses a redirect to it at the hop: the loopback server is asked, the metadata address never", async () => {
    const g = guarded();
    httpRequests = [];
    const r = await check({ kind: "http", target: `http://127.0.0.1:${httpPort}/to-metadata` }, g.deps);
    expect(g.escaped).toEqual([]);
    expect(httpRequests).toEqual(["/to-metadata"]);
    expect(r.error).toEqual({
      kind: "other",
      message: expect.stringMatching(
        new RegExp(`^GET http://169\\.254\\.169\\.254/latest/meta-data/ \\(redirect 1\\): ${REFUSED_METADATA.source}`),
      ),
    });
  });
});

describe("a name is checked after it resolves (the injected lookup), and connected to as resolved", () => {
  it.each([
    ["tcp", { kind: "tcp", target: "metadata.attacker.test:80" }],
    ["tls", { kind: "tls", target: "metadata.attacker.test:443" }],
    ["icmp", { kind: "icmp", target: "metadata.attacker.test" }],
    ["dns", { kind: "dns", target: "example.test", dns: { server: "metadata.attacker.test" } }],
  ])("%s to a name resolving to 169.254.169.254 is refused", async (_name, m) => {
    const g = guarded({ lookup: resolvesTo("169.254.169.254") });
    const r = await check(m, g.deps);
    expect(g.escaped).toEqual([]);
    expect(g.pinged).toEqual([]);
    expect(r.error?.kind).toBe("other");
    expect(r.error?.message).toMatch(
      /metadata\.attacker\.test \(resolved to 169\.254\.169\.254\) is refused by this agent's egress policy: it is a cloud metadata service address/,
    );
  });

  it("http to a name resolving to a refused address (0.0.0.0, unspecified) is refused by the connection's lookup", async () => {
    // The http check's connections resolve inside undici: the guard cannot see their sockets, so the refused
    // address is one that would stay on this machine (0.0.0.0) should the policy let it through.
    httpRequests = [];
    const g = guarded({ lookup: resolvesTo("0.0.0.0") });
    const r = await check({ kind: "http", target: `http://localhost:${httpPort}/` }, g.deps);
    expect(httpRequests).toEqual([]);
    expect(r.error?.kind).toBe("other");
    expect(r.error?.message).toMatch(
      new RegExp(
        `^GET http://localhost:${httpPort}/: localhost \\(resolved to 0\\.0\\.0\\.0\\) is refused by this agent's egress policy: it is an unspecified address`,
      ),
    );
  });

  it("a name resolving to an allowed address is connected to at that address", async () => {
    const before = tcpConnections;
    const g = guarded({ lookup: resolvesTo("127.0.0.1") });
    const r = await check({ kind: "tcp", target: `db.internal.test:${tcpPort}` }, g.deps);
    expect(r).toMatchObject({ ok: true, error: null });
    expect(tcpConnections).toBe(before + 1);
    expect(g.escaped).toEqual([]);
  });
});

describe("the agent's settings", () => {
  const config = (vars: Record<string, string>) => {
    const r = loadConfig({ EDGE_URL: "http://127.0.0.1:9", AGENT_TOKEN: "t", ...vars });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    return r.config;
  };

  it("EGRESS_DENY=127.0.0.0/8 refuses loopback targets: tcp, http and icmp", async () => {
    const g = guarded({ egress: config({ EGRESS_DENY: "127.0.0.0/8" }).egress });
    const before = tcpConnections;
    httpRequests = [];
    const tcp = await check({ kind: "tcp", target: `127.0.0.1:${tcpPort}` }, g.deps);
    const http = await check({ kind: "http", target: `http://127.0.0.1:${httpPort}/` }, g.deps);
    const icmp = await check({ kind: "icmp", target: "127.0.0.1" }, g.deps);
    expect(tcpConnections).toBe(before);
    expect(httpRequests).toEqual([]);
    expect(g.pinged).toEqual([]);
    expect(tcp.error).toEqual({
      kind: "other",
      message: `127.0.0.1:${tcpPort}: 127.0.0.1 is refused by this agent's egress policy: EGRESS_DENY lists 127.0.0.0/8; nothing was sent`,
    });
    expect(http.error?.message).toMatch(/127\.0\.0\.1 is refused by this agent's egress policy: EGRESS_DENY lists 127\.0\.0\.0\/8/);
    expect(icmp.error?.message).toMatch(/^127\.0\.0\.1: 127\.0\.0\.1 is refused .*EGRESS_DENY lists 127\.0\.0\.0\/8/);
  });

  it("EGRESS_DENY also refuses a name that resolves into the range", async () => {
    const g = guarded({ egress: config({ EGRESS_DENY: "127.0.0.0/8" }).egress, lookup: resolvesTo("127.0.0.1") });
    const before = tcpConnections;
    const r = await check({ kind: "tcp", target: `db.internal.test:${tcpPort}` }, g.deps);
    expect(tcpConnections).toBe(before);
    expect(r.error?.message).toMatch(/db\.internal\.test \(resolved to 127\.0\.0\.1\) is refused .*EGRESS_DENY lists 127\.0\.0\.0\/8/);
  });

  it("EGRESS_DENY_PORTS and EGRESS_ALLOW_PORTS refuse ports", async () => {
    const before = tcpConnections;
    const denied = await check(
      { kind: "tcp", target: `127.0.0.1:${tcpPort}` },
      guarded({ egress: config({ EGRESS_DENY_PORTS: String(tcpPort) }).egress }).deps,
    );
    const notAllowed = await check(
      { kind: "tcp", target: `127.0.0.1:${tcpPort}` },
      guarded({ egress: config({ EGRESS_ALLOW_PORTS: "22,443" }).egress }).deps,
    );
    expect(tcpConnections).toBe(before);
    expect(denied.error?.message).toMatch(new RegExp(`port ${tcpPort} is in EGRESS_DENY_PORTS`));
    expect(notAllowed.error?.message).toMatch(new RegExp(`port ${tcpPort} is not in EGRESS_ALLOW_PORTS \\(22,443\\)`));
  });

  it("EGRESS_ALLOW lets a check reach an address the defaults refuse", async () => {
    const g = guarded({ egress: config({ EGRESS_ALLOW: "169.254.169.254/32" }).egress });
    const r = await check({ kind: "icmp", target: "169.254.169.254" }, g.deps);
    expect(r.ok).toBe(true); // the test pinger answers; it sends nothing
    expect(g.pinged).toEqual(["169.254.169.254"]);
  });

  it("refuses a bad list at startup, naming every bad entry", () => {
    const r = loadConfig({ EDGE_URL: "http://127.0.0.1:9", AGENT_TOKEN: "t", EGRESS_DENY: "10.0.0.1/8, nope!", EGRESS_DENY_PORTS: "0" });
    expect(!r.ok && r.issues).toEqual([
      { path: "EGRESS_DENY", message: '"10.0.0.1/8" has bits set past its prefix; did you mean 10.0.0.0/8?' },
      { path: "EGRESS_DENY", message: '"nope!" is not an IP address, CIDR range or host name (*.example.com for the names under one)' },
      { path: "EGRESS_DENY_PORTS", message: '"0" is not a port (1-65535) or range (8000-8999)' },
    ]);
  });
});

describe("allowed by default", () => {
  it("loopback targets work: tcp, http, and a name resolving to loopback", async () => {
    const g = guarded();
    expect(await check({ kind: "tcp", target: `127.0.0.1:${tcpPort}` }, g.deps)).toMatchObject({ ok: true, error: null });
    expect(await check({ kind: "http", target: `http://127.0.0.1:${httpPort}/` }, g.deps)).toMatchObject({ ok: true, error: null });
    expect(await check({ kind: "http", target: `http://localhost:${httpPort}/` }, g.deps)).toMatchObject({ ok: true, error: null });
    expect(await check({ kind: "icmp", target: "127.0.0.1" }, g.deps)).toMatchObject({ ok: true, error: null });
    expect(g.escaped).toEqual([]);
  });
});
