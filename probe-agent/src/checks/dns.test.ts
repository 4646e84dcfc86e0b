// The DNS check against a real DNS server (NSD, Debian's nsd package) serving example.test on loopback: every record
// type over UDP and TCP, response codes, assertions, a truncated answer retried over TCP, a silent server, a closed
// port, the egress policy, and the system resolver (NSD on port 53 inside a network namespace, named by its resolv.conf).
import { execFile } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentPolicy, parseEgressRules, type EgressRule } from "../../../contract/egress.ts";
import { Monitor, type MonitorSpec } from "../../../contract/index.ts";
import { startDnsServer, type DnsServer } from "../../../test/services/dns-server.ts";
import { createNetns, createSilentHost, netnsUnavailable, type Netns, type SilentHost } from "../../../test/services/netns.ts";
import { defaultDeps } from "./deps.ts";
import { checkDns, valueKey } from "./dns.ts";
import { runCheck } from "./index.ts";

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
type DnsMonitor = Extract<MonitorSpec, { kind: "dns" }>;
const deps = defaultDeps();

const nsdMissing = await run("sh", ["-c", "command -v nsd"]).then(
  () => null,
  () => "install Debian's nsd package (npm test provisions it)",
);
if (nsdMissing) console.warn(`skipping the dns check tests: ${nsdMissing}`);
const noNetns = await netnsUnavailable();
if (noNetns) console.warn(`skipping the namespace tests of the dns check: ${noNetns}`);

function monitor(target: string, dns: Record<string, unknown>, timeout_ms = 2000): DnsMonitor {
  return Monitor.parse({ id: "d", kind: "dns", target, timeout_ms, dns }) as DnsMonitor;
}

