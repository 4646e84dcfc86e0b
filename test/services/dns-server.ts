// A real authoritative DNS server for tests: NSD (Debian's nsd package) serving test zones, on a free loopback
// port of this machine or on port 53 inside a network namespace. It answers REFUSED for names outside its zones.
import { spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Netns } from "./netns.ts";

export interface DnsServer {
  readonly address: string;
  readonly port: number;
  /** `address:port` (`[v6]:port`), as a dns monitor's `server`. */
  readonly server: string;
  stop(): Promise<void>;
}

/** The zone every dns test asks: one or more records of each type a monitor may ask for. */
export const EXAMPLE_ZONE = {
  name: "example.test",
  text: `$ORIGIN example.test.
$TTL 300
@       IN SOA   ns1.example.test. hostmaster.example.test. 2026113001 3600 900 604800 300
@       IN NS    ns1.example.test.
@       IN NS    ns2.example.test.
ns1     IN A     192.0.2.53
ns2     IN A     192.0.2.54
www     IN A     192.0.2.10
www     IN A     192.0.2.11
www     IN AAAA  2001:db8::10
alias   IN CNAME www.example.test.
@       IN MX    10 mail.example.test.
@       IN MX    20 Mail2.Example.Test.
@       IN TXT   "v=spf1 -all"
multi   IN TXT   "part one, " "part two"
; Larger than a 512-byte UDP answer without EDNS: NSD sets TC and the client must ask again over TCP.
big     IN TXT   "${"a".repeat(250)}" "${"b".repeat(250)}"
big     IN TXT   "${"c".repeat(250)}"
empty   IN TXT   "only TXT here"
`,
};

/** NSD's binary; the tests provision Debian's nsd package (scripts/lib/provision.mjs). */
const NSD = "nsd";

/** A loopback port free for both UDP and TCP just now (NSD listens on both). */
async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const tcp = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      tcp.once("error", reject);
      tcp.listen(0, "127.0.0.1", () => resolve((tcp.address() as { port: number }).port));
    });
    const udp = createSocket("udp4");
    const ok = await new Promise<boolean>((resolve) => {
      udp.once("error", () => resolve(false));
      udp.bind(port, "127.0.0.1", () => resolve(true));
    });
    udp.close();
    await new Promise((r) => tcp.close(r));
    if (ok) return port;
  }
  throw new Error("no loopback port free for both UDP and TCP");
}

export interface DnsServerOptions {
  zones?: { name: string; text: string }[];
  /** Run inside this namespace, on its loopback at port 53; else on this machine's 127.0.0.1 at a free port. */
  netns?: Netns;
}

/** Starts NSD; resolves once it answers. stop() ends it (and only it) and removes its files. */
export async function startDnsServer(options: DnsServerOptions = {}): Promise<DnsServer> {
  const zones = options.zones ?? [EXAMPLE_ZONE];
  const dir = mkdtempSync(path.join(tmpdir(), "ium-nsd-"));
  const address = "127.0.0.1";
  let lastError = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = options.netns ? 53 : await freePort();
    for (const z of zones) writeFileSync(path.join(dir, `${z.name}.zone`), z.text);
    const conf = path.join(dir, "nsd.conf");
    writeFileSync(
      conf,
      [
        "server:",
        `  ip-address: ${address}@${port}`,
        '  username: ""',
        '  chroot: ""',
        `  zonesdir: "${dir}"`,
        `  pidfile: "${dir}/nsd.pid"`,
        '  database: ""',
        `  zonelistfile: "${dir}/zone.list"`,
        `  xfrdfile: "${dir}/xfrd.state"`,
        `  xfrdir: "${dir}"`,
        `  logfile: "${dir}/nsd.log"`,
        "  server-count: 1",
        "  hide-version: yes",
        "  verbosity: 1",
        "remote-control:",
        "  control-enable: no",
        ...zones.flatMap((z) => ["zone:", `  name: ${z.name}`, `  zonefile: ${z.name}.zone`]),
        "",
      ].join("\n"),
    );
    const argv = [NSD, "-d", "-c", conf];
    const cmd = options.netns ? options.netns.command(argv) : argv;
    let child: ChildProcess;
    try {
      child = spawn(cmd[0]!, cmd.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`cannot start nsd (install Debian's nsd package): ${(e as Error).message}`);
    }
    let stderr = "";
    child.stderr?.on("data", (d) => {
      stderr += String(d);
    });
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.once("error", () => {});
    const ready = await waitReady(address, port, options.netns, exited);
    if (ready) {
      const stop = async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill("SIGTERM");
          const t = setTimeout(() => child.kill("SIGKILL"), 3000);
          await exited;
          clearTimeout(t);
        }
        rmSync(dir, { recursive: true, force: true });
      };
      return { address, port, server: `${address}:${port}`, stop };
    }
    child.kill("SIGKILL");
    await exited;
    let log = "";
    try {
      log = readFileSync(path.join(dir, "nsd.log"), "utf8");
    } catch {
      /* none written */
    }
    lastError = `${stderr}${log}`.trim() || "nsd exited or did not answer";
    if (!/address already in use/i.test(lastError) || options.netns) break;
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`nsd did not start: ${lastError}`);
}

/** Whether NSD answers on TCP (it opens UDP and TCP together) within 10 s; false once it exited. */
async function waitReady(address: string, port: number, netns: Netns | undefined, exited: Promise<number | null>): Promise<boolean> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !gone) {
    const up = await (netns
      ? netns.exec(["bash", "-c", `exec 3<>/dev/tcp/${address}/${port} && echo up`]).then(
          (r) => r.stdout.includes("up"),
          () => false,
        )
      : new Promise<boolean>((resolve) => {
          const s = connect({ host: address, port });
          s.once("connect", () => {
            s.destroy();
            resolve(true);
          });
          s.once("error", () => resolve(false));
        }));
    if (up) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
