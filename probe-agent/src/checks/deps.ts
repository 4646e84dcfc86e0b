// What the agent's checks call (sockets, TLS, HTTP, ICMP, clocks), and defaultDeps(), which builds the real ones.
import type { LookupAddress } from "node:dns";
import { getServers } from "node:dns";
import { lookup as dnsLookup } from "node:dns/promises";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect as netConnect, type Socket, type TcpNetConnectOpts } from "node:net";
import { performance } from "node:perf_hooks";
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from "node:tls";
import { Client, buildConnector, type Dispatcher } from "undici";
import { agentPolicy, type EgressPolicy } from "../../../contract/egress.ts";
import { checkedLookup, type Resolver } from "./egress.ts";
import { createSystemPinger, type Pinger, type SystemPingerOptions } from "./pinger.ts";

/**
 * Everything a check touches outside its own memory. Passed in, never taken from globals, so tests
 * stand real local servers (or network namespaces) in front of real sockets.
 */
export interface AgentCheckDeps {
  /** Monotonic clock in ms (performance.now): latencies only. */
  now(): number;
  /** Wall clock in epoch ms (Date.now): certificate expiry. */
  epochMs(): number;
  /** Opens a TCP connection (net.connect). */
  connect(options: TcpNetConnectOpts): Socket;
  /** Opens a TLS connection (tls.connect); the tls check adds `ca` below itself. */
  tlsConnect(options: ConnectionOptions): TLSSocket;
  /**
   * The CA certificates (PEM) that the tls check trusts; undefined means Node's bundled roots
   * (plus NODE_EXTRA_CA_CERTS). The http check trusts whatever its dispatcher was built with.
   */
  ca: readonly string[] | undefined;
  /**
   * Opens the http check's own connection to an origin (one per request: see http.ts), TLS trusting `ca`.
   * A host name is resolved through `lookup` and each address checked against `egress` before connecting.
   */
  httpConnection(origin: string): HttpConnection;
  /**
   * Resolves a host name to its addresses, in the resolver's order (dns.lookup: /etc/hosts, then DNS).
   * Every check resolves through it, and connects to what it returned once the egress policy allowed it.
   */
  lookup(host: string): Promise<LookupAddress[]>;
  /** Sends ICMP echo requests; batches concurrent checks (see pinger.ts). */
  pinger: Pinger;
  /** Opens a UDP socket (dgram.createSocket): the dns check's queries. */
  udpSocket(type: "udp4" | "udp6"): UdpSocket;
  /**
   * The system resolver's servers, in order (dns.getServers: /etc/resolv.conf's `nameserver` lines, read
   * when the process started): a dns monitor without `dns.server` asks the first.
   */
  dnsServers(): string[];
  /** Where checks may connect (contract/egress.ts); unset: the agent's default policy. */
  egress?: EgressPolicy;
}

export interface DefaultDepsOptions {
  /** PEM CA certificates to trust instead of Node's bundled roots (tls and https checks). */
  ca?: readonly string[];
  /** Replaces the system pinger (fping, batched; iputils ping where fping cannot work). */
  pinger?: Pinger;
  /** Options of the system pinger when `pinger` is not given. */
  ping?: SystemPingerOptions;
  /** The egress policy (the agent's settings); default: the agent's default policy. */
  egress?: EgressPolicy;
  /** Replaces the resolver (dns.lookup) for every check, the http check's connections included. */
  lookup?: Resolver["lookup"];
}

/** undici's own connect timeout (10 s) would cut checks whose timeout_ms is longer; the check's own timer governs. */
const CONNECT_TIMEOUT_MS = 125_000;

/**
 * One HTTP connection, used for one request and then closed by its owner. The http check asks for
 * a fresh one per request so that every check measures (and can fail) the connect as a client would.
 */
export interface HttpConnection {
  /** An undici Client for this connection's origin. */
  readonly dispatcher: Dispatcher;
  /**
   * Closes the connection: the socket is destroyed without an error, then the client. Letting
   * undici close it instead (`reset`, or `Connection: close`) destroys the socket with an error
   * whose stack trace Node formats: that was the largest cost of an http check in the agent.
   */
  close(): void;
}

/** Why a check's client is destroyed: made once, since errors cost a stack trace each. */
const DONE = new Error("the http check is done with this connection");

/**
 * Makes connections for the http check. One TLS connector is shared (with `ca` when given, and its
 * session cache); each connection gets its own undici Client, which never reuses it for another check.
 */
export function createHttpConnections(ca?: readonly string[], resolver?: Resolver): (origin: string) => HttpConnection {
  // No TCP keep-alive: the connection lives for one request (each option is a system call per check).
  // With a resolver, names resolve through it and the socket connects only to addresses the egress policy
  // allows, the very ones checked (IP addresses are not looked up: the http check checks them first).
  const connector = buildConnector({
    timeout: CONNECT_TIMEOUT_MS,
    keepAlive: false,
    ...(ca ? { ca: [...ca] } : {}),
    ...(resolver ? { lookup: checkedLookup(resolver, null) } : {}),
  });
  return (origin) => {
    let socket: Socket | null = null;
    const client = new Client(origin, {
      connect: (options, callback) =>
        connector(options, (err, s) => {
          if (err || !s) return callback(err ?? new Error("no socket"), null);
          socket = s;
          callback(null, s);
        }),
      // The owner closes the connection as soon as its answer is read; undici must not do it first.
      keepAliveTimeout: 600_000,
      keepAliveMaxTimeout: 600_000,
      headersTimeout: 0,
      bodyTimeout: 0,
      pipelining: 1,
    });
    let closed = false;
    return {
      dispatcher: client,
      close() {
        if (closed) return;
        closed = true;
        socket?.destroy();
        // A given reason spares undici making (and Node formatting) an error per connection.
        client.destroy(DONE).catch(() => {});
      },
    };
  };
}

/** The real dependencies. Call once per agent and share: the pinger batches across checks. */
export function defaultDeps(options: DefaultDepsOptions = {}): AgentCheckDeps {
  const ca = options.ca ? [...options.ca] : undefined;
  const lookup = options.lookup ?? ((host: string) => dnsLookup(host, { all: true, verbatim: true }));
  const egress = options.egress ?? agentPolicy();
  return {
    now: () => performance.now(),
    epochMs: () => Date.now(),
    connect: (o) => netConnect(o),
    tlsConnect: (o) => tlsConnect(o),
    ca,
    httpConnection: createHttpConnections(ca, { lookup, egress }),
    lookup,
    pinger: options.pinger ?? createSystemPinger(options.ping),
    udpSocket: (type) => createSocket({ type }),
    dnsServers: () => getServers(),
    egress,
  };
}