describe.skipIf(nsdMissing)("dns check against NSD on loopback", () => {
  let nsd: DnsServer;
  beforeAll(async () => {
    nsd = await startDnsServer();
  });
  afterAll(async () => {
    await nsd?.stop();
  });

  const cases: [string, string, string[]][] = [
    ["A", "www.example.test", ["192.0.2.10", "192.0.2.11"]],
    ["AAAA", "www.example.test", ["2001:db8::10"]],
    ["CNAME", "alias.example.test", ["www.example.test."]],
    ["MX", "example.test", ["10 mail.example.test.", "20 mail2.example.test."]],
    ["TXT", "multi.example.test", ["part one, part two"]],
    ["NS", "example.test", ["ns1.example.test.", "ns2.example.test."]],
    ["SOA", "example.test", ["ns1.example.test. hostmaster.example.test. 2026113001 3600 900 604800 300"]],
  ];
  for (const transport of ["udp", "tcp"] as const)
    it.each(cases)(`asks %s over ${transport} and reports the values as dig prints them`, async (record_type, name, values) => {
      const t0 = performance.now();
      const r = await checkDns(monitor(name, { server: nsd.server, record_type, transport, expected_values: values }), deps);
      const elapsed = performance.now() - t0;
      expect(r.error).toBeNull();
      expect(r.ok).toBe(true);
      expect(r.dns).toEqual({
        server: nsd.server,
        record_type,
        rcode_value: 0,
        rcode: "NOERROR",
        answers: values.length,
        values: expect.any(Array),
      });
      expect([...(r.dns?.values ?? [])].sort()).toEqual([...values].sort());
      expect(r.latency_ms).toBeGreaterThan(0);
      expect(r.latency_ms).toBeLessThanOrEqual(elapsed);
    });

  it("counts only records of the asked type (an A query of a CNAME gets the CNAME and its target's addresses)", async () => {
    const r = await checkDns(monitor("Alias.Example.Test.", { server: nsd.server, min_answers: 2, max_answers: 2 }), deps);
    expect(r).toMatchObject({ ok: true, dns: { answers: 2, values: expect.arrayContaining(["192.0.2.10", "192.0.2.11"]) } });
  });

  it("retries a truncated UDP answer over TCP", async () => {
    const r = await checkDns(monitor("big.example.test", { server: nsd.server, record_type: "TXT", transport: "udp" }), deps);
    expect(r.error).toBeNull();
    expect(r.dns?.answers).toBe(2);
    expect([...(r.dns?.values ?? [])].sort()).toEqual(["a".repeat(250) + "b".repeat(250), "c".repeat(250)]);
  });

  it("fails with dns on NXDOMAIN unless valid_rcodes allows it", async () => {
    const bad = await checkDns(monitor("nope.example.test", { server: nsd.server }), deps);
    expect(bad).toMatchObject({
      ok: false,
      error: {
        kind: "dns",
        message: `DNS server ${nsd.server}: nope.example.test A: the response code is NXDOMAIN, not NOERROR (dns.valid_rcodes)`,
      },
      dns: { server: nsd.server, rcode_value: 3, rcode: "NXDOMAIN", answers: 0, values: [] },
    });
    expect(bad.latency_ms).toBeGreaterThan(0);
    const good = await checkDns(monitor("nope.example.test", { server: nsd.server, valid_rcodes: ["NXDOMAIN"] }), deps);
    expect(good).toMatchObject({ ok: true, error: null, dns: { rcode: "NXDOMAIN", rcode_value: 3 } });
  });

  it("reports REFUSED for a zone the server does not serve", async () => {
    const r = await checkDns(monitor("www.other.test", { server: nsd.server, transport: "tcp" }), deps);
    expect(r).toMatchObject({ ok: false, error: { kind: "dns" }, dns: { rcode: "REFUSED", rcode_value: 5 } });
    expect(r.error?.message).toContain("the response code is REFUSED, not NOERROR");
    const allowed = await checkDns(monitor("www.other.test", { server: nsd.server, valid_rcodes: ["NOERROR", "REFUSED"] }), deps);
    expect(allowed.ok).toBe(true);
  });

  it("passes an empty NOERROR answer (NODATA) unless min_answers asks for records", async () => {
    const ok = await checkDns(monitor("empty.example.test", { server: nsd.server }), deps);
    expect(ok).toMatchObject({ ok: true, dns: { rcode: "NOERROR", answers: 0, values: [] } });
    const r = await checkDns(monitor("empty.example.test", { server: nsd.server, min_answers: 1 }), deps);
    expect(r.error).toEqual({
      kind: "keyword",
      message: `DNS server ${nsd.server}: empty.example.test A: the answer holds 0 A records, fewer than dns.min_answers (1)`,
    });
  });

  it("fails with keyword when the answer holds too many records", async () => {
    const r = await checkDns(monitor("www.example.test", { server: nsd.server, max_answers: 1 }), deps);
    expect(r).toMatchObject({ ok: false, error: { kind: "keyword" }, dns: { answers: 2 } });
    expect(r.error?.message).toContain("the answer holds 2 A records, more than dns.max_answers (1)");
    expect(r.latency_ms).toBeGreaterThan(0);
  });

  it("fails with keyword when an expected value is missing, naming what was received", async () => {
    const r = await checkDns(monitor("www.example.test", { server: nsd.server, expected_values: ["192.0.2.10", "192.0.2.99"] }), deps);
    expect(r.ok).toBe(false);
    expect(r.error?.kind).toBe("keyword");
    expect(r.error?.message).toMatch(
      /: www\.example\.test A: the answer lacks "192\.0\.2\.99" \(dns\.expected_values\); it holds "192\.0\.2\.1[01]", "192\.0\.2\.1[01]"$/,
    );
  });

  it("compares names case-insensitively, with or without the trailing dot, and addresses in any spelling", async () => {
    const mx = await checkDns(
      monitor("example.test", {
        server: nsd.server,
        record_type: "MX",
        expected_values: ["20 mail2.example.test", "10 MAIL.example.test."],
      }),
      deps,
    );
    expect(mx.error).toBeNull();
    const aaaa = await checkDns(
      monitor("www.example.test", { server: nsd.server, record_type: "AAAA", expected_values: ["2001:0db8:0:0::10"] }),
      deps,
    );
    expect(aaaa.error).toBeNull();
    // TXT compares exactly.
    const txt = await checkDns(monitor("example.test", { server: nsd.server, record_type: "TXT", expected_values: ["V=SPF1 -all"] }), deps);
    expect(txt.error?.kind).toBe("keyword");
  });

  it("asserts answer_regex on at least one value", async () => {
    const ok = await checkDns(monitor("example.test", { server: nsd.server, record_type: "TXT", answer_regex: "^v=spf1 .*-all$" }), deps);
    expect(ok.error).toBeNull();
    const r = await checkDns(monitor("www.example.test", { server: nsd.server, answer_regex: "^10\\.", transport: "tcp" }), deps);
    expect(r.error?.kind).toBe("keyword");
    expect(r.error?.message).toMatch(
      /no value matches \/\^10\\\.\/ \(dns\.answer_regex\); the answer holds "192\.0\.2\.1[01]", "192\.0\.2\.1[01]"$/,
    );
  });

  it("refuses a stored answer_regex the schema now rejects, before asking anything", async () => {
    const m = monitor("www.example.test", { server: nsd.server });
    const r = await checkDns({ ...m, dns: { ...m.dns, answer_regex: "(?<=x)" } }, deps);
    expect(r).toMatchObject({ ok: false, latency_ms: null, error: { kind: "other" } });
    expect(r.error?.message).toMatch(/^dns\.answer_regex "\(\?<=x\)" is not a valid regular expression: /);
  });

  it("reports a closed UDP port as refused (ICMP port unreachable) and a closed TCP port as refused", async () => {
    const probe = createServer();
    const port = await new Promise<number>((r) => probe.listen(0, "127.0.0.1", () => r((probe.address() as { port: number }).port)));
    await new Promise((r) => probe.close(r));
    const udp = await checkDns(monitor("www.example.test", { server: `127.0.0.1:${port}` }), deps);
    expect(udp).toMatchObject({
      ok: false,
      latency_ms: null,
      error: { kind: "refused" },
      dns: { server: `127.0.0.1:${port}`, rcode: null },
    });
    expect(udp.error?.message).toContain(`port unreachable: nothing listens on UDP port ${port}`);
    const tcp = await checkDns(monitor("www.example.test", { server: `127.0.0.1:${port}`, transport: "tcp" }), deps);
    expect(tcp.error?.kind).toBe("refused");
    expect(tcp.error?.message).toContain(`connection refused: nothing listens on TCP port ${port}`);
  });

  it("applies the egress policy to the server: denied, nothing is sent", async () => {
    const rules = parseEgressRules("127.0.0.1") as { rules: EgressRule[] };
    const denying = defaultDeps({ egress: agentPolicy({ deny: rules.rules }) });
    let sent = 0;
    const counting = { ...denying, udpSocket: (t: "udp4" | "udp6") => (sent++, denying.udpSocket(t)) };
    const r = await checkDns(monitor("www.example.test", { server: nsd.server }), counting);
    expect(r).toMatchObject({ ok: false, latency_ms: null, error: { kind: "other" }, dns: { server: nsd.server, rcode: null } });
    expect(r.error?.message).toMatch(new RegExp(`^DNS server ${nsd.server.replace(/\./g, "\\.")}: .*EGRESS_DENY.*; nothing was sent$`));
    expect(sent).toBe(0);
    // The metadata address is refused by default.
    const meta = await checkDns(monitor("www.example.test", { server: "169.254.169.254" }), deps);
    expect(meta.error?.kind).toBe("other");
    expect(meta.error?.message).toContain("nothing was sent");
  });

  it("without dns.server asks the first of the system resolver's servers, in dns.getServers()'s spelling", async () => {
    const withServers = (servers: string[]) => ({ ...deps, dnsServers: () => servers });
    const r = await checkDns(monitor("www.example.test", {}), withServers([nsd.server, "192.0.2.1"]));
    expect(r).toMatchObject({ ok: true, dns: { server: nsd.server, answers: 2 } });
    const none = await checkDns(monitor("www.example.test", {}), withServers([]));
    expect(none).toMatchObject({
      ok: false,
      latency_ms: null,
      error: { kind: "other", message: "the system resolver has no server (no nameserver line in /etc/resolv.conf); set dns.server" },
      dns: { server: "", rcode: null },
    });
    const odd = await checkDns(monitor("www.example.test", {}), withServers(["fe80::1%eth0"]));
    expect(odd.error).toEqual({
      kind: "other",
      message: `the system resolver's server "fe80::1%eth0" must be host or host:port (IPv6 as [addr]:port)`,
    });
  });

  it("goes through runCheck (AGENT_CHECKS) with failure confirmation", async () => {
    const m = Monitor.parse({ id: "d", kind: "dns", target: "nope.example.test", timeout_ms: 1000, dns: { server: nsd.server } });
    const r = await runCheck(m, deps);
    expect(r).toMatchObject({ ok: false, tries: 3, error: { kind: "dns" }, dns: { rcode: "NXDOMAIN" } });
  });
});

