// Parsing of monitor targets: URLs for http, host:port for tcp/tls, a bare host for icmp; and the one
// form a target or a channel URL is stored in (normalizeTarget, normalizeUrl).
import { canonicalHost } from "./egress.ts";

const HOSTNAME = /^(?=.{1,253}$)([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?)*\.?$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** A dotted-quad IPv4 address (four decimal parts, no leading zeros). */
export function isIPv4(s: string): boolean {
  return IPV4.test(s);
}

export function isIPv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(":")) return false;
  try {
    new URL(`http://[${s}]/`);
    return true;
  } catch {
    return false;
  }
}

/**
 * A hostname, an IPv4 address, or an IPv6 address (without brackets). A name whose last label is a
 * number (`127.1`, `0x7f000001`, `2130706433`) is not a host name: URL parsers and resolvers read it
 * as an IPv4 address; normalizeTarget rewrites it as one.
 */
export function isHost(s: string): boolean {
  return IPV4.test(s) || isIPv6(s) || (HOSTNAME.test(s) && !/^[\d.]+$/.test(s) && !/(^|\.)(\d+|0x[0-9a-f]*)\.?$/i.test(s));
}

export type HostPort = { host: string; port: number };

/** Parses `host:port` or `[v6]:port`; returns an error message instead of throwing. */
export function parseHostPort(target: string): HostPort | string {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(target) ?? /^([^:[\]]+):(\d+)$/.exec(target);
  if (!m) return "must be host:port (IPv6 as [addr]:port)";
  const [, host, portText] = m as unknown as [string, string, string];
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return "port must be between 1 and 65535";
  if (!isHost(host)) return `"${host}" is not a valid host name or IP address`;
  return { host, port };
}

/** The port a DNS server listens on when `dns.server` names none. */
export const DNS_PORT = 53;

/**
 * A dns monitor's `server`: `host`, `host:port`, `[v6]:port` or a bare IPv6 address (`host` without a port:
 * port 53). Returns the host (IPv6 without brackets) and port, or what is wrong, worded to follow "server ".
 */
export function parseDnsServer(server: string): HostPort | string {
  if (/[\s\p{Cc}]/u.test(server)) return "must not contain whitespace or control characters";
  if (isIPv6(server)) return { host: server, port: DNS_PORT };
  const bracketed = /^\[([^\]]+)\]$/.exec(server);
  if (bracketed) return isIPv6(bracketed[1]!) ? { host: bracketed[1]!, port: DNS_PORT } : `"${server}" is not a valid IPv6 address`;
  if (!server.includes(":"))
    return isHost(server) ? { host: server, port: DNS_PORT } : `"${server}" is not a valid host name or IP address`;
  const hp = parseHostPort(server);
  if (typeof hp === "string") return hp.startsWith("must be") ? "must be host or host:port (IPv6 as [addr]:port)" : hp;
  // Brackets are for IPv6 only: "[name]:53" is no spelling of a name.
  if (server.startsWith("[") && !isIPv6(hp.host)) return `"${hp.host}" is not an IPv6 address (only IPv6 addresses take brackets)`;
  return hp;
}

/** Whitespace and control characters, which URL parsers drop or encode silently, so what is stored would not be what is checked. */
const INVISIBLE = /[\s\p{Cc}]/u;

/** Checks an http(s) URL target; returns an error message or null. */
export function checkHttpUrl(target: string): string | null {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return "must be an absolute http:// or https:// URL";
  }
  if (INVISIBLE.test(target)) return "must not contain whitespace or control characters";
  if (url.protocol !== "http:" && url.protocol !== "https:") return "must use http:// or https://";
  if (url.username || url.password) return "must not embed credentials; use http.headers";
  return null;
}

export type TargetKind = "http" | "tcp" | "icmp" | "tls" | "dns";

/**
 * A monitor's target in the one form it is stored, checked and shown in, or what is wrong with it
 * (worded to follow "<kind> target ", as the Monitor schema reports it):
 * - http: `new URL(target).href`, so the host is canonical (`http://0x7f000001/` is stored as
 *   `http://127.0.0.1/`, `HTTP://Example.COM` as `http://example.com/`);
 * - tcp and tls: `host:port` with the host canonical (`[v6]:port` for IPv6, `127.1:22` → `127.0.0.1:22`);
 * - icmp: the canonical host (IPv6 without brackets).
 * Whitespace and control characters are refused everywhere.
 */
export function normalizeTarget(kind: TargetKind, target: string): { target: string } | { error: string } {
  if (kind !== "http" && INVISIBLE.test(target)) return { error: "must not contain whitespace or control characters" };
  switch (kind) {
    case "http": {
      const problem = checkHttpUrl(target);
      return problem ? { error: problem } : { target: new URL(target).href };
    }
    case "tcp":
    case "tls": {
      const m = /^\[([^\]]+)\]:(\d+)$/.exec(target) ?? /^([^:[\]]+):(\d+)$/.exec(target);
      if (!m) return { error: "must be host:port (IPv6 as [addr]:port)" };
      const host = canonicalHost(m[1]!);
      if (typeof host === "string") return { error: host };
      const normalized = `${host.host.includes(":") ? `[${host.host}]` : host.host}:${Number(m[2])}`;
      const hp = parseHostPort(normalized);
      return typeof hp === "string" ? { error: hp } : { target: normalized };
    }
    case "icmp": {
      const host = canonicalHost(target);
      if (typeof host === "string") return { error: host };
      return isHost(host.host) ? { target: host.host } : { error: "must be a host name or IP address" };
    }
    case "dns": {
      // The name asked for: lower case, without the root's trailing dot (names compare case-insensitively).
      const name = target.toLowerCase().replace(/\.$/, "");
      return name.length > 0 && HOSTNAME.test(name) && !IPV4.test(name) && !isIPv6(name)
        ? { target: name }
        : { error: "must be a domain name (letters, digits, '-' and '_' in dot-separated labels of at most 63)" };
    }
  }
}

/**
 * A notification channel's URL in the one form it is stored and sent to (`new URL(url).href`), or
 * what is wrong with it: http:// or https:// only, no whitespace or control characters, at most 2048
 * characters. Where it may go is the egress policy's business (urlEgressProblem in egress.ts).
 */
export function normalizeUrl(text: string): { url: string } | { error: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { error: "must be an absolute http:// or https:// URL" };
  }
  if (INVISIBLE.test(text)) return { error: "must not contain whitespace or control characters" };
  if (url.protocol !== "http:" && url.protocol !== "https:") return { error: "must be an http:// or https:// URL" };
  if (url.href.length > 2048) return { error: "must be at most 2048 characters" };
  return { url: url.href };
}
