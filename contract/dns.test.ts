// The dns monitor's contract: parseDnsServer's spellings of a server, and DnsOptions' defaults and cross-field rules.
import { describe, expect, it } from "vitest";
import { DnsOptions, Monitor, parseDnsServer, type MonitorSpec } from "./index.ts";

describe("parseDnsServer", () => {
  it.each([
    ["192.0.2.53", { host: "192.0.2.53", port: 53 }],
    ["192.0.2.53:5353", { host: "192.0.2.53", port: 5353 }],
    ["ns1.example.test", { host: "ns1.example.test", port: 53 }],
    ["ns1.example.test:53", { host: "ns1.example.test", port: 53 }],
    ["2001:db8::53", { host: "2001:db8::53", port: 53 }],
    ["[2001:db8::53]", { host: "2001:db8::53", port: 53 }],
    ["[2001:db8::53]:5353", { host: "2001:db8::53", port: 5353 }],
  ])("reads %s", (text, hp) => {
    expect(parseDnsServer(text)).toEqual(hp);
  });

  it.each([
    ["ns1.example.test:0", "port must be between 1 and 65535"],
    ["ns1.example.test:65536", "port must be between 1 and 65535"],
    ["ns 1", "must not contain whitespace or control characters"],
    ["bad_host!", '"bad_host!" is not a valid host name or IP address'],
    ["[ns1.example.test]:53", '"ns1.example.test" is not an IPv6 address (only IPv6 addresses take brackets)'],
    ["[2001:db8::zz]", '"[2001:db8::zz]" is not a valid IPv6 address'],
    ["a:b:c", "must be host or host:port (IPv6 as [addr]:port)"],
    ["127.1", '"127.1" is not a valid host name or IP address'],
  ])("refuses %s", (text, message) => {
    expect(parseDnsServer(text)).toBe(message);
  });
});

describe("DnsOptions", () => {
  it("defaults to an A query over UDP to the system resolver, expecting NOERROR and asserting nothing else", () => {
    expect(DnsOptions.parse({})).toEqual({
      record_type: "A",
      server: null,
      transport: "udp",
      recursion_desired: true,
      valid_rcodes: ["NOERROR"],
      expected_values: [],
      answer_regex: null,
      min_answers: null,
      max_answers: null,
    });
  });

  it("gives a dns monitor its block and the agent runner", () => {
    const m: MonitorSpec = Monitor.parse({ id: "d", kind: "dns", target: "Example.Test." });
    expect(m).toMatchObject({ kind: "dns", runner: "agent", target: "example.test", dns: { record_type: "A" } });
    if (m.kind === "dns") expect(m.dns.valid_rcodes).toEqual(["NOERROR"]); // typed: the dns block is there
  });

  it("trims expected values and checks each against the record type", () => {
    expect(DnsOptions.parse({ record_type: "MX", expected_values: [" 10 mail.example.test. "] }).expected_values).toEqual([
      "10 mail.example.test.",
    ]);
    const r = DnsOptions.safeParse({ record_type: "AAAA", expected_values: ["2001:db8::1", "192.0.2.1"] });
    expect(r.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["expected_values.1", '"192.0.2.1" is not an IPv6 address, which every AAAA value is'],
    ]);
  });
});