describe("valueKey", () => {
  it("normalizes names and addresses, keeps TXT as it is", () => {
    expect(valueKey("MX", "10 Mail.Example.Test")).toBe("10 mail.example.test.");
    expect(valueKey("CNAME", "www.example.test.")).toBe("www.example.test.");
    expect(valueKey("AAAA", "2001:DB8:0::1")).toBe("2001:db8::1");
    expect(valueKey("TXT", "A b")).toBe("A b");
  });
});

describe.skipIf(noNetns)("dns check against hosts that do not answer", () => {
  let silent: SilentHost;
  beforeAll(async () => {
    silent = await createSilentHost("drop");
  });
  afterAll(async () => {
    await silent?.destroy();
  });

  for (const transport of ["udp", "tcp"] as const)
    it(`times out over ${transport} when the server is silent`, async () => {
      const t0 = performance.now();
      const r = await checkDns(monitor("www.example.test", { server: silent.address, transport }, 300), deps);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
      expect(r).toMatchObject({
        ok: false,
        latency_ms: null,
        error: { kind: "timeout" },
        dns: { server: `${silent.address}:53`, rcode: null },
      });
      expect(r.error?.message).toBe(
        transport === "udp"
          ? `DNS server ${silent.address}:53: no response to www.example.test A over UDP within 300 ms (timeout_ms)`
          : `DNS server ${silent.address}:53: no answer to the TCP connection attempt within 300 ms (timeout_ms): the host is down or a firewall drops the packets`,
      );
    });
});

