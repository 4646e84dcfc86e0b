// The egress policy's rules on plain values: address parsing (every IPv4 and IPv6 form resolvers accept),
// the categories, the edge's and the agents' defaults, allow/deny lists and ports, and the messages.
import { describe, expect, it } from "vitest";
import {
  agentPolicy,
  canonicalHost,
  classifyIp,
  edgePolicy,
  egressProblem,
  formatIp,
  parseCidr,
  parseEgressRules,
  parseIp,
  parseIPv4Numeric,
  parsePortRanges,
  urlEgressProblem,
  type EgressRule,
} from "./egress.ts";
import { isHost, normalizeTarget, normalizeUrl, parseHostPort } from "./target.ts";

const rules = (text: string): EgressRule[] => {
  const r = parseEgressRules(text);
  if ("errors" in r) throw new Error(r.errors.join("; "));
  return r.rules;
};
const category = (text: string) => classifyIp(parseIp(text)!).category;

describe("addresses", () => {
  it("parses IPv4 and every IPv6 text form, and prints them canonically", () => {
    expect(formatIp(parseIp("10.0.0.1")!)).toBe("10.0.0.1");
    expect(parseIp("010.0.0.1")).toBeNull(); // dotted quads only in their canonical form here
    expect(formatIp(parseIp("::1")!)).toBe("::1");
    expect(formatIp(parseIp("[::1]")!)).toBe("::1");
    expect(formatIp(parseIp("0:0:0:0:0:0:0:1")!)).toBe("::1");
    expect(formatIp(parseIp("::ffff:169.254.169.254")!)).toBe("::ffff:a9fe:a9fe");
    expect(formatIp(parseIp("2001:DB8:0:0:1:0:0:1")!)).toBe("2001:db8::1:0:0:1");
    expect(formatIp(parseIp("fd00:ec2::254")!)).toBe("fd00:ec2::254");
    expect(formatIp(parseIp("::")!)).toBe("::");
    for (const bad of ["1::2::3", ":::", "1:2:3:4:5:6:7:8:9", "fe80::1%eth0", "1.2.3.4::", "::1.2.3", "12345::", "g::1", "[10.0.0.1]"])
      expect(parseIp(bad), bad).toBeNull();
  });

  it("reads the numeric IPv4 forms as URL parsers and inet_aton do", () => {
    for (const [text, address] of [
      ["0x7f000001", "127.0.0.1"],
      ["2130706433", "127.0.0.1"],
      ["127.1", "127.0.0.1"],
      ["0177.0.0.1", "127.0.0.1"],
      ["0x7f.1", "127.0.0.1"],
      ["0xa9fea9fe", "169.254.169.254"],
      ["169.254.43518", "169.254.169.254"],
    ] as const) {
      expect(formatIp(parseIPv4Numeric(text)!), text).toBe(address);
      expect(new URL(`http://${text}/`).hostname, text).toBe(address); // the same as WHATWG URL
    }
    for (const bad of ["1.2.3.4.5", "08", "256.0.0.1", "4294967296", "1.16777216"]) expect(parseIPv4Numeric(bad), bad).toBeNull();
  });

  it("canonicalises hosts: numeric IPv4 forms become dotted quads, IPv6 loses its brackets, names their capitals", () => {
    expect(canonicalHost("0x7f000001")).toMatchObject({ host: "127.0.0.1" });
    expect(canonicalHost("[::FFFF:127.0.0.1]")).toMatchObject({ host: "::ffff:7f00:1" });
    expect(canonicalHost("DB.Example.COM")).toEqual({ host: "db.example.com", ip: null });
    expect(canonicalHost("1.2.3.4.5")).toMatch(/neither a valid host name nor a valid IPv4 address/);
    expect(canonicalHost("a b")).toMatch(/whitespace/);
    expect(canonicalHost("evil\n.example")).toMatch(/control characters/);
  });

  it("parses CIDR ranges and refuses bits past the prefix", () => {
    expect(parseCidr("10.0.0.0/8")).toMatchObject({ version: 4, prefix: 8 });
    expect(parseCidr("fd00::/8")).toMatchObject({ version: 6, prefix: 8 });
    expect(parseCidr("10.0.0.1")).toMatchObject({ prefix: 32 });
    expect(parseCidr("10.0.0.1/8")).toMatch(/did you mean 10\.0\.0\.0\/8/);
    expect(parseCidr("10.0.0.0/33")).toMatch(/0 to 32/);
  });
});

