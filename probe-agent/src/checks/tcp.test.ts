// The TCP check against real sockets: local servers on port 0, and namespace hosts that drop or reject.
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Monitor, type MonitorSpec } from "../../../contract/index.ts";
import { compileLinear } from "../../../contract/regex.ts";
import { createSilentHost, netnsUnavailable, type SilentHost } from "../../../test/services/netns.ts";
import { defaultDeps } from "./deps.ts";
import { checkTcp, MAX_EXPECT_BYTES } from "./tcp.ts";

type TcpMonitor = Extract<MonitorSpec, { kind: "tcp" }>;
const deps = defaultDeps();

function monitor(target: string, tcp: Record<string, unknown> = {}, timeout_ms = 2000): TcpMonitor {
  return Monitor.parse({ id: "t", kind: "tcp", target, timeout_ms, tcp }) as TcpMonitor;
}

/**
 * A monitor whose expect pattern the schema now refuses at create: one stored before that rule, or
 * sent by an edge of another version. The agent must still refuse it without connecting.
 */
function storedMonitor(target: string, expect: string): TcpMonitor {
  const m = monitor(target, { expect: "placeholder", expect_regex: true });
  return { ...m, tcp: { ...m.tcp, expect } };
}

/** A server on an ephemeral loopback port that runs `onConnection` for each client. */
async function serve(onConnection: (socket: Socket) => void): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
    onConnection(s);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A port that was just free: listened on, then closed, so a connect is refused. */
async function closedPort(): Promise<number> {
  const s = await serve(() => {});
  await s.close();
  return s.port;
}