describe.skipIf(nsdMissing || noNetns)("dns check with the system resolver (no dns.server)", () => {
  let ns: Netns;
  let nsd: DnsServer;
  let etc: string;
  beforeAll(async () => {
    ns = await createNetns();
    // `ip netns exec` bind-mounts /etc/netns/<name>/resolv.conf over /etc/resolv.conf.
    etc = `/etc/netns/${ns.name}`;
    mkdirSync(etc, { recursive: true });
    writeFileSync(path.join(etc, "resolv.conf"), "nameserver 127.0.0.1\n");
    nsd = await startDnsServer({ netns: ns });
  });
  afterAll(async () => {
    await nsd?.stop();
    await ns?.destroy();
    if (etc) rmSync(etc, { recursive: true, force: true });
  });

  it("asks the first nameserver of /etc/resolv.conf", async () => {
    const script = [
      `import { defaultDeps } from ${JSON.stringify(path.join(ROOT, "probe-agent/src/checks/deps.ts"))};`,
      `import { checkDns } from ${JSON.stringify(path.join(ROOT, "probe-agent/src/checks/dns.ts"))};`,
      `import { Monitor } from ${JSON.stringify(path.join(ROOT, "contract/index.ts"))};`,
      `const m = Monitor.parse({ id: "d", kind: "dns", target: "www.example.test", timeout_ms: 2000, dns: { expected_values: ["192.0.2.10"] } });`,
      "process.stdout.write(JSON.stringify(await checkDns(m, defaultDeps())));",
      "process.exit(0);",
    ].join("\n");
    const { stdout } = await ns.exec([path.join(ROOT, "node_modules/.bin/node"), "--input-type=module", "-e", script]);
    const r = JSON.parse(stdout);
    expect(r).toMatchObject({ ok: true, error: null, dns: { server: "127.0.0.1:53", rcode: "NOERROR", answers: 2 } });
  });
});