describe("categories", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["::1", "loopback"],
    ["0.0.0.0", "unspecified"],
    ["::", "unspecified"],
    ["169.254.169.254", "metadata"],
    ["169.254.170.2", "metadata"],
    ["fd00:ec2::254", "metadata"],
    ["100.100.100.200", "metadata"],
    ["169.254.1.1", "link-local"],
    ["fe80::1", "link-local"],
    ["10.0.0.1", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "cgnat"],
    ["fd12:3456::1", "ula"],
    ["224.0.0.1", "multicast"],
    ["ff02::1", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["192.0.2.1", "documentation"],
    ["2001:db8::1", "documentation"],
    ["240.0.0.1", "reserved"],
    ["198.18.0.1", "reserved"],
    ["2001::1", "reserved"],
    // IPv6 forms that carry an IPv4 address are what they carry.
    ["::ffff:169.254.169.254", "metadata"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:10.0.0.1", "private"],
    ["64:ff9b::a9fe:a9fe", "metadata"],
    ["2002:a9fe:a9fe::", "metadata"],
    ["::127.0.0.1", "loopback"],
    ["::ffff:0:a9fe:a9fe", "metadata"],
  ])("%s is %s", (address, expected) => {
    expect(category(address)).toBe(expected);
  });

  it("leaves public addresses alone", () => {
    for (const a of ["1.1.1.1", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"])
      expect(category(a), a).toBeNull();
  });
});

describe("the edge's default policy", () => {
  const edge = edgePolicy();

  it("refuses every non-public address, naming it, its category and the setting that allows it", () => {
    expect(egressProblem("169.254.169.254", 80, edge)).toBe(
      "169.254.169.254 is refused by the edge's egress policy: it is a cloud metadata service address (169.254.169.254/32, the metadata service of AWS, GCP, Azure, OpenStack and others), which is refused by default; to allow it, add it to EGRESS_ALLOW (e.g. EGRESS_ALLOW=169.254.169.254/32)",
    );
    expect(egressProblem("10.0.0.1", 80, edge)).toMatch(
      /^10\.0\.0\.1 is refused .*a private address \(10\.0\.0\.0\/8, RFC 1918\).*EGRESS_ALLOW/,
    );
    expect(egressProblem("[::ffff:169.254.169.254]", 80, edge)).toMatch(
      /^::ffff:a9fe:a9fe is refused .*metadata.*EGRESS_ALLOW=169\.254\.169\.254\/32/,
    );
    expect(egressProblem("0x7f000001", 80, edge)).toMatch(/^127\.0\.0\.1 is refused .*a loopback address/);
    expect(egressProblem("localhost", 80, edge)).toMatch(/^localhost is refused .*a loopback address.*EGRESS_ALLOW=localhost/);
    expect(egressProblem("metadata.google.internal", 80, edge)).toMatch(/cloud metadata service/);
    expect(egressProblem("intranet", 80, edge)).toMatch(/single-label/);
    expect(egressProblem("1.1.1.1", 443, edge)).toBeNull();
    expect(egressProblem("example.com", 443, edge)).toBeNull();
  });

  it("checks URLs as WHATWG URL parsing canonicalises them", () => {
    for (const u of ["http://0x7f000001/", "http://2130706433/", "http://127.1/", "http://[::ffff:7f00:1]/", "http://LOCALHOST:8080/"])
      expect(urlEgressProblem(new URL(u), edge), u).toMatch(/loopback/);
    expect(urlEgressProblem(new URL("ftp://example.com/"), edge)).toMatch(/only http and https/);
    expect(urlEgressProblem(new URL("https://example.com/"), edge)).toBeNull();
  });

  it("allows what EGRESS_ALLOW lists and refuses what EGRESS_DENY lists, deny first", () => {
    const p = edgePolicy({ allow: rules("127.0.0.0/8, ::1 localhost *.corp.example"), deny: rules("127.0.0.2 secret.corp.example") });
    expect(egressProblem("127.0.0.1", 80, p)).toBeNull();
    expect(egressProblem("::ffff:127.0.0.1", 80, p)).toBeNull(); // the IPv4 address it carries is allowed
    expect(egressProblem("localhost", 80, p)).toBeNull();
    expect(egressProblem("a.corp.example", 80, p)).toBeNull();
    expect(egressProblem("127.0.0.2", 80, p)).toMatch(
      /^127\.0\.0\.2 is refused by the edge's egress policy: EGRESS_DENY lists 127\.0\.0\.2$/,
    );
    expect(egressProblem("secret.corp.example", 80, p)).toMatch(/EGRESS_DENY lists secret\.corp\.example/);
    expect(egressProblem("10.0.0.1", 80, p)).toMatch(/private/);
    expect(egressProblem("example.com", 80, edgePolicy({ deny: rules("example.com") }))).toMatch(/EGRESS_DENY/);
  });
});

describe("the agents' default policy", () => {
  const agent = agentPolicy();

  it("allows private, loopback and the like, and refuses link-local, metadata, unspecified, multicast and broadcast", () => {
    for (const a of ["10.0.0.1", "192.168.1.1", "127.0.0.1", "::1", "fd12::1", "100.64.0.1", "198.18.0.1", "db.internal"])
      expect(egressProblem(a, 5432, agent), a).toBeNull();
    for (const a of ["169.254.169.254", "169.254.1.1", "fe80::1", "fd00:ec2::254", "0.0.0.0", "::", "224.0.0.1", "255.255.255.255"])
      expect(egressProblem(a, 80, agent), a).toMatch(/is refused by this agent's egress policy: .*EGRESS_ALLOW/);
    expect(egressProblem("169.254.169.254", 80, agent, "evil.example")).toMatch(
      /^evil\.example \(resolved to 169\.254\.169\.254\) is refused by this agent's egress policy/,
    );
  });

  it("denies CIDRs and ports, and allows only EGRESS_ALLOW_PORTS when set", () => {
    const ports = (t: string) => {
      const r = parsePortRanges(t);
      if ("errors" in r) throw new Error(r.errors.join());
      return r.ports;
    };
    const p = agentPolicy({ deny: rules("127.0.0.0/8"), denyPorts: ports("25"), allowPorts: ports("22,25,8000-8999") });
    expect(egressProblem("127.0.0.1", 8080, p)).toMatch(/EGRESS_DENY lists 127\.0\.0\.0\/8/);
    expect(egressProblem("10.0.0.1", 25, p)).toMatch(/port 25 is in EGRESS_DENY_PORTS \(25\)/);
    expect(egressProblem("10.0.0.1", 443, p)).toMatch(/port 443 is not in EGRESS_ALLOW_PORTS \(22,25,8000-8999\)/);
    expect(egressProblem("10.0.0.1", 8443, p)).toBeNull();
    expect(egressProblem("10.0.0.1", null, p)).toBeNull(); // icmp has no port
    expect(egressProblem("169.254.169.254", 80, agentPolicy({ allow: rules("169.254.169.254") }))).toBeNull();
  });
});

describe("settings", () => {
  it("lists every bad entry of a list", () => {
    expect(parseEgressRules("10.0.0.1/8, 0x7f000001, -bad-, 10.0.0.0/33")).toEqual({
      errors: [
        '"10.0.0.1/8" has bits set past its prefix; did you mean 10.0.0.0/8?',
        '"0x7f000001": write the address as 127.0.0.1',
        '"-bad-" is not an IP address, CIDR range or host name (*.example.com for the names under one)',
        '"10.0.0.0/33": the prefix length must be 0 to 32',
      ],
    });
    expect(parsePortRanges("22, 0, 9-8, x")).toEqual({
      errors: [
        '"0" is not a port (1-65535) or range (8000-8999)',
        '"9-8" is not a port (1-65535) or range (8000-8999)',
        '"x" is not a port (1-65535) or range (8000-8999)',
      ],
    });
    expect(parseEgressRules("")).toEqual({ rules: [] });
  });
});

describe("normalised targets and channel URLs", () => {
  it("stores http targets as new URL(...).href, with the host canonical", () => {
    expect(normalizeTarget("http", "http://0x7f000001/")).toEqual({ target: "http://127.0.0.1/" });
    expect(normalizeTarget("http", "HTTP://Example.COM")).toEqual({ target: "http://example.com/" });
    expect(normalizeTarget("http", "http://[::FFFF:169.254.169.254]:80/x")).toEqual({ target: "http://[::ffff:a9fe:a9fe]/x" });
    expect(normalizeTarget("http", "http://example.com/\n")).toEqual({ error: "must not contain whitespace or control characters" });
    expect(normalizeTarget("http", " http://example.com/")).toEqual({ error: "must not contain whitespace or control characters" });
    expect(normalizeTarget("http", "file:///etc/passwd")).toEqual({ error: "must use http:// or https://" });
  });

  it("canonicalises the host of tcp, tls and icmp targets", () => {
    expect(normalizeTarget("tcp", "0x7f000001:22")).toEqual({ target: "127.0.0.1:22" });
    expect(normalizeTarget("tls", "127.1:443")).toEqual({ target: "127.0.0.1:443" });
    expect(normalizeTarget("tcp", "[::FFFF:a9fe:a9fe]:80")).toEqual({ target: "[::ffff:a9fe:a9fe]:80" });
    expect(normalizeTarget("tcp", "DB.internal:05432")).toEqual({ target: "db.internal:5432" });
    expect(normalizeTarget("icmp", "2130706433")).toEqual({ target: "127.0.0.1" });
    expect(normalizeTarget("icmp", "[::1]")).toEqual({ target: "::1" });
    expect(normalizeTarget("tcp", "db:0")).toEqual({ error: "port must be between 1 and 65535" });
    expect(normalizeTarget("tcp", "db\t:22")).toEqual({ error: "must not contain whitespace or control characters" });
    expect(normalizeTarget("icmp", "1.2.3.4.5")).toHaveProperty("error");
  });

  it("no longer takes a numeric IPv4 form for a host name", () => {
    expect(isHost("0x7f000001")).toBe(false);
    expect(isHost("db.internal")).toBe(true);
    expect(parseHostPort("0x7f000001:22")).toMatch(/not a valid host name/);
  });

  it("normalises channel URLs", () => {
    expect(normalizeUrl("https://Hooks.Example.com/a b")).toEqual({ error: "must not contain whitespace or control characters" });
    expect(normalizeUrl("https://Hooks.Example.com/x")).toEqual({ url: "https://hooks.example.com/x" });
    expect(normalizeUrl("http://0xa9fea9fe/latest")).toEqual({ url: "http://169.254.169.254/latest" });
    expect(normalizeUrl("gopher://x/")).toEqual({ error: "must be an http:// or https:// URL" });
  });
});
