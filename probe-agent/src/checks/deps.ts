// What the agent's checks call (sockets, TLS, HTTP, ICMP, clocks), and defaultDeps(), which builds the real ones.
import { lookup as dnsLookup } from "node:dns/promises";
import { connect as netConnect, type Socket, type TcpNetConnectOpts } from "node:net";
import { performance } from "node:perf_hooks";
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from "node:tls";
import { Agent, type Dispatcher } from "undici";
import { createSystemPinger, type Pinger, type SystemPingerOptions } from "./icmp.ts";

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
  /** undici dispatcher for the http check: its own connection per check (see http.ts), TLS trusting `ca`. */
  dispatcher: Dispatcher;
  /** Resolves a host name to one address (dns.lookup: /etc/hosts, then DNS), for the icmp check. */
  lookup(host: string): Promise<{ address: string; family: number }>;
  /** Sends ICMP echo requests; batches concurrent checks (see icmp.ts). */
  pinger: Pinger;
}

export interface DefaultDepsOptions {
  /** PEM CA certificates to trust instead of Node's bundled roots (tls and https checks). */
  ca?: readonly string[];
  /** Replaces the system pinger (fping, batched; iputils ping where fping cannot work). */
  pinger?: Pinger;
  /** Options of the system pinger when `pinger` is not given. */
  ping?: SystemPingerOptions;
}

/** undici's own connect timeout (10 s) would cut checks whose timeout_ms is longer; the check's own timer governs. */
const CONNECT_TIMEOUT_MS = 125_000;

/** A dispatcher for the http check: no connection reuse across checks, TLS trusting `ca` when given. */
export function createHttpDispatcher(ca?: readonly string[]): Dispatcher {
  return new Agent({
    connect: { timeout: CONNECT_TIMEOUT_MS, ...(ca ? { ca: [...ca] } : {}) },
    // Redirect hops reuse nothing either: each request asks for its connection to be closed (http.ts).
    keepAliveTimeout: 1,
    headersTimeout: 0,
    bodyTimeout: 0,
  });
}

/** The real dependencies. Call once per agent and share: the pinger batches across checks. */
export function defaultDeps(options: DefaultDepsOptions = {}): AgentCheckDeps {
  const ca = options.ca ? [...options.ca] : undefined;
  return {
    now: () => performance.now(),
    epochMs: () => Date.now(),
    connect: (o) => netConnect(o),
    tlsConnect: (o) => tlsConnect(o),
    ca,
    dispatcher: createHttpDispatcher(ca),
    lookup: (host) => dnsLookup(host, { verbatim: true }),
    pinger: options.pinger ?? createSystemPinger(options.ping),
  };
}
