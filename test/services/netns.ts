// Network namespaces for tests: hosts that must not answer (or answer "unreachable"), reachable only from this machine.
import { execFile, execFileSync } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * How a host in a namespace treats what it is sent:
 * - `drop`: nothing comes back (SYNs and echo requests vanish), so connects time out and pings see 100% loss;
 * - `host-unreachable` / `net-unreachable`: it answers with that ICMP error, so a connect fails
 *   with EHOSTUNREACH / ENETUNREACH.
 */
export type SilentMode = "drop" | "host-unreachable" | "net-unreachable";

export interface Netns {
  /** The namespace's name, unique per test run (`ip netns list` shows it). */
  readonly name: string;
  /** Prefixes a command so that it runs inside the namespace: `["ip", "netns", "exec", name, ...argv]`. */
  command(argv: readonly string[]): string[];
  /** Runs a command inside the namespace; rejects with its stderr if it fails. */
  exec(argv: readonly string[]): Promise<{ stdout: string; stderr: string }>;
  /** Deletes the namespace and everything in it; safe to call twice. */
  destroy(): Promise<void>;
}

export interface SilentHost extends Netns {
  /** The host's address (198.18.0.0/15, RFC 2544's benchmarking range), routed from the root namespace over a veth pair. */
  readonly address: string;
  /** The root namespace's end of the veth pair. */
  readonly peerAddress: string;
  readonly mode: SilentMode;
}

const live = new Set<() => void>();
let exitHookInstalled = false;

/** Whatever a failed or interrupted test run leaves behind is removed when the process exits. */
function trackForExit(cleanup: () => void): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const c of live) c();
    });
  }
  live.add(cleanup);
  return () => live.delete(cleanup);
}

let support: Promise<string | null> | null = null;

/**
 * Null when namespaces with a firewall can be created here, else the reason they cannot
 * (tests then skip with that reason). Needs root (CAP_NET_ADMIN + CAP_SYS_ADMIN), `ip` (iproute2)
 * and `iptables` (Debian's `iptables` package, nft backend) or `nft`.
 */
export function netnsUnavailable(): Promise<string | null> {
  support ??= (async () => {
    if (process.platform !== "linux") return `network namespaces need Linux (this is ${process.platform})`;
    if (process.getuid?.() !== 0) return "network namespaces need root (CAP_NET_ADMIN and CAP_SYS_ADMIN); run the tests as root";
    try {
      await run("ip", ["-V"]);
    } catch {
      return "`ip` is missing: install Debian's iproute2 package";
    }
    if (!(await firewallTool())) return "neither `iptables` nor `nft` is installed: install Debian's iptables package";
    let probe: Netns | null = null;
    try {
      probe = await createNetns();
      await probe.exec(firewallArgs((await firewallTool())!, "drop")[0]!);
      return null;
    } catch (e) {
      return `cannot create a network namespace with a firewall here: ${(e as Error).message.trim()}`;
    } finally {
      await probe?.destroy();
    }
  })();
  return support;
}

let firewall: Promise<"iptables" | "nft" | null> | null = null;
function firewallTool(): Promise<"iptables" | "nft" | null> {
  firewall ??= (async () => {
    for (const tool of ["iptables", "nft"] as const) {
      try {
        await run(tool, ["--version"]);
        return tool;
      } catch {
        /* try the next */
      }
    }
    return null;
  })();
  return firewall;
}

/** Commands (to run inside the namespace) that make its INPUT chain behave as `mode` says. */
function firewallArgs(tool: "iptables" | "nft", mode: SilentMode): string[][] {
  if (tool === "iptables") {
    if (mode === "drop") return [["iptables", "-w", "-A", "INPUT", "-j", "DROP"]];
    const reject = mode === "host-unreachable" ? "icmp-host-unreachable" : "icmp-net-unreachable";
    return [["iptables", "-w", "-A", "INPUT", "-j", "REJECT", "--reject-with", reject]];
  }
  const verdict = mode === "drop" ? "drop" : `reject with icmp type ${mode}`;
  return [
    ["nft", "add", "table", "inet", "silent"],
    ["nft", "add", "chain", "inet", "silent", "input", "{ type filter hook input priority 0; policy accept; }"],
    ["nft", "add", "rule", "inet", "silent", "input", "meta", "nfproto", "ipv4", ...verdict.split(" ")],
  ];
}

