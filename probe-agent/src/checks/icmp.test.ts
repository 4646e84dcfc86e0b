// The ICMP check with real echo requests: loopback, namespace hosts that drop or reject, batching, and a real unprivileged run.
// The pingers' parsing and timing on plain values: pinger.test.ts.
import { execFile } from "node:child_process";
import { chmod, copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Monitor, type MonitorSpec } from "../../../contract/index.ts";
import { createNetns, createSilentHost, netnsUnavailable, type Netns, type SilentHost } from "../../../test/services/netns.ts";
import { defaultDeps, type AgentCheckDeps } from "./deps.ts";
import { checkIcmp } from "./icmp.ts";
import { createFpingPinger, createPingPinger, createSystemPinger, type Pinger } from "./pinger.ts";

type IcmpMonitor = Extract<MonitorSpec, { kind: "icmp" }>;
const run = promisify(execFile);

function monitor(target: string, count = 3, timeout_ms = 2000): IcmpMonitor {
  return Monitor.parse({ id: "p", kind: "icmp", target, timeout_ms, icmp: { count } }) as IcmpMonitor;
}
const withPinger = (pinger: Pinger): AgentCheckDeps => ({ ...defaultDeps(), pinger });

const which = async (cmd: string) =>
  run("sh", ["-c", `command -v ${cmd}`]).then(
    (r) => r.stdout.trim(),
    () => null,
  );
const fpingPath = await which("fping");
const pingPath = await which("ping");
if (!fpingPath || !pingPath)
  console.warn("skipping the icmp tests: install Debian's fping and iputils-ping packages (npm test provisions them)");
const noNetns = await netnsUnavailable();
if (noNetns) console.warn(`skipping the namespace tests of the icmp check: ${noNetns}`);

