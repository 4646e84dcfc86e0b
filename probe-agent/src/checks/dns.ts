// The agent's DNS check (as blackbox_exporter's dns prober): one query for the monitor's name and record type, over
// UDP or TCP, to `dns.server` or the system resolver's first server; ok when the response code is valid and the
// answer holds what the monitor asserts. A truncated UDP answer is asked again over TCP, as a resolver does.
import { randomInt } from "node:crypto";
import type { Socket } from "node:net";
import { formatIp, isEgressRefused, parseIp } from "../../../contract/egress.ts";
import type { CheckError, DnsDetail } from "../../../contract/index.ts";
import { MAX_DNS_VALUES } from "../../../contract/monitor.ts";
import { compileLinear } from "../../../contract/regex.ts";
import { parseDnsServer, type HostPort } from "../../../contract/target.ts";
import { clip } from "../../../contract/text.ts";
import type { AgentCheckDeps } from "./deps.ts";
import { decodeResponse, encodeQuery, MalformedResponse, rcodeName, RECORD_TYPE_CODES, type DecodedResponse } from "./dns-wire.ts";
import { refusalError, resolveChecked } from "./egress.ts";
import { describeSocketError, errorCode, rawMessage } from "./socket-errors.ts";
import type { CheckFn, CheckOutcome } from "./types.ts";

/** Longest value a result keeps (DnsDetail.values). */
const MAX_VALUE_CHARS = 2048;

type DnsMonitor = Parameters<CheckFn<"dns", AgentCheckDeps>>[0];