describe("dns check against servers that misbehave (loopback sockets that answer by hand)", () => {
  /** A UDP server on a loopback port that answers each query with what `reply` makes of it (nothing for null). */
  async function udpServer(reply: (query: Buffer) => Buffer[]) {
    const socket = createSocket("udp4");
    socket.on("message", (q, from) => {
      for (const b of reply(q)) socket.send(b, from.port, from.address);
    });
    await new Promise<void>((r) => socket.bind(0, "127.0.0.1", r));
    return { server: `127.0.0.1:${socket.address().port}`, close: () => new Promise<void>((r) => socket.close(() => r())) };
  }
  /** The query turned into an empty NOERROR response (QR set, no records): a valid answer with no values. */
  const asResponse = (q: Buffer, id = q.readUInt16BE(0)) => {
    const b = Buffer.from(q);
    b.writeUInt16BE(id, 0);
    b.writeUInt16BE(b.readUInt16BE(2) | 0x8000, 2);
    return b;
  };

  it("ignores a datagram with another id (a late or spoofed answer) and takes the one that answers", async () => {
    const s = await udpServer((q) => [
      asResponse(q, q.readUInt16BE(0) ^ 0xffff),
      Buffer.from([0]) /* too short to be anyone's */,
      asResponse(q),
    ]);
    const r = await checkDns(monitor("www.example.test", { server: s.server }), deps);
    await s.close();
    expect(r).toMatchObject({ ok: true, error: null, dns: { rcode: "NOERROR", answers: 0 } });
  });

  it("times out when only answers to other queries come, saying how many were ignored", async () => {
    const s = await udpServer((q) => [asResponse(q, q.readUInt16BE(0) ^ 1)]);
    const r = await checkDns(monitor("www.example.test", { server: s.server }, 300), deps);
    await s.close();
    expect(r.error).toEqual({
      kind: "timeout",
      message: `DNS server ${s.server}: no response to www.example.test A over UDP within 300 ms (timeout_ms) (1 datagram that did not answer the query ignored)`,
    });
  });

  it("fails with dns on a malformed response carrying the query's id", async () => {
    const s = await udpServer((q) => [Buffer.concat([asResponse(q).subarray(0, 12), Buffer.from([0xc0])])]);
    const r = await checkDns(monitor("www.example.test", { server: s.server }), deps);
    await s.close();
    expect(r.error?.kind).toBe("dns");
    expect(r.error?.message).toMatch(new RegExp(`^DNS server ${s.server.replace(/\./g, "\\.")}: malformed response: `));
  });

  it("fails with connection when a TCP server closes before a whole response", async () => {
    const server = createServer((sock) => sock.once("data", () => sock.end(Buffer.from([0, 40, 1, 2]))));
    const port = await new Promise<number>((r) => server.listen(0, "127.0.0.1", () => r((server.address() as { port: number }).port)));
    const r = await checkDns(monitor("www.example.test", { server: `127.0.0.1:${port}`, transport: "tcp" }), deps);
    await new Promise((res) => server.close(res));
    expect(r.error).toEqual({
      kind: "connection",
      message: `DNS server 127.0.0.1:${port}: the server closed the TCP connection after 4 bytes, before a whole response`,
    });
  });
});
