// Parsing of monitor targets: URLs for http, host:port for tcp/tls, a bare host for icmp.

const HOSTNAME = /^(?=.{1,253}$)([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?)*\.?$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(":")) return false;
  try {
    new URL(`http://[${s}]/`);
    return true;
  } catch {
    return false;
  }
}

/** A hostname, an IPv4 address, or an IPv6 address (without brackets). */
export function isHost(s: string): boolean {
  return IPV4.test(s) || isIPv6(s) || (HOSTNAME.test(s) && !/^[\d.]+$/.test(s));
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

/** Checks an http(s) URL target; returns an error message or null. */
export function checkHttpUrl(target: string): string | null {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return "must be an absolute http:// or https:// URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "must use http:// or https://";
  if (url.username || url.password) return "must not embed credentials; use http.headers";
  return null;
}