const bracket = (hp: HostPort) => (hp.host.includes(":") ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`);

/**
 * A value as assertions compare it: addresses in canonical form, names in lower case with the root's dot (in
 * CNAME, NS, MX and SOA values every word that is not a number is a name); TXT exactly.
 */
export function valueKey(type: string, value: string): string {
  if (type === "TXT") return value;
  if (type === "A" || type === "AAAA") {
    const ip = parseIp(value.trim());
    return ip ? formatIp(ip) : value.trim();
  }
  return value
    .trim()
    .split(/\s+/)
    .map((w) => (/^\d+$/.test(w) ? w : w.toLowerCase().endsWith(".") ? w.toLowerCase() : `${w.toLowerCase()}.`))
    .join(" ");
}

/** Compiled answer_regex by pattern, so a pattern compiles once, not at every check. */
const regexes = new Map<string, ReturnType<typeof compileLinear>>();
function regexFor(pattern: string): ReturnType<typeof compileLinear> {
  let re = regexes.get(pattern);
  if (!re) {
    re = compileLinear(pattern);
    if (regexes.size >= 1000) regexes.clear();
    regexes.set(pattern, re);
  }
  return re;
}

/** Why the answer fails the monitor's assertions (values, count, regex), or null when it holds them all. */
function assertionProblem(m: DnsMonitor, values: string[]): string | null {
  const o = m.dns;
  const n = values.length;
  const what = `${n} ${o.record_type} record${n === 1 ? "" : "s"}`;
  if (o.min_answers !== null && n < o.min_answers) return `the answer holds ${what}, fewer than dns.min_answers (${o.min_answers})`;
  if (o.max_answers !== null && n > o.max_answers) return `the answer holds ${what}, more than dns.max_answers (${o.max_answers})`;
  const shown = () => (n === 0 ? "none" : values.map((v) => JSON.stringify(v)).join(", "));
  if (o.expected_values.length > 0) {
    const have = new Set(values.map((v) => valueKey(o.record_type, v)));
    const missing = o.expected_values.filter((v) => !have.has(valueKey(o.record_type, v)));
    if (missing.length > 0)
      return `the answer lacks ${missing.map((v) => JSON.stringify(v)).join(", ")} (dns.expected_values); it holds ${shown()}`;
  }
  if (o.answer_regex !== null) {
    const re = regexFor(o.answer_regex);
    if (!re.ok) return null; // reported before the query (see checkDns)
    if (!values.some((v) => re.test(v.slice(0, re.maxText))))
      return `no value matches /${o.answer_regex}/ (dns.answer_regex); the answer holds ${shown()}`;
  }
  return null;
}

/** A failure of the exchange itself: no (usable) response. */
class ExchangeError extends Error {
  readonly error: CheckError;
  constructor(error: CheckError) {
    super(error.message);
    this.error = error;
  }
}

interface Exchange {
  response: DecodedResponse;
  /** Whether it came over TCP after a truncated UDP answer. */
  retriedOverTcp: boolean;
}

/**
 * Whether a response answers our query: the id, the QR bit and the question (name case-insensitively, type,
 * class). A response without a question section (some servers' FORMERR or NOTIMP) is matched by its id alone.
 */
function answers(r: DecodedResponse, id: number, name: string, type: number): boolean {
  if (r.id !== id || !r.response) return false;
  const q = r.question;
  return q === null || (q.name.toLowerCase() === name && q.type === type && q.class === 1);
}

export const checkDns: CheckFn<"dns", AgentCheckDeps> = async (monitor, deps) => {
  const o = monitor.dns;
  const name = monitor.target;
  const timeoutMs = monitor.timeout_ms;
  const type = RECORD_TYPE_CODES[o.record_type];
  const query = `${name} ${o.record_type}`;

  // The server: the monitor's, else the system resolver's first (dns.getServers: "addr", "addr:port", "[v6]:port").
  let hp: HostPort | string;
  if (o.server !== null) hp = parseDnsServer(o.server);
  else {
    const first = deps.dnsServers()[0];
    if (first === undefined)
      return {
        ok: false,
        latency_ms: null,
        error: { kind: "other", message: "the system resolver has no server (no nameserver line in /etc/resolv.conf); set dns.server" },
        dns: { server: "", record_type: o.record_type, rcode_value: null, rcode: null, answers: null, values: [] },
      };
    hp = parseDnsServer(first);
    if (typeof hp === "string") hp = `the system resolver's server ${JSON.stringify(first)} ${hp}`;
  }
  const where = typeof hp === "string" ? (o.server ?? "") : bracket(hp);
  const detail = (d: Partial<DnsDetail> = {}): DnsDetail => ({
    server: where,
    record_type: o.record_type,
    rcode_value: null,
    rcode: null,
    answers: null,
    values: [],
    ...d,
  });
  const fail = (error: CheckError, latency: number | null = null, d: Partial<DnsDetail> = {}): CheckOutcome => ({
    ok: false,
    latency_ms: latency,
    error: { kind: error.kind, message: clip(error.message) },
    dns: detail(d),
  });
  if (typeof hp === "string")
    return fail({ kind: "other", message: o.server === null ? hp : `dns.server ${JSON.stringify(o.server)} ${hp}` });
  if (o.answer_regex !== null) {
    const re = regexFor(o.answer_regex);
    // Refused at create; a monitor stored before that rule (or from another version) still fails here, before any query.
    if (!re.ok)
      return fail({
        kind: "other",
        message: `dns.answer_regex ${JSON.stringify(o.answer_regex)} is not a valid regular expression: ${re.error}`,
      });
  }
  const server = hp;

  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutSignal()), timeoutMs);
  });
  const cleanups: (() => void)[] = [];
  let finished = false;
  /** Registers what closes a socket; once the check is over (a timeout while resolving), it runs at once. */
  const onFinish = (c: () => void) => {
    if (finished) c();
    else cleanups.push(c);
  };
  const finish = () => {
    finished = true;
    for (const c of cleanups.splice(0)) c();
  };
  let phase: "resolve" | "udp" | "tcp-connect" | "tcp" = "resolve";
  let sentAt: number | null = null;

  const run = async (): Promise<Exchange> => {
    // The egress policy applies to the server: an address as written, a name to every address it resolves to.
    let address: string;
    try {
      const addresses = await resolveChecked(server.host, server.port, deps);
      address = addresses[0]!.address;
    } catch (e) {
      if (isEgressRefused(e)) throw new ExchangeError(refusalError(`DNS server ${where}`, e));
      throw new ExchangeError({
        kind: "dns",
        message: `DNS server ${where}: its host name does not resolve (${rawMessage(e)})`,
      });
    }
    // The check timed out while the server's name resolved: nothing more is sent.
    if (finished) throw new TimeoutSignal();
    const id = randomInt(0, 65536);
    const message = encodeQuery(id, name, o.record_type, o.recursion_desired);
    sentAt = deps.now();
    if (o.transport === "udp") {
      phase = "udp";
      const r = await exchangeUdp(address, message, id);
      if (!r.truncated) return { response: r, retriedOverTcp: false };
    }
    return { response: await exchangeTcp(address, message, id), retriedOverTcp: o.transport === "udp" };
  };

  /** A socket error as the check reports it: nothing listening (refused) said per transport, the rest as for every socket. */
  const socketFailure = (e: unknown, transport: "UDP" | "TCP") =>
    new ExchangeError(
      errorCode(e) === "ECONNREFUSED"
        ? {
            kind: "refused",
            message:
              transport === "UDP"
                ? `DNS server ${where}: port unreachable: nothing listens on UDP port ${server.port}, or a firewall rejects it (${rawMessage(e)})`
                : `DNS server ${where}: connection refused: nothing listens on TCP port ${server.port}, or a firewall rejects connections (${rawMessage(e)})`,
          }
        : describeSocketError(e, `DNS server ${where} (${transport})`),
    );

  const exchangeUdp = (address: string, message: Buffer, id: number) =>
    new Promise<DecodedResponse>((resolve, reject) => {
      const socket = deps.udpSocket(address.includes(":") ? "udp6" : "udp4");
      onFinish(() => {
        try {
          socket.close();
        } catch {
          /* already closed */
        }
      });
      let ignored = 0;
      socket.on("error", (e) => {
        reject(socketFailure(e, "UDP"));
      });
      socket.on("message", (msg: Buffer) => {
        let r: DecodedResponse;
        try {
          r = decodeResponse(msg);
        } catch (e) {
          // Only a message with our id is ours to call malformed; anything else is ignored, as a resolver does.
          if (msg.length >= 2 && msg.readUInt16BE(0) === id)
            return reject(new ExchangeError({ kind: "dns", message: `DNS server ${where}: malformed response: ${rawMessage(e)}` }));
          ignored++;
          return;
        }
        // A datagram that does not answer our question (a late answer, a spoof) is dropped; the wait goes on.
        if (!answers(r, id, name, type)) {
          ignored++;
          return;
        }
        resolve(r);
      });
      // Connected, so an ICMP port unreachable comes back as ECONNREFUSED, and only the server's datagrams arrive.
      socket.connect(server.port, address, () => {
        socket.send(message, (err) => {
          if (err) socket.emit("error", err);
        });
      });
      onFinish(() => {
        if (ignored > 0) ignoredNote = ` (${ignored} datagram${ignored === 1 ? "" : "s"} that did not answer the query ignored)`;
      });
    });

  const exchangeTcp = (address: string, message: Buffer, id: number) =>
    new Promise<DecodedResponse>((resolve, reject) => {
      phase = "tcp-connect";
      const socket: Socket = deps.connect({ host: address, port: server.port });
      onFinish(() => socket.destroy());
      let received = Buffer.alloc(0);
      let settled = false;
      const done = (f: () => void) => {
        if (!settled) {
          settled = true;
          f();
        }
      };
      socket.once("connect", () => {
        phase = "tcp";
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(message.length, 0);
        socket.write(Buffer.concat([prefix, message]));
      });
      socket.on("data", (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        if (received.length < 2) return;
        const length = received.readUInt16BE(0);
        if (received.length < 2 + length) return;
        done(() => {
          try {
            const r = decodeResponse(received.subarray(2, 2 + length));
            if (!answers(r, id, name, type))
              reject(
                new ExchangeError({
                  kind: "dns",
                  message: `DNS server ${where}: the TCP response does not answer the query (id ${r.id}, question ${r.question?.name ?? "none"} type ${r.question?.type ?? "none"})`,
                }),
              );
            else resolve(r);
          } catch (e) {
            reject(
              new ExchangeError({
                kind: "dns",
                message: `DNS server ${where}: malformed response${e instanceof MalformedResponse ? "" : " (unexpected)"}: ${rawMessage(e)}`,
              }),
            );
          }
        });
      });
      socket.on("error", (e) => done(() => reject(socketFailure(e, "TCP"))));
      socket.on("close", () =>
        done(() =>
          reject(
            new ExchangeError({
              kind: "connection",
              message: `DNS server ${where}: the server closed the TCP connection ${phase === "tcp" ? `after ${received.length} bytes, before a whole response` : "while connecting"}`,
            }),
          ),
        ),
      );
    });

  let ignoredNote = "";
  let exchange: Exchange;
  try {
    exchange = await Promise.race([run(), timedOut]);
  } catch (e) {
    const latency = null; // no response: no query time
    if (e instanceof TimeoutSignal) {
      const message =
        phase === "resolve"
          ? `DNS server ${where}: its host name did not resolve within ${timeoutMs} ms (timeout_ms)`
          : phase === "tcp-connect"
            ? `DNS server ${where}: no answer to the TCP connection attempt within ${timeoutMs} ms (timeout_ms): the host is down or a firewall drops the packets`
            : `DNS server ${where}: no response to ${query} over ${phase === "udp" ? "UDP" : "TCP"} within ${timeoutMs} ms (timeout_ms)`;
      finish();
      return fail({ kind: phase === "resolve" ? "dns" : "timeout", message: `${message}${ignoredNote}` }, latency);
    }
    finish();
    if (e instanceof ExchangeError) return fail(e.error, latency);
    throw e;
  } finally {
    clearTimeout(timer);
  }
  const latency = Math.max(0, deps.now() - (sentAt ?? deps.now()));
  finish();

  const r = exchange.response;
  const records = r.answers.filter((a) => a.type === o.record_type && a.value !== null);
  const values = records.map((a) => a.value as string);
  const rcode = rcodeName(r.rcode);
  const kept: Partial<DnsDetail> = {
    rcode_value: r.rcode,
    rcode,
    answers: records.length,
    values: values.slice(0, MAX_DNS_VALUES).map((v) => (v.length > MAX_VALUE_CHARS ? v.slice(0, MAX_VALUE_CHARS) : v)),
  };
  const over = exchange.retriedOverTcp ? " (over TCP, after a truncated UDP answer)" : "";
  if (!(o.valid_rcodes as readonly string[]).includes(rcode))
    return fail(
      {
        kind: "dns",
        message: `DNS server ${where}: ${query}: the response code is ${rcode}, not ${o.valid_rcodes.join(" or ")} (dns.valid_rcodes)${over}`,
      },
      latency,
      kept,
    );
  const problem = assertionProblem(monitor, values);
  if (problem) return fail({ kind: "keyword", message: `DNS server ${where}: ${query}: ${problem}${over}` }, latency, kept);
  return { ok: true, latency_ms: latency, error: null, dns: detail(kept) };
};

class TimeoutSignal extends Error {}
