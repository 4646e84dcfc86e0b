// The egress policy: where checks and notifications may go. Written once, applied by the edge's http
// check and alert delivery (to URLs, before each request and each redirect hop) and by the agent's
// checks (to the addresses a name resolves to, which are then the ones connected to).
// Plain TypeScript on plain values (no node: imports, nothing Node's type stripping rejects): the
// Worker and the agent both import it. docs/security.md, "Egress policy", describes it for operators.
import { z } from "zod";
import { envVar } from "./settings.ts";

// ---------------------------------------------------------------------------------------------------
// Addresses

/** An IP address: 32 bits (IPv4) or 128 bits (IPv6) as a bigint. */
export type IpAddress = { readonly version: 4 | 6; readonly value: bigint };

const BITS = { 4: 32, 6: 128 } as const;

const IPV4_STRICT = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** A dotted-quad IPv4 address in canonical form (four decimal parts, no leading zeros), else null. */
export function parseIPv4(text: string): IpAddress | null {
  if (!IPV4_STRICT.test(text)) return null;
  let value = 0n;
  for (const part of text.split(".")) value = (value << 8n) | BigInt(Number(part));
  return { version: 4, value };
}

/**
 * An IPv6 address in any RFC 4291 text form (`::` shorthand, an embedded dotted quad as in
 * `::ffff:169.254.169.254`), without brackets; null for anything else, including zone ids (`%eth0`).
 */
export function parseIPv6(text: string): IpAddress | null {
  if (text.length === 0 || text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(":")) return null;
  let body = text;
  const tail: number[] = [];
  const lastColon = body.lastIndexOf(":");
  if (body.includes(".")) {
    const v4 = parseIPv4(body.slice(lastColon + 1));
    if (!v4) return null;
    tail.push(Number(v4.value >> 16n), Number(v4.value & 0xffffn));
    // Keep the colon before the dotted quad: "::1.2.3.4" leaves "::", "a::1.2.3.4" leaves "a::".
    body = body.slice(0, lastColon + 1);
    if (body.endsWith(":") && !body.endsWith("::")) body = body.slice(0, -1);
  }
  const halves = body.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === "") return [];
    const out: number[] = [];
    for (const g of s.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !rest) return null;
  const given = [...head, ...rest, ...tail];
  let all: number[];
  if (halves.length === 2) {
    if (given.length > 7) return null;
    all = [...head, ...Array<number>(8 - given.length).fill(0), ...rest, ...tail];
  } else {
    if (given.length !== 8) return null;
    all = given;
  }
  let value = 0n;
  for (const g of all) value = (value << 16n) | BigInt(g);
  return { version: 6, value };
}

/** An IPv4 or IPv6 address (IPv6 with or without brackets), else null. */
export function parseIp(text: string): IpAddress | null {
  const inner = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  return inner === text ? (parseIPv4(text) ?? parseIPv6(text)) : parseIPv6(inner);
}