describe.skipIf(!fpingPath || !pingPath)("icmp check on loopback", () => {
  const deps = defaultDeps();

  it("gets every reply from 127.0.0.1 with sane RTTs", async () => {
    const r = await checkIcmp(monitor("127.0.0.1", 3, 1000), deps);
    expect(r).toMatchObject({ ok: true, error: null, icmp: { sent: 3, received: 3, loss: 0 } });
    const { rtt_min_ms: min, rtt_avg_ms: avg, rtt_max_ms: max } = r.icmp!;
    expect(min).toBeGreaterThan(0);
    expect(min!).toBeLessThanOrEqual(avg!);
    expect(avg!).toBeLessThanOrEqual(max!);
    expect(max!).toBeLessThan(50);
    expect(r.latency_ms).toBe(avg);
  });

  it("resolves a host name first (localhost)", async () => {
    const r = await checkIcmp(monitor("localhost", 1, 1000), deps);
    expect(r).toMatchObject({ ok: true, icmp: { sent: 1, received: 1 } });
  });

  it("reports an unknown host as dns", async () => {
    const r = await checkIcmp(monitor("no-such-host.invalid", 1, 1000), deps);
    expect(r.ok).toBe(false);
    expect(r.error?.kind).toBe("dns");
    expect(r.error?.message).toContain("no-such-host.invalid: the host name");
    expect(r.icmp).toBeUndefined();
  });

  it("batches checks due together into one fping process, each with its own result", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "ium-fping-"));
    const log = path.join(dir, "runs");
    try {
      // A wrapper that counts runs and then execs the real fping.
      const pinger = createFpingPinger({ command: ["sh", "-c", `echo run >> ${log}; exec fping "$@"`, "fping"] });
      const d = withPinger(pinger);
      const targets = Array.from({ length: 40 }, (_, i) => `127.0.${Math.floor(i / 10)}.${(i % 10) + 1}`);
      // Duplicates share echo requests; a host name (resolved first, so with a little less time left) joins too.
      const results = await Promise.all([...targets, "127.0.0.1", "127.0.0.1", "localhost"].map((t) => checkIcmp(monitor(t, 2, 1500), d)));
      expect(results).toHaveLength(43);
      for (const r of results) expect(r).toMatchObject({ ok: true, icmp: { sent: 2, received: 2, loss: 0 } });
      expect((await readFile(log, "utf8")).trim().split("\n")).toHaveLength(1);
      // A different count is a different fping run.
      await Promise.all([checkIcmp(monitor("127.0.0.1", 1, 1500), d), checkIcmp(monitor("127.0.0.1", 2, 1500), d)]);
      expect((await readFile(log, "utf8")).trim().split("\n")).toHaveLength(3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("reports a missing fping as other, naming the package", async () => {
    const r = await checkIcmp(monitor("127.0.0.1", 1, 1000), withPinger(createFpingPinger({ command: ["/nonexistent/fping"] })));
    expect(r.error).toEqual({ kind: "other", message: "fping is not installed (Debian/Ubuntu package: fping)" });
  });

  it("works with the iputils ping fallback too, which also reports the TTL", async () => {
    const r = await checkIcmp(monitor("127.0.0.1", 2, 1500), withPinger(createPingPinger()));
    expect(r).toMatchObject({ ok: true, icmp: { sent: 2, received: 2, loss: 0, ttl: 64 } });
    expect(r.icmp!.rtt_stddev_ms).toBeGreaterThanOrEqual(0);
  });

  it("reports no TTL through fping 5.1, which cannot print one", async () => {
    const r = await checkIcmp(monitor("127.0.0.1", 2, 1500), withPinger(createFpingPinger()));
    expect(r.ok).toBe(true);
    expect(r.icmp).not.toHaveProperty("ttl");
    expect(r.icmp!.rtt_stddev_ms).toBeGreaterThanOrEqual(0);
  });
});

describe("icmp check on a pinger's answer", () => {
  const answering = (rtts: (number | null)[], ttl?: number): Pinger => ({
    describe: () => "a fixed answer",
    ping: async () => ({ ok: true, rtts, icmpError: null, ...(ttl === undefined ? {} : { ttl }) }),
  });

  it("reports the RTTs' population standard deviation (as ping's mdev) and the TTL", async () => {
    const r = await checkIcmp(monitor("127.0.0.1", 4), withPinger(answering([1, 2, 3, null], 57)));
    expect(r.icmp).toEqual({
      sent: 4,
      received: 3,
      loss: 0.25,
      rtt_min_ms: 1,
      rtt_avg_ms: 2,
      rtt_max_ms: 3,
      rtt_stddev_ms: 0.816, // sqrt(((1-2)² + 0 + (3-2)²) / 3)
      ttl: 57,
    });
  });

  it("has neither without a reply", async () => {
    const r = await checkIcmp(monitor("127.0.0.1", 2), withPinger(answering([null, null])));
    expect(r.icmp).toEqual({ sent: 2, received: 0, loss: 1, rtt_min_ms: null, rtt_avg_ms: null, rtt_max_ms: null });
  });
});

describe.skipIf(!fpingPath || !pingPath || noNetns !== null)("icmp check against namespace hosts", () => {
  let dropping: SilentHost;
  let rejecting: SilentHost;
  beforeAll(async () => {
    [dropping, rejecting] = await Promise.all([createSilentHost("drop"), createSilentHost("host-unreachable")]);
  });
  afterAll(async () => {
    await Promise.all([dropping?.destroy(), rejecting?.destroy()]);
  });

  it("reports 100% loss from a host that drops echo requests as timeout, within timeout_ms", async () => {
    const deps = defaultDeps();
    const t0 = performance.now();
    const [silent, loop] = await Promise.all([
      checkIcmp(monitor(dropping.address, 3, 800), deps),
      checkIcmp(monitor("127.0.0.1", 3, 800), deps),
    ]);
    const elapsed = performance.now() - t0;
    expect(silent).toMatchObject({
      ok: false,
      latency_ms: null,
      icmp: { sent: 3, received: 0, loss: 1, rtt_min_ms: null, rtt_avg_ms: null, rtt_max_ms: null },
      error: {
        kind: "timeout",
        message: `${dropping.address}: no echo reply to any of 3 requests within the timeout (100% loss, timeout_ms 800)`,
      },
    });
    // In the same fping run, the loopback target still gets its replies.
    expect(loop).toMatchObject({ ok: true, icmp: { received: 3 } });
    expect(elapsed).toBeLessThan(800 + 300);
  });

  it("reports an ICMP host unreachable answer as unreachable", async () => {
    const r = await checkIcmp(monitor(rejecting.address, 2, 800), defaultDeps());
    expect(r.error?.kind).toBe("unreachable");
    expect(r.error?.message).toBe(`${rejecting.address}: no echo reply to 2 requests; ICMP Host Unreachable from ${rejecting.address}`);
    expect(r.icmp).toMatchObject({ sent: 2, received: 0, loss: 1 });
  });

  it("is unreachable with the ping fallback too", async () => {
    const r = await checkIcmp(monitor(rejecting.address, 2, 1500), withPinger(createPingPinger()));
    expect(r.error?.kind).toBe("unreachable");
    expect(r.error?.message).toContain("Destination Host Unreachable");
  });
});

/**
 * A real unprivileged run: inside a fresh namespace (its ping_group_range is its own, the machine's is
 * untouched) as user nobody, with copies of fping and ping that lack their file capability (cp drops it).
 */
describe.skipIf(!fpingPath || !pingPath || noNetns !== null || process.getuid?.() !== 0)("icmp without privilege", () => {
  let ns: Netns;
  let dir: string;
  let asNobody: (binary: string) => string[];
  const setRange = (range: string) => ns.exec(["sh", "-c", `echo '${range}' > /proc/sys/net/ipv4/ping_group_range`]);
  beforeAll(async () => {
    ns = await createNetns();
    dir = await mkdtemp(path.join(tmpdir(), "ium-nopriv-"));
    await chmod(dir, 0o755);
    for (const [src, name] of [
      [fpingPath!, "fping"],
      [pingPath!, "ping"],
    ] as const)
      await copyFile(src, path.join(dir, name));
    asNobody = (binary) => ns.command(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", path.join(dir, binary)]);
  });
  afterAll(async () => {
    await ns?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("reports permission, saying how to fix it, when neither CAP_NET_RAW nor ping_group_range allows ICMP", async () => {
    await setRange("1 0");
    const pinger = createSystemPinger({ command: asNobody("fping"), pingCommand: asNobody("ping") });
    const r = await checkIcmp(monitor("127.0.0.1", 2, 1500), withPinger(pinger));
    expect(r.ok).toBe(false);
    expect(r.error?.kind).toBe("permission");
    expect(r.error?.message).toMatch(/^ICMP echo is not permitted for the agent: fping could not open an ICMP socket/);
    expect(r.error?.message).toContain("--cap-add NET_RAW");
    expect(r.error?.message).toContain("net.ipv4.ping_group_range");
    // The same without fping's fallback choice: plain iputils ping says so too.
    const p = await checkIcmp(monitor("127.0.0.1", 1, 1500), withPinger(createPingPinger({ command: asNobody("ping") })));
    expect(p.error?.kind).toBe("permission");
    expect(p.error?.message).toContain("Operation not permitted");
  });

  it("works once ping_group_range covers the agent's group, as the message says", async () => {
    await setRange("0 2147483647");
    const pinger = createSystemPinger({ command: asNobody("fping"), pingCommand: asNobody("ping") });
    const r = await checkIcmp(monitor("127.0.0.1", 2, 1500), withPinger(pinger));
    expect(r).toMatchObject({ ok: true, icmp: { sent: 2, received: 2, loss: 0 } });
    console.info(`unprivileged pinger chosen: ${pinger.describe()}`);
  });
});