async function sh(argv: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(argv[0]!, argv.slice(1), { encoding: "utf8" });
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`${argv.join(" ")} failed: ${(err.stderr || err.message).trim()}`);
  }
}

/** A fresh, empty namespace with only its loopback interface up. */
export async function createNetns(): Promise<Netns> {
  const name = `ium-${process.pid}-${randomBytes(3).toString("hex")}`;
  await sh(["ip", "netns", "add", name]);
  const untrack = trackForExit(() => {
    try {
      execFileSync("ip", ["netns", "del", name], { stdio: "ignore" });
    } catch {
      /* already gone */
    }
  });
  let destroyed = false;
  const ns: Netns = {
    name,
    command: (argv) => ["ip", "netns", "exec", name, ...argv],
    exec: (argv) => sh(["ip", "netns", "exec", name, ...argv]),
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      untrack();
      await run("ip", ["netns", "del", name]).catch(() => {});
    },
  };
  try {
    await sh(["ip", "-n", name, "link", "set", "lo", "up"]);
  } catch (e) {
    await ns.destroy();
    throw e;
  }
  return ns;
}

/** IPv4 addresses (and /30 blocks) already configured on this machine, so a new host does not collide. */
async function usedBlocks(): Promise<Set<number>> {
  const { stdout } = await sh(["ip", "-4", "-o", "addr", "show"]);
  const blocks = new Set<number>();
  for (const m of stdout.matchAll(/inet (\d+)\.(\d+)\.(\d+)\.(\d+)/g)) {
    const n = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
    blocks.add(n >>> 2);
  }
  return blocks;
}

const ip4 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");

/**
 * A host at its own address in 198.18.0.0/15 inside a new namespace, joined to the root namespace by
 * a veth pair, whose firewall drops (or rejects) everything sent to it. No process listens there.
 * Traffic to it never leaves this machine. Call destroy() in teardown; process exit removes leftovers.
 */
export async function createSilentHost(mode: SilentMode = "drop"): Promise<SilentHost> {
  const tool = await firewallTool();
  if (!tool) throw new Error("neither iptables nor nft is installed: install Debian's iptables package");
  const ns = await createNetns();
  // Interface names are limited to 15 characters.
  const tag = randomBytes(4).toString("hex");
  const hostSide = `iumh${tag}`;
  const nsSide = `iumn${tag}`;
  const untrack = trackForExit(() => {
    try {
      execFileSync("ip", ["link", "del", hostSide], { stdio: "ignore" });
    } catch {
      /* went with the namespace */
    }
  });
  const destroy = async () => {
    await ns.destroy();
    await run("ip", ["link", "del", hostSide]).catch(() => {});
    untrack();
  };
  try {
    const used = await usedBlocks();
    // 198.18.0.0/15 holds 32768 blocks of 4 addresses; pick a free one at random so parallel runs do not meet.
    let block = 0;
    for (let i = 0; i < 100; i++) {
      const candidate = (198 * 2 ** 24 + 18 * 2 ** 16) / 4 + randomInt(1, 32768);
      if (!used.has(candidate)) {
        block = candidate;
        break;
      }
    }
    if (!block) throw new Error("no free /30 block left in 198.18.0.0/15");
    const peerAddress = ip4(block * 4 + 1);
    const address = ip4(block * 4 + 2);
    await sh(["ip", "link", "add", hostSide, "type", "veth", "peer", "name", nsSide, "netns", ns.name]);
    await sh(["ip", "addr", "add", `${peerAddress}/30`, "dev", hostSide]);
    await sh(["ip", "link", "set", hostSide, "up"]);
    await sh(["ip", "-n", ns.name, "addr", "add", `${address}/30`, "dev", nsSide]);
    await sh(["ip", "-n", ns.name, "link", "set", nsSide, "up"]);
    for (const argv of firewallArgs(tool, mode)) await ns.exec(argv);
    return { ...ns, address, peerAddress, mode, destroy };
  } catch (e) {
    await destroy();
    throw e;
  }
}