/** The address's canonical text: dotted quad, or RFC 5952 IPv6 (lower case, the longest run of zeros as `::`). */
export function formatIp(ip: IpAddress): string {
  if (ip.version === 4) return [24n, 16n, 8n, 0n].map((s) => String((ip.value >> s) & 0xffn)).join(".");
  const groups = Array.from({ length: 8 }, (_, i) => Number((ip.value >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

// ---------------------------------------------------------------------------------------------------
// Host names and the numeric forms of IPv4 that resolvers accept

/** The WHATWG URL rule: a host whose last label is a number (decimal, 0x hex, or 0-led octal) is an IPv4 address. */
function endsInNumber(host: string): boolean {
  const labels = host.split(".");
  if (labels.at(-1) === "") {
    if (labels.length === 1) return false;
    labels.pop();
  }
  const last = labels.at(-1)!;
  return /^\d+$/.test(last) || /^0[xX][0-9a-fA-F]*$/.test(last);
}

/**
 * The IPv4 address a numeric host means to a URL parser or to inet_aton (`127.1`, `0x7f000001`,
 * `2130706433`, `0177.0.0.1`), as the WHATWG URL standard parses it; null when it is no valid one.
 */
export function parseIPv4Numeric(host: string): IpAddress | null {
  const parts = host.split(".");
  if (parts.at(-1) === "" && parts.length > 1) parts.pop();
  if (parts.length === 0 || parts.length > 4) return null;
  const numbers: bigint[] = [];
  for (const p of parts) {
    let n: bigint;
    if (/^0[xX][0-9a-fA-F]*$/.test(p)) n = p.length === 2 ? 0n : BigInt(p);
    else if (/^0[0-7]+$/.test(p)) n = BigInt(`0o${p.slice(1)}`);
    else if (/^(0|[1-9]\d*)$/.test(p)) n = BigInt(p);
    else return null;
    numbers.push(n);
  }
  const last = numbers.pop()!;
  if (numbers.some((n) => n > 255n)) return null;
  if (last >= 256n ** BigInt(5 - parts.length)) return null;
  let value = last;
  numbers.forEach((n, i) => {
    value += n << BigInt(8 * (3 - i));
  });
  return { version: 4, value };
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)*\.?$/;

export type CanonicalHost = { host: string; ip: IpAddress | null };

/**
 * A target's host in the one form it is stored and checked in: an IPv4 address as a dotted quad
 * (numeric forms such as `0x7f000001` or `127.1` become `127.0.0.1`, as `new URL` makes them), an IPv6
 * address in RFC 5952 form without brackets, a host name in lower case. A string saying what is wrong
 * when it is none of these.
 */
export function canonicalHost(text: string): CanonicalHost | string {
  if (/[\s\p{Cc}]/u.test(text)) return "must not contain whitespace or control characters";
  if (text.startsWith("[") || text.includes(":")) {
    const ip = parseIp(text.startsWith("[") ? text : `[${text}]`);
    return ip && ip.version === 6 ? { host: formatIp(ip), ip } : `"${text}" is not a valid IPv6 address`;
  }
  const lower = text.toLowerCase();
  if (endsInNumber(lower)) {
    const ip = parseIPv4Numeric(lower);
    return ip ? { host: formatIp(ip), ip } : `"${text}" is neither a valid host name nor a valid IPv4 address`;
  }
  if (!HOSTNAME.test(lower)) return `"${text}" is not a valid host name or IP address`;
  return { host: lower, ip: null };
}

// ---------------------------------------------------------------------------------------------------
// Ranges and categories

export type Cidr = { readonly version: 4 | 6; readonly base: bigint; readonly prefix: number };

/** `a.b.c.d/n`, `v6/n` or a bare address (a /32 or /128); a string saying what is wrong otherwise. */
export function parseCidr(text: string): Cidr | string {
  const slash = text.indexOf("/");
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const ip = parseIp(addrText);
  if (!ip) return `"${text}" is not an IP address or CIDR range`;
  const bits = BITS[ip.version];
  if (slash < 0) return { version: ip.version, base: ip.value, prefix: bits };
  const prefixText = text.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefix > bits) return `"${text}": the prefix length must be 0 to ${bits}`;
  const host = (1n << BigInt(bits - prefix)) - 1n;
  if ((ip.value & host) !== 0n) {
    const base = formatIp({ version: ip.version, value: ip.value & ~host });
    return `"${text}" has bits set past its prefix; did you mean ${base}/${prefix}?`;
  }
  return { version: ip.version, base: ip.value, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp({ version: c.version, value: c.base })}/${c.prefix}`;
}

export function cidrContains(c: Cidr, ip: IpAddress): boolean {
  if (c.version !== ip.version) return false;
  const shift = BigInt(BITS[c.version] - c.prefix);
  return ip.value >> shift === c.base >> shift;
}

/** The kinds of address an egress policy can refuse by default. */
export const EGRESS_CATEGORIES = [
  "unspecified",
  "loopback",
  "link-local",
  "metadata",
  "private",
  "cgnat",
  "ula",
  "multicast",
  "broadcast",
  "documentation",
  "reserved",
] as const;
export type EgressCategory = (typeof EGRESS_CATEGORIES)[number];

/** What each category is, as messages and docs say it. */
export const CATEGORY_NAMES: Record<EgressCategory, string> = {
  unspecified: "an unspecified address (connecting to it reaches the host itself)",
  loopback: "a loopback address",
  "link-local": "a link-local address",
  metadata: "a cloud metadata service address",
  private: "a private address",
  cgnat: "a shared (carrier-grade NAT) address",
  ula: "a unique local IPv6 address",
  multicast: "a multicast address",
  broadcast: "the broadcast address",
  documentation: "a documentation address",
  reserved: "a reserved address",
};

/** Where an IPv6 prefix carries an IPv4 address, and at which bit it starts (from the most significant). */
type Embedding = { at: number; fallback: EgressCategory | null };

type Range = { cidr: Cidr; category: EgressCategory | null; note: string; embeds?: Embedding };

const range = (text: string, category: EgressCategory | null, note: string, embeds?: Embedding): Range => {
  const cidr = parseCidr(text);
  if (typeof cidr === "string") throw new Error(cidr);
  return embeds ? { cidr, category, note, embeds } : { cidr, category, note };
};

/** Every special-purpose range (IANA's registries), most specific first where they nest. */
const RANGES: readonly Range[] = [
  // IPv4
  range("169.254.169.254/32", "metadata", "the metadata service of AWS, GCP, Azure, OpenStack and others"),
  range("169.254.170.2/32", "metadata", "AWS ECS task metadata"),
  range("169.254.170.23/32", "metadata", "AWS EKS Pod Identity"),
  range("100.100.100.200/32", "metadata", "Alibaba Cloud metadata"),
  range("192.0.0.192/32", "metadata", "Oracle Cloud metadata"),
  range("255.255.255.255/32", "broadcast", "limited broadcast"),
  range("0.0.0.0/8", "unspecified", "'this network', RFC 1122"),
  range("10.0.0.0/8", "private", "RFC 1918"),
  range("100.64.0.0/10", "cgnat", "RFC 6598"),
  range("127.0.0.0/8", "loopback", "RFC 1122"),
  range("169.254.0.0/16", "link-local", "RFC 3927; cloud metadata services answer here"),
  range("172.16.0.0/12", "private", "RFC 1918"),
  range("192.0.0.0/24", "reserved", "IETF protocol assignments, RFC 6890"),
  range("192.0.2.0/24", "documentation", "TEST-NET-1, RFC 5737"),
  range("192.88.99.0/24", "reserved", "6to4 relay anycast, RFC 7526"),
  range("192.168.0.0/16", "private", "RFC 1918"),
  range("198.18.0.0/15", "reserved", "benchmarking, RFC 2544"),
  range("198.51.100.0/24", "documentation", "TEST-NET-2, RFC 5737"),
  range("203.0.113.0/24", "documentation", "TEST-NET-3, RFC 5737"),
  range("224.0.0.0/4", "multicast", "RFC 5771"),
  range("240.0.0.0/4", "reserved", "RFC 1112"),
  // IPv6
  range("::/128", "unspecified", "RFC 4291"),
  range("::1/128", "loopback", "RFC 4291"),
  range("fd00:ec2::254/128", "metadata", "the AWS metadata service over IPv6"),
  range("fd00:ec2::23/128", "metadata", "AWS EKS Pod Identity over IPv6"),
  range("::ffff:0:0/96", null, "IPv4-mapped, RFC 4291", { at: 96, fallback: null }),
  range("::ffff:0:0:0/96", "reserved", "IPv4-translated, RFC 2765", { at: 96, fallback: "reserved" }),
  range("::/96", "reserved", "IPv4-compatible (deprecated), RFC 4291", { at: 96, fallback: "reserved" }),
  range("64:ff9b::/96", null, "NAT64, RFC 6052", { at: 96, fallback: null }),
  range("64:ff9b:1::/48", "private", "local-use NAT64, RFC 8215", { at: 96, fallback: "private" }),
  range("100::/64", "reserved", "discard-only, RFC 6666"),
  range("2001:db8::/32", "documentation", "RFC 3849"),
  range("2001::/23", "reserved", "IETF protocol assignments (Teredo among them), RFC 2928"),
  range("2002::/16", null, "6to4, RFC 3056", { at: 16, fallback: null }),
  range("3fff::/20", "documentation", "RFC 9637"),
  range("fc00::/7", "ula", "RFC 4193"),
  range("fe80::/10", "link-local", "RFC 4291"),
  range("fec0::/10", "reserved", "site-local (deprecated), RFC 3879"),
  range("ff00::/8", "multicast", "RFC 4291"),
  range("2000::/3", null, "global unicast"),
  range("::/0", "reserved", "outside IPv6 global unicast (2000::/3)"),
];

/** What an address is: its category (null: a public address), the range that says so, and the IPv4 address it embeds. */
export type Classification = {
  category: EgressCategory | null;
  range: string;
  note: string;
  /** The IPv4 address inside an IPv4-mapped, NAT64, 6to4 or IPv4-compatible IPv6 address. */
  embedded: IpAddress | null;
};

function longestMatch(ip: IpAddress): Range | null {
  let best: Range | null = null;
  for (const r of RANGES) if (cidrContains(r.cidr, ip) && (!best || r.cidr.prefix > best.cidr.prefix)) best = r;
  return best;
}

/** The category of an address, looking through the IPv6 forms that carry an IPv4 address. */
export function classifyIp(ip: IpAddress): Classification {
  const r = longestMatch(ip);
  if (!r) return { category: null, range: "", note: "public", embedded: null };
  const own = { category: r.category, range: formatCidr(r.cidr), note: r.note, embedded: null };
  if (!r.embeds) return own;
  const embedded: IpAddress = { version: 4, value: (ip.value >> BigInt(128 - r.embeds.at - 32)) & 0xffffffffn };
  const inner = classifyIp(embedded);
  if (inner.category !== null)
    return { ...inner, note: `${inner.note}; ${formatIp(ip)} carries ${formatIp(embedded)} (${r.note})`, embedded };
  return { category: r.embeds.fallback, range: own.range, note: r.note, embedded };
}

/** Names that resolve inside a machine or a private network only (RFC 6761, RFC 6762, RFC 8375, ICANN's .internal). */
export function classifyName(name: string): Classification | null {
  const n = name.toLowerCase().replace(/\.$/, "");
  const as = (category: EgressCategory, note: string): Classification => ({ category, range: n, note, embedded: null });
  if (n === "localhost" || n.endsWith(".localhost")) return as("loopback", "localhost names resolve to loopback, RFC 6761");
  if (n === "metadata.google.internal" || n === "metadata.goog") return as("metadata", "the GCP metadata service's name");
  if (!n.includes(".")) return as("private", "a single-label name, resolved only through a local resolver's search domains");
  for (const suffix of [".local", ".internal", ".home.arpa", ".localdomain"])
    if (n.endsWith(suffix)) return as("private", `${suffix} names resolve only inside a private network`);
  return null;
}

// ---------------------------------------------------------------------------------------------------
// The policy

/** One entry of an allow or deny list: a CIDR range (or one address), or a host name (`*.example.com`: any name under it). */
export type EgressRule = { readonly text: string } & (
  | { readonly kind: "cidr"; readonly cidr: Cidr }
  | { readonly kind: "host"; readonly name: string; readonly subdomains: boolean }
);

export type PortRange = { readonly from: number; readonly to: number };

export interface EgressPolicy {
  /** Whose policy it is, for messages: "the edge's", "this agent's". */
  readonly owner: string;
  /** Allowed although their category is refused by default. */
  readonly allow: readonly EgressRule[];
  /** Refused whatever else applies. */
  readonly deny: readonly EgressRule[];
  /** Categories refused unless `allow` names the address or host. */
  readonly defaultDeny: readonly EgressCategory[];
  /** When set, only these ports. */
  readonly allowPorts: readonly PortRange[] | null;
  readonly denyPorts: readonly PortRange[];
  /** The setting behind each list, named in messages. */
  readonly settings: { readonly allow: string; readonly deny: string; readonly allowPorts?: string; readonly denyPorts?: string };
}

/** Everything but public addresses: what the edge refuses unless EGRESS_ALLOW says otherwise. */
export const EDGE_DEFAULT_DENY: readonly EgressCategory[] = EGRESS_CATEGORIES;
/** Agents exist to check private networks; they refuse what no check needs and what leaks credentials. */
export const AGENT_DEFAULT_DENY: readonly EgressCategory[] = ["unspecified", "link-local", "metadata", "multicast", "broadcast"];

const SETTING_NAMES = { allow: "EGRESS_ALLOW", deny: "EGRESS_DENY", allowPorts: "EGRESS_ALLOW_PORTS", denyPorts: "EGRESS_DENY_PORTS" };

export function edgePolicy(lists: { allow?: readonly EgressRule[]; deny?: readonly EgressRule[] } = {}): EgressPolicy {
  return {
    owner: "the edge's",
    allow: lists.allow ?? [],
    deny: lists.deny ?? [],
    defaultDeny: EDGE_DEFAULT_DENY,
    allowPorts: null,
    denyPorts: [],
    settings: { allow: SETTING_NAMES.allow, deny: SETTING_NAMES.deny },
  };
}

export function agentPolicy(
  lists: {
    allow?: readonly EgressRule[];
    deny?: readonly EgressRule[];
    allowPorts?: readonly PortRange[] | null;
    denyPorts?: readonly PortRange[];
  } = {},
): EgressPolicy {
  return {
    owner: "this agent's",
    allow: lists.allow ?? [],
    deny: lists.deny ?? [],
    defaultDeny: AGENT_DEFAULT_DENY,
    allowPorts: lists.allowPorts && lists.allowPorts.length > 0 ? lists.allowPorts : null,
    denyPorts: lists.denyPorts ?? [],
    settings: SETTING_NAMES,
  };
}

function ruleMatches(rule: EgressRule, host: string, ips: readonly IpAddress[]): boolean {
  if (rule.kind === "cidr") return ips.some((ip) => cidrContains(rule.cidr, ip));
  if (ips.length > 0) return false;
  return rule.subdomains ? host.endsWith(`.${rule.name}`) : host === rule.name;
}

const inPorts = (ranges: readonly PortRange[], port: number) => ranges.some((r) => port >= r.from && port <= r.to);
const describePorts = (ranges: readonly PortRange[]) => ranges.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`)).join(",");

/** Thrown (or handed to a socket's callback) where the policy refuses a connection: no packet was sent. */
export class EgressRefused extends Error {
  readonly code = "ERR_EGRESS_REFUSED";
  constructor(message: string) {
    super(message);
    this.name = "EgressRefused";
  }
}

export function isEgressRefused(e: unknown): e is EgressRefused {
  return e instanceof EgressRefused || (e as { code?: unknown } | null)?.code === "ERR_EGRESS_REFUSED";
}

/**
 * Why `policy` refuses `host` (an IP address, IPv6 with or without brackets, or a host name) on
 * `port` (null: no port, as for ICMP); null when it allows it. The message names the address, the
 * category or list entry that refuses it, and the setting that would allow it. `resolvedFrom` is the
 * name `host` was resolved from, for the message.
 *
 * Order: a deny entry (address or name) or a denied port refuses; then an allow entry allows; then
 * the address's (or name's) category refuses when the policy refuses it by default. A numeric host
 * in another form than a dotted quad (`127.1`, `0x7f000001`, `2130706433`) is judged as the IPv4
 * address URL parsers and resolvers read it as; one they would refuse is refused.
 */
export function egressProblem(host: string, port: number | null | undefined, policy: EgressPolicy, resolvedFrom?: string): string | null {
  const canonical = canonicalHost(host);
  if (typeof canonical === "string") return `${resolvedFrom ?? host} is refused by ${policy.owner} egress policy: ${canonical}`;
  const { ip } = canonical;
  const name = ip === null ? canonical.host.replace(/\.$/, "") : canonical.host;
  const subject = resolvedFrom ? `${resolvedFrom} (resolved to ${name})` : name;
  const refused = (why: string) => `${subject} is refused by ${policy.owner} egress policy: ${why}`;

  const cls = ip ? classifyIp(ip) : classifyName(name);
  const ips = ip ? (cls?.embedded ? [ip, cls.embedded] : [ip]) : [];

  const denied = policy.deny.find((r) => ruleMatches(r, name, ips));
  if (denied) return refused(`${policy.settings.deny} lists ${denied.text}`);
  if (port !== null && port !== undefined) {
    if (inPorts(policy.denyPorts, port))
      return refused(`port ${port} is in ${policy.settings.denyPorts ?? "the denied ports"} (${describePorts(policy.denyPorts)})`);
    if (policy.allowPorts && !inPorts(policy.allowPorts, port))
      return refused(
        `port ${port} is not in ${policy.settings.allowPorts ?? "the allowed ports"} (${describePorts(policy.allowPorts)}); add it there to allow it`,
      );
  }
  if (policy.allow.some((r) => ruleMatches(r, name, ips))) return null;
  if (!cls || cls.category === null || !policy.defaultDeny.includes(cls.category)) return null;
  const where = ip ? `${cls.range}, ${cls.note}` : cls.note;
  const example = !ip ? name : cls.embedded ? `${formatIp(cls.embedded)}/32` : `${name}/${BITS[ip.version]}`;
  return refused(
    `it is ${CATEGORY_NAMES[cls.category]} (${where}), which is refused by default; to allow it, add it to ${policy.settings.allow} (e.g. ${policy.settings.allow}=${example})`,
  );
}

/** The port a URL connects to: its own, else its scheme's. */
export function urlPort(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === "https:" ? 443 : 80;
}

/** Why `policy` refuses a request to `url` (only http and https are ever allowed); null when it allows it. */
export function urlEgressProblem(url: URL, policy: EgressPolicy): string | null {
  if (url.protocol !== "http:" && url.protocol !== "https:")
    return `${url.href} is refused by ${policy.owner} egress policy: only http and https are allowed`;
  return egressProblem(url.hostname, urlPort(url), policy);
}

// ---------------------------------------------------------------------------------------------------
// Settings

/** Parses an allow or deny list: CIDR ranges, addresses and host names, separated by commas or spaces. */
export function parseEgressRules(text: string): { rules: EgressRule[] } | { errors: string[] } {
  const rules: EgressRule[] = [];
  const errors: string[] = [];
  for (const entry of text.split(/[\s,]+/).filter(Boolean)) {
    if (entry.includes("/") || parseIp(entry)) {
      const cidr = parseCidr(entry);
      if (typeof cidr === "string") errors.push(cidr);
      else rules.push({ text: entry, kind: "cidr", cidr });
      continue;
    }
    const subdomains = entry.startsWith("*.");
    const name = (subdomains ? entry.slice(2) : entry).toLowerCase().replace(/\.$/, "");
    if (endsInNumber(name)) {
      const ip = parseIPv4Numeric(name);
      errors.push(ip ? `"${entry}": write the address as ${formatIp(ip)}` : `"${entry}" is not an IP address, CIDR range or host name`);
      continue;
    }
    if (!HOSTNAME.test(name)) {
      errors.push(`"${entry}" is not an IP address, CIDR range or host name (*.example.com for the names under one)`);
      continue;
    }
    rules.push({ text: entry, kind: "host", name, subdomains });
  }
  return errors.length > 0 ? { errors } : { rules };
}

/** Parses a port list: ports and ranges (`22,80,443,8000-8999`). */
export function parsePortRanges(text: string): { ports: PortRange[] } | { errors: string[] } {
  const ports: PortRange[] = [];
  const errors: string[] = [];
  for (const entry of text.split(/[\s,]+/).filter(Boolean)) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(entry);
    const from = Number(m?.[1]);
    const to = m?.[2] === undefined ? from : Number(m[2]);
    if (!m || from < 1 || to > 65535 || from > to) errors.push(`"${entry}" is not a port (1-65535) or range (8000-8999)`);
    else ports.push({ from, to });
  }
  return errors.length > 0 ? { errors } : { ports };
}

/** A setting holding an allow or deny list; unset or empty: no entries. */
export const egressRulesVar = envVar(
  z
    .string()
    .optional()
    .transform((s, ctx): EgressRule[] => {
      if (s === undefined) return [];
      const r = parseEgressRules(s);
      if ("errors" in r) {
        for (const message of r.errors) ctx.addIssue({ code: "custom", message });
        return z.NEVER;
      }
      return r.rules;
    }),
);

/** A setting holding a port list; unset or empty: no entries. */
export const portRangesVar = envVar(
  z
    .string()
    .optional()
    .transform((s, ctx): PortRange[] => {
      if (s === undefined) return [];
      const r = parsePortRanges(s);
      if ("errors" in r) {
        for (const message of r.errors) ctx.addIssue({ code: "custom", message });
        return z.NEVER;
      }
      return r.ports;
    }),
);