describe("tcp check on loopback", () => {
  it("reports an open port with its connect time", async () => {
    let connections = 0;
    const s = await serve((sock) => {
      connections++;
      sock.end();
    });
    const t0 = performance.now();
    const r = await checkTcp(monitor(`127.0.0.1:${s.port}`), deps);
    const elapsed = performance.now() - t0;
    await s.close();
    expect(r).toMatchObject({ ok: true, error: null, tcp: { port: s.port } });
    expect(r.latency_ms).toBeGreaterThan(0);
    expect(r.latency_ms).toBeLessThanOrEqual(elapsed);
    expect(connections).toBe(1);
  });

  it("tells a refused port apart", async () => {
    const port = await closedPort();
    const r = await checkTcp(monitor(`127.0.0.1:${port}`), deps);
    expect(r.ok).toBe(false);
    expect(r.error?.kind).toBe("refused");
    expect(r.error?.message).toContain(`127.0.0.1:${port}: connection refused`);
    expect(r.error?.message).toContain("ECONNREFUSED");
    expect(r.tcp).toEqual({ port });
    expect(r.latency_ms).toBeNull();
  });

  it("tells an unknown host apart (dns)", async () => {
    const r = await checkTcp(monitor("no-such-host.invalid:80"), deps);
    expect(r.error?.kind).toBe("dns");
    expect(r.error?.message).toMatch(/^no-such-host\.invalid:80: the host name (does not resolve|could not be resolved)/);
  });

  it("sends tcp.send after connecting and matches tcp.expect in the answer", async () => {
    const got: string[] = [];
    const s = await serve((sock) => {
      sock.on("data", (d) => {
        got.push(d.toString());
        // The answer arrives in two pieces: the match must span them.
        sock.write("+PO");
        setTimeout(() => sock.write("NG\r\n"), 20);
      });
    });
    const r = await checkTcp(monitor(`127.0.0.1:${s.port}`, { send: "PING\r\n", expect: "+PONG" }), deps);
    await s.close();
    expect(got.join("")).toBe("PING\r\n");
    expect(r).toMatchObject({ ok: true, error: null });
    // Telegraf's string_found, for net_response.
    expect(r.tcp).toEqual({ port: s.port, expect_found: true });
  });

  it("sends tcp.send without expect and succeeds once it is written", async () => {
    const got: string[] = [];
    const s = await serve((sock) => sock.on("data", (d) => got.push(d.toString())));
    const r = await checkTcp(monitor(`127.0.0.1:${s.port}`, { send: "QUIT\r\n" }), deps);
    await new Promise((res) => setTimeout(res, 50));
    await s.close();
    expect(r.ok).toBe(true);
    expect(got.join("")).toBe("QUIT\r\n");
    expect(r.tcp).toEqual({ port: s.port }); // no expect: nothing to have found
  });

  it("fails with keyword on a mismatch, showing what was received", async () => {
    const s = await serve((sock) => sock.end("-ERR unknown command\r\n"));
    const r = await checkTcp(monitor(`127.0.0.1:${s.port}`, { expect: "+PONG" }), deps);
    await s.close();
    expect(r.ok).toBe(false);
    expect(r.error?.kind).toBe("keyword");
    expect(r.error?.message).toBe(
      `127.0.0.1:${s.port}: expected "+PONG" but received 22 bytes before the server closed the connection: "-ERR unknown command\\r\\n"`,
    );
    expect(r.latency_ms).toBeGreaterThan(0);
    expect(r.tcp).toEqual({ port: s.port, expect_found: false });
  });

  it("fails with keyword when a server that said something else then stays silent", async () => {
    const s = await serve((sock) => sock.write("220 smtp.test ESMTP\r\n"));
    const t0 = performance.now();
    const r = await checkTcp(monitor(`127.0.0.1:${s.port}`, { expect: "SSH-" }, 300), deps);
    await s.close();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    expect(r.error?.kind).toBe("keyword");
    expect(r.error?.message).toContain("and then nothing more within 300 ms (timeout_ms)");
    expect(r.error?.message).toContain('"220 smtp.test ESMTP\\r\\n"');
  });

  it("fails with timeout when a connected server sends nothing", async () => {
    const s = await serve(() => {});
    const r = await checkTcp(monitor(`127.0.0.1:${s.port}`, { expect: "SSH-" }, 200), deps);
    await s.close();
    expect(r.error?.kind).toBe("timeout");
    expect(r.error?.message).toMatch(/connected in [\d.]+ ms but received nothing within 200 ms \(timeout_ms\); expected "SSH-"$/);
  });

  it("truncates a long mismatch in the message and stops reading at the limit", async () => {
    const s = await serve((sock) => sock.write("x".repeat(MAX_EXPECT_BYTES + 5000)));
    const r = await checkTcp(monitor(`127.0.0.1:${s.port}`, { expect: "never" }), deps);
    await s.close();
    expect(r.error?.kind).toBe("keyword");
    expect(r.error?.message).toContain(
      `received ${MAX_EXPECT_BYTES} bytes (the first ${MAX_EXPECT_BYTES} bytes, the most read): "${"x".repeat(200)}"…`,
    );
    expect(r.error!.message.length).toBeLessThan(400);
  });

  it("matches tcp.expect as a regular expression when expect_regex is set", async () => {
    const s = await serve((sock) => sock.write("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"));
    const ok = await checkTcp(monitor(`127.0.0.1:${s.port}`, { expect: "^SSH-2\\.0-OpenSSH_\\d+\\.\\d+", expect_regex: true }), deps);
    const literal = await checkTcp(monitor(`127.0.0.1:${s.port}`, { expect: "^SSH-2\\.0-OpenSSH_\\d+\\.\\d+" }, 300), deps);
    const no = await checkTcp(monitor(`127.0.0.1:${s.port}`, { expect: "^SSH-1\\.", expect_regex: true }, 300), deps);
    await s.close();
    expect(ok).toMatchObject({ ok: true, error: null });
    expect(literal.error?.kind).toBe("keyword"); // without expect_regex the pattern is plain text
    expect(no.error?.kind).toBe("keyword");
    expect(no.error?.message).toContain("expected /^SSH-1\\./ (tcp.expect, a regular expression) but received 32 bytes");
  });

  it("reports an invalid regular expression as other, without connecting", async () => {
    let connections = 0;
    const s = await serve(() => connections++);
    const r = await checkTcp(storedMonitor(`127.0.0.1:${s.port}`, "([a-z"), deps);
    await s.close();
    expect(r.error?.kind).toBe("other");
    expect(r.error?.message).toContain('tcp.expect "([a-z" is not a valid regular expression');
    expect(connections).toBe(0);
  });

  it("matches a catastrophic regular expression in linear time: a mismatch at once, not a frozen event loop", async () => {
    // A backtracking RegExp would try all 2^29999 ways to split the a's among the iterations of (a+)+.
    const s = await serve((sock) => sock.end(`${"a".repeat(30_000)}!`));
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    const t0 = performance.now();
    const r = await checkTcp(monitor(`127.0.0.1:${s.port}`, { expect: "^(a+)+$", expect_regex: true }), deps);
    const elapsed = performance.now() - t0;
    clearInterval(ticker);
    await s.close();
    expect(r.error?.kind).toBe("keyword");
    expect(r.error?.message).toContain("expected /^(a+)+$/ (tcp.expect, a regular expression) but received 30001 bytes");
    expect(elapsed).toBeLessThan(1500); // no timeout: the server's close ended the check
    // The event loop kept turning: a 5 ms ticker fired about as often as the time taken allows (none when
    // the check took under a few ms; it failed once at 11 ms with 0 ticks when asked for at least one).
    expect(ticks).toBeGreaterThanOrEqual(Math.floor(elapsed / 50));
  });

  it("refuses a backreference or lookaround as other, without connecting", async () => {
    let connections = 0;
    const s = await serve(() => connections++);
    const backref = await checkTcp(storedMonitor(`127.0.0.1:${s.port}`, "^(\\w+) \\1$"), deps);
    const lookahead = await checkTcp(storedMonitor(`127.0.0.1:${s.port}`, "^(?=.*OK)"), deps);
    await s.close();
    expect(backref.error).toEqual({
      kind: "other",
      message:
        'tcp.expect "^(\\\\w+) \\\\1$" is not a valid regular expression: backreferences are not supported: the agent matches with a linear-time engine (found `\\1` at character 8)',
    });
    expect(lookahead.error?.kind).toBe("other");
    expect(lookahead.error?.message).toContain("lookahead assertions are not supported: the agent matches with a linear-time engine");
    expect(connections).toBe(0);
  });

  it("reads less for a large regular expression, so one match stays within the budget", async () => {
    const pattern = "^z.{0,1000}";
    const compiled = compileLinear(pattern);
    if (!compiled.ok) throw new Error(compiled.error);
    expect(compiled.maxText).toBeLessThan(MAX_EXPECT_BYTES);
    const s = await serve((sock) => sock.write("y".repeat(MAX_EXPECT_BYTES)));
    const r = await checkTcp(monitor(`127.0.0.1:${s.port}`, { expect: pattern, expect_regex: true }), deps);
    await s.close();
    expect(r.error?.kind).toBe("keyword");
    expect(r.error?.message).toContain(
      `received ${compiled.maxText} bytes (the first ${compiled.maxText} bytes, the most read for a regular expression this large)`,
    );
  });

  it("tells a reset connection apart (connection)", async () => {
    const s = await serve((sock) => sock.resetAndDestroy());
    const r = await checkTcp(monitor(`127.0.0.1:${s.port}`, { expect: "+OK" }), deps);
    await s.close();
    expect(r.error?.kind).toBe("connection");
    expect(r.error?.message).toContain("ECONNRESET");
  });
});

