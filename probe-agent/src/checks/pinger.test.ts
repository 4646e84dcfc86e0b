// The pingers on plain values: fping's and ping's output, the texts of a missing privilege, batch budgets and timing.
// The pingers against real echo requests (through the icmp check): icmp.test.ts.
import { describe, expect, it } from "vitest";
import { createPingPinger, parseFpingOutput, parsePingOutput, pingerFailure, pingTiming, quantize } from "./pinger.ts";

describe("parsing", () => {
  it("reads fping -C summaries and ICMP errors (fping 5.1's real output)", () => {
    const out = parseFpingOutput(
      [
        "ICMP Host Unreachable from 198.18.81.2 for ICMP Echo sent to 198.18.81.2",
        "ICMP Host Unreachable from 198.18.81.2 for ICMP Echo sent to 198.18.81.2",
        "",
        "198.18.81.2 : - -",
        "127.0.0.1   : 0.031 0.018",
        "::1         : 0.190 -",
        "fping: something else",
      ].join("\n"),
    );
    expect(Object.fromEntries(out.rtts)).toEqual({ "198.18.81.2": [null, null], "127.0.0.1": [0.031, 0.018], "::1": [0.19, null] });
    expect(Object.fromEntries(out.icmpErrors)).toEqual({ "198.18.81.2": "ICMP Host Unreachable from 198.18.81.2" });
    expect(out.other).toEqual(["fping: something else"]);
  });

  it("reads iputils ping's replies and errors", () => {
    const ok = parsePingOutput(
      "PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.\n64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.024 ms\n64 bytes from 127.0.0.1: icmp_seq=3 ttl=64 time=0.031 ms\n\n--- 127.0.0.1 ping statistics ---\n3 packets transmitted, 2 received, 33.3333% packet loss, time 2003ms\n",
    );
    // The first reply's TTL, as Telegraf's ping input keeps it.
    expect(ok).toEqual({ sent: 3, rtts: [0.024, 0.031], icmpError: null, ttl: 64 });
    const v6 = parsePingOutput(
      "PING ::1 (::1) 56 data bytes\n64 bytes from ::1: icmp_seq=1 ttl=63 time=0.040 ms\n64 bytes from ::1: icmp_seq=2 ttl=64 time=0.050 ms\n\n--- ::1 ping statistics ---\n2 packets transmitted, 2 received, 0% packet loss, time 1001ms\n",
    );
    expect(v6.ttl).toBe(63);
    const unreachable = parsePingOutput(
      "PING 198.18.81.2 (198.18.81.2) 56(84) bytes of data.\nFrom 198.18.81.2 icmp_seq=1 Destination Host Unreachable\n\n--- 198.18.81.2 ping statistics ---\n2 packets transmitted, 0 received, +2 errors, 100% packet loss, time 203ms\n",
    );
    expect(unreachable).toEqual({ sent: 2, rtts: [], icmpError: "Destination Host Unreachable from 198.18.81.2" });
  });

  it("classifies the real texts of a missing privilege as permission, with the fix", () => {
    for (const [program, text, code] of [
      ["ping", "ping: socktype: SOCK_RAW\nping: socket: Operation not permitted\nping: => missing cap_net_raw+p capability or setuid?", 2],
      ["fping", "fping: can't create socket (must run as root?)", 4],
      ["fping", "", 4], // fping 5.1 under -q says nothing at all
      ["ping", "ping: socket: Permission denied", 2],
    ] as const) {
      const e = pingerFailure(program, text, code);
      expect(e.kind, text).toBe("permission");
      expect(e.message).toContain("CAP_NET_RAW");
      expect(e.message).toContain("--cap-add NET_RAW");
      expect(e.message).toContain('sysctl -w net.ipv4.ping_group_range="0 2147483647"');
    }
    // exec of a binary whose file capability the bounding set lacks fails with EPERM
    expect(pingerFailure("fping", "spawn fping EPERM", null, "EPERM").kind).toBe("permission");
    expect(pingerFailure("fping", "spawn fping ENOENT", null, "ENOENT")).toEqual({
      kind: "other",
      message: "fping is not installed (Debian/Ubuntu package: fping)",
    });
    expect(pingerFailure("fping", "fping: invalid option", 3).kind).toBe("other");
  });

  it("rounds budgets down so that nearly equal ones share a batch", () => {
    expect([quantize(10_000), quantize(9_987), quantize(9_751), quantize(999), quantize(480)]).toEqual([10_000, 9_750, 9_750, 990, 480]);
  });

  it("fits count echo requests, a period apart, into timeout_ms", () => {
    expect(pingTiming(3, 10_000, 20)).toEqual({ periodMs: 1000, spreadMs: 10_000 - 70 - 3000 });
    const short = pingTiming(3, 600, 20);
    expect(short.periodMs).toBe(132);
    expect(3 * short.periodMs + short.spreadMs).toBeLessThanOrEqual(600 - 20);
    expect(pingTiming(20, 100, 20).periodMs).toBe(10); // fping's minimum
  });
});

describe("a ping that cannot start", () => {
  it("is a failed result when spawn throws (as it does with EPERM for a capability the container lacks), not a rejected check", async () => {
    // A NUL in the path makes spawn throw synchronously, like the EPERM of a file capability outside the bounding set.
    const r = await createPingPinger({ command: ["/usr/bin/ping\u0000"] }).ping({ address: "127.0.0.1", count: 1, timeoutMs: 2000 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.kind).toBe("other");
  });
});
