// dns monitors through the API: created with their defaults and stored normalized, and every bad dns option refused
// with a 400 naming the field and saying what is wrong (the schema is contract/monitor.ts's DnsOptions).
import { describe, expect, it } from "vitest";
import { api } from "./helpers.ts";

const uid = (p: string) => `${p}-${crypto.randomUUID().slice(0, 8)}`;
const post = (body: unknown) => api("POST", "/api/v1/monitors", { body });

describe("dns monitors", () => {
  it("are created with their defaults, on agents, with the name stored in lower case without the root's dot", async () => {
    const id = uid("dns");
    const r = await post({ id, kind: "dns", target: "WWW.Example.Test." });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({
      id,
      kind: "dns",
      runner: "agent",
      target: "www.example.test",
      dns: {
        record_type: "A",
        server: null,
        transport: "udp",
        recursion_desired: true,
        valid_rcodes: ["NOERROR"],
        expected_values: [],
        answer_regex: null,
        min_answers: null,
        max_answers: null,
      },
    });
    const got = await api("GET", `/api/v1/monitors/${id}`);
    expect(got.body.dns).toEqual(r.body.dns);
  });

  it("keep every option given", async () => {
    const dns = {
      record_type: "MX",
      server: "[2001:db8::53]:5353",
      transport: "tcp",
      recursion_desired: false,
      valid_rcodes: ["NOERROR", "NXDOMAIN"],
      expected_values: ["10 mail.example.test."],
      answer_regex: "^\\d+ mail\\d*\\.example\\.test\\.$",
      min_answers: 1,
      max_answers: 4,
    };
    const r = await post({ id: uid("dns"), kind: "dns", target: "example.test", dns });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.dns).toEqual(dns);
    for (const server of ["192.0.2.53", "ns1.example.test", "ns1.example.test:53", "2001:db8::53", "[2001:db8::53]"]) {
      const ok = await post({ id: uid("dns"), kind: "dns", target: "example.test", dns: { server } });
      expect(ok.status, `${server}: ${JSON.stringify(ok.body)}`).toBe(201);
    }
  });

  it("refuse bad options with a 400 naming the field and what is wrong", async () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ target: "not a name" }, "target", /dns target must not contain whitespace/],
      [{ target: "192.0.2.1" }, "target", /dns target must be a domain name/],
      [{ dns: { record_type: "SRV" } }, "dns.record_type", /expected one of "A"\|"AAAA"\|"CNAME"\|"MX"\|"TXT"\|"NS"\|"SOA"/],
      [{ dns: { server: "ns1.example.test:99999" } }, "dns.server", /port must be between 1 and 65535/],
      [{ dns: { server: "bad host!" } }, "dns.server", /whitespace/],
      [{ dns: { server: "bad_host!:53" } }, "dns.server", /"bad_host!" is not a valid host name or IP address/],
      [{ dns: { server: "[not-v6]:53" } }, "dns.server", /"not-v6" is not an IPv6 address \(only IPv6 addresses take brackets\)/],
      [{ dns: { server: "ns1:example:53" } }, "dns.server", /^must be host or host:port \(IPv6 as \[addr\]:port\)$/],
      [{ dns: { server: "" } }, "dns.server", /expected string to have >=1 characters/],
      [{ dns: { transport: "doh" } }, "dns.transport", /expected one of "udp"\|"tcp"/],
      [{ dns: { valid_rcodes: ["NOERR"] } }, "dns.valid_rcodes[0]", /expected one of "NOERROR"\|"FORMERR"/],
      [{ dns: { valid_rcodes: [] } }, "dns.valid_rcodes", /expected array to have >=1 items/],
      [{ dns: { valid_rcodes: ["NOERROR", "NOERROR"] } }, "dns.valid_rcodes", /must not repeat a response code/],
      [{ dns: { answer_regex: "(?<=a)b" } }, "dns.answer_regex", /is not a usable regular expression/],
      [{ dns: { answer_regex: "(" } }, "dns.answer_regex", /is not a usable regular expression/],
      [{ dns: { min_answers: 3, max_answers: 2 } }, "dns.max_answers", /must be at least min_answers \(3\)/],
      [{ dns: { min_answers: -1 } }, "dns.min_answers", /expected number to be >=0/],
      [{ dns: { expected_values: ["mail.example.test"] } }, "dns.expected_values[0]", /is not an IPv4 address, which every A value is/],
      [{ dns: { record_type: "AAAA", expected_values: ["192.0.2.1"] } }, "dns.expected_values[0]", /is not an IPv6 address/],
      [{ dns: { expected_values: ["192.0.2.1", "192.0.2.2"], max_answers: 1 } }, "dns.expected_values", /more than max_answers \(1\)/],
      [{ dns: { expected_values: [""] } }, "dns.expected_values[0]", /expected string to have >=1 characters/],
      [{ dns: { retries: 3 } }, "dns.retries", /is not a known field/],
      [{ runner: "edge" }, "runner", /dns monitors cannot run on the edge/],
      [{ kind: "tcp", target: "db:5432", dns: {} }, "dns", /only dns monitors take a "dns" block/],
    ];
    for (const [fields, path, message] of cases) {
      const r = await post({ id: uid("x"), kind: "dns", target: "example.test", ...fields });
      expect(r.status, JSON.stringify(fields)).toBe(400);
      expect(r.body.error.code).toBe("invalid_input");
      const issue = r.body.error.issues.find((i: { path: string }) => i.path === path);
      expect(issue, `${JSON.stringify(fields)} → ${JSON.stringify(r.body)}`).toBeDefined();
      expect(issue.message).toMatch(message);
    }
  });
});