const noNetns = await netnsUnavailable();
if (noNetns) console.warn(`skipping the namespace tests of the tcp check: ${noNetns}`);

describe.skipIf(noNetns !== null)("tcp check against namespace hosts", () => {
  let dropping: SilentHost;
  let rejecting: SilentHost;
  let netRejecting: SilentHost;
  beforeAll(async () => {
    [dropping, rejecting, netRejecting] = await Promise.all([
      createSilentHost("drop"),
      createSilentHost("host-unreachable"),
      createSilentHost("net-unreachable"),
    ]);
  });
  afterAll(async () => {
    await Promise.all([dropping?.destroy(), rejecting?.destroy(), netRejecting?.destroy()]);
  });

  it("times out on a host that drops the SYN, within timeout_ms", async () => {
    const t0 = performance.now();
    const r = await checkTcp(monitor(`${dropping.address}:5432`, {}, 400), deps);
    const elapsed = performance.now() - t0;
    expect(r.error?.kind).toBe("timeout");
    expect(r.error?.message).toBe(
      `${dropping.address}:5432: no answer to the connection attempt within 400 ms (timeout_ms): the host is down or a firewall drops the packets`,
    );
    expect(elapsed).toBeGreaterThanOrEqual(395);
    expect(elapsed).toBeLessThan(1000);
    expect(r.latency_ms).toBeNull();
  });

  it("tells an unreachable host apart (ICMP host unreachable)", async () => {
    const r = await checkTcp(monitor(`${rejecting.address}:5432`, {}, 2000), deps);
    expect(r.error?.kind).toBe("unreachable");
    expect(r.error?.message).toContain("EHOSTUNREACH");
  });

  it("tells an unreachable network apart (ICMP net unreachable)", async () => {
    const r = await checkTcp(monitor(`${netRejecting.address}:5432`, {}, 2000), deps);
    expect(r.error?.kind).toBe("unreachable");
    expect(r.error?.message).toContain("ENETUNREACH");
  });
});
