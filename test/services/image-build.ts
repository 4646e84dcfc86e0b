// Real container images without a container engine or a registry: Debian's buildah builds the
// repository's Dockerfiles (chroot isolation) on a stand-in for the official Node base image, made
// here from a Debian root filesystem (debootstrap from the mirror in this machine's apt sources)
// plus the Node 24 binary the repository already has, under the name the Dockerfiles expect.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
// @ts-expect-error plain ESM helper without types
import { ensurePackages } from "../../scripts/lib/provision.mjs";
import { createNetns, type Netns } from "./netns.ts";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The name both Dockerfiles build FROM, as buildah resolves it. */
export const BASE_IMAGE = "docker.io/library/node:24.21.0-bookworm-slim";
const NODE_VERSION = "24.21.0";
const SUITE = "bookworm";
/** Bump when the recipe below changes in a way its inputs do not show. */
const RECIPE_VERSION = "1";
const RECIPE_LABEL = "io.infra-uptime-monitor.base-recipe";

/** The root filesystem tarballs (about 270 MB each) are kept here, outside the repository, keyed by recipe. */
export const IMAGE_CACHE = process.env.IUM_IMAGE_CACHE ?? "/var/cache/ium-images";

/** What the image tests need from Debian: buildah (with crun and containers' storage) and debootstrap. */
export const IMAGE_PACKAGES = [
  { command: "buildah", pkg: "buildah" },
  { command: "debootstrap", pkg: "debootstrap" },
];

export type Run = { code: number; stdout: string; stderr: string };

/** Runs a command to its end; never rejects on a non-zero exit (the caller decides). */
export function exec(file: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) {
  return new Promise<Run>((resolve) => {
    execFile(
      file,
      args,
      { cwd: opts.cwd, env: opts.env ?? process.env, maxBuffer: 256 * 1024 * 1024, timeout: opts.timeoutMs ?? 0 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : -1) : 0;
        resolve({ code, stdout: String(stdout), stderr: err && code === -1 ? `${stderr}${err.message}` : String(stderr) });
      },
    );
  });
}

/** Runs a command and returns its stdout; throws with the command line and the end of its output if it fails. */
export async function must(
  file: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
) {
  const r = await exec(file, args, opts);
  if (r.code !== 0) throw new Error(`\`${[file, ...args].join(" ")}\` exited ${r.code}:\n${tail(`${r.stdout}\n${r.stderr}`)}`);
  return r.stdout;
}

export const tail = (text: string, lines = 40) => text.trim().split("\n").slice(-lines).join("\n");

/**
 * Null when images can be built and run here, else exactly why not. Installs buildah and
 * debootstrap from Debian's packages when they are missing and this is root.
 */
export async function imageToolsUnavailable(): Promise<string | null> {
  if (process.platform !== "linux") return `building images needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return "building images needs root (debootstrap, and buildah's chroot isolation and storage)";
  try {
    ensurePackages(IMAGE_PACKAGES);
  } catch (e) {
    return `cannot install ${IMAGE_PACKAGES.map((p) => p.pkg).join(", ")}: ${(e as Error).message}`;
  }
  const info = await exec("buildah", ["info"]);
  if (info.code !== 0) return `\`buildah info\` exited ${info.code}: ${tail(info.stderr, 10)}`;
  if (!existsSync(path.join(ROOT, "node_modules/node/bin/node")))
    return "node_modules/node/bin/node (the npm package `node`, Node 24) is missing: run npm ci";
  return null;
}

type AptEntry = { uris: string[]; suites: string[]; components: string[] };

/** The deb entries of this machine's apt sources (one-line .list files and deb822 .sources files). */
export function aptEntries(): AptEntry[] {
  const out: AptEntry[] = [];
  const files: string[] = [];
  if (existsSync("/etc/apt/sources.list")) files.push("/etc/apt/sources.list");
  if (existsSync("/etc/apt/sources.list.d"))
    for (const f of readdirSync("/etc/apt/sources.list.d").sort())
      if (f.endsWith(".list") || f.endsWith(".sources")) files.push(path.join("/etc/apt/sources.list.d", f));
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    if (file.endsWith(".sources")) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const fields = new Map<string, string>();
        let key = "";
        for (const line of stanza.split("\n")) {
          if (line.startsWith("#")) continue;
          const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
          if (m) fields.set((key = m[1]!.toLowerCase()), m[2]!);
          else if (/^\s/.test(line) && key) fields.set(key, `${fields.get(key)} ${line.trim()}`);
        }
        if (!(fields.get("types") ?? "").split(/\s+/).includes("deb")) continue;
        if ((fields.get("enabled") ?? "yes").toLowerCase() === "no") continue;
        const words = (k: string) => (fields.get(k) ?? "").split(/\s+/).filter(Boolean);
        out.push({ uris: words("uris"), suites: words("suites"), components: words("components") });
      }
    } else {
      for (const raw of text.split("\n")) {
        const line = raw.replace(/#.*/, "").trim();
        const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
        if (m) out.push({ uris: [m[1]!], suites: [m[2]!], components: m[3]!.split(/\s+/).filter(Boolean) });
      }
    }
  }
  return out;
}

/** The Debian mirror this machine installs bookworm from, and the apt sources the image gets (the same mirrors, main only). */
export function debianSources(): { mirror: string; sources: string } {
  const entries = aptEntries()
    .map((e) => ({ ...e, suites: e.suites.filter((s) => s === SUITE || s.startsWith(`${SUITE}-`)) }))
    .filter((e) => e.suites.length > 0 && e.components.includes("main") && e.uris.length > 0);
  const main = entries.find((e) => e.suites.includes(SUITE));
  if (!main) throw new Error(`no apt source for Debian ${SUITE} (main) in /etc/apt/sources.list or /etc/apt/sources.list.d`);
  const sources = entries
    .map(
      (e) =>
        `Types: deb\nURIs: ${e.uris.join(" ")}\nSuites: ${e.suites.join(" ")}\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`,
    )
    .join("\n");
  return { mirror: main.uris[0]!, sources };
}

/**
 * This machine's npm settings the build stages need to reach the registry: its URL, and the CA
 * bundle npm is told to trust (a TLS-inspecting egress proxy's CA lives there).
 */
async function npmSettings(): Promise<{ npmrc: string; ca: string | null }> {
  const get = async (key: string) => (await exec("npm", ["config", "get", key])).stdout.trim();
  const registry = (await get("registry")) || "https://registry.npmjs.org/";
  const cafile = await get("cafile");
  const ca = cafile && cafile !== "null" && cafile !== "undefined" && existsSync(cafile) ? readFileSync(cafile, "utf8") : null;
  const npmrc = [`registry=${registry}`, ...(ca ? ["cafile=/usr/local/etc/npm-ca.crt"] : []), ""].join("\n");
  return { npmrc, ca };
}

/** npm itself, as installed on this machine (the npm package `node` ships only the node binary). */
async function hostNpmDir(): Promise<string> {
  const dir = path.join((await must("npm", ["root", "-g"])).trim(), "npm");
  if (!existsSync(path.join(dir, "bin/npm-cli.js"))) throw new Error(`npm not found at ${dir}`);
  return dir;
}

/** The official image's entrypoint: a first argument that is an option or no command runs under node. */
const ENTRYPOINT = `#!/bin/sh
set -e
if [ "\${1#-}" != "\${1}" ] || [ -z "$(command -v "\${1}")" ] || { [ -f "\${1}" ] && ! [ -x "\${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
`;

type Recipe = { hash: string; mirror: string; sources: string; npmrc: string; ca: string | null; npmDir: string; nodeBinary: string };

async function recipe(): Promise<Recipe> {
  const { mirror, sources } = debianSources();
  const { npmrc, ca } = await npmSettings();
  const npmDir = await hostNpmDir();
  const nodeBinary = path.join(ROOT, "node_modules/node/bin/node");
  const nodeVersion = (await must(nodeBinary, ["--version"])).trim();
  if (nodeVersion !== `v${NODE_VERSION}`)
    throw new Error(`node_modules/node is ${nodeVersion}; the Dockerfiles' base image is Node ${NODE_VERSION}`);
  const npmVersion = JSON.parse(readFileSync(path.join(npmDir, "package.json"), "utf8")).version as string;
  const nodeStat = statSync(nodeBinary);
  const hash = createHash("sha256")
    .update(
      JSON.stringify({ RECIPE_VERSION, SUITE, mirror, sources, npmrc, ca, nodeVersion, nodeSize: nodeStat.size, npmVersion, ENTRYPOINT }),
    )
    .digest("hex")
    .slice(0, 16);
  return { hash, mirror, sources, npmrc, ca, npmDir, nodeBinary };
}

/** Debian bookworm (minbase) with Node and npm in /usr/local, the `node` user (uid 1000) and the entrypoint, as a tarball. */
async function makeRootfsTarball(r: Recipe, tarball: string, log: (m: string) => void): Promise<void> {
  mkdirSync(IMAGE_CACHE, { recursive: true });
  const work = mkdtempSync(path.join(IMAGE_CACHE, "rootfs-"));
  const rootfs = path.join(work, "rootfs");
  try {
    log(`debootstrap --variant=minbase ${SUITE} from this machine's apt mirror`);
    await must("debootstrap", ["--variant=minbase", SUITE, rootfs, r.mirror], { timeoutMs: 15 * 60_000 });
    const inRoot = (...args: string[]) => must("chroot", [rootfs, ...args]);
    // As the official image: group and user `node`, uid and gid 1000, home /home/node.
    await inRoot("groupadd", "--gid", "1000", "node");
    await inRoot("useradd", "--uid", "1000", "--gid", "node", "--shell", "/bin/bash", "--create-home", "node");
    copyFileSync(r.nodeBinary, path.join(rootfs, "usr/local/bin/node"));
    chmodSync(path.join(rootfs, "usr/local/bin/node"), 0o755);
    mkdirSync(path.join(rootfs, "usr/local/lib/node_modules"), { recursive: true });
    cpSync(r.npmDir, path.join(rootfs, "usr/local/lib/node_modules/npm"), { recursive: true, verbatimSymlinks: true });
    symlinkSync("../lib/node_modules/npm/bin/npm-cli.js", path.join(rootfs, "usr/local/bin/npm"));
    symlinkSync("../lib/node_modules/npm/bin/npx-cli.js", path.join(rootfs, "usr/local/bin/npx"));
    writeFileSync(path.join(rootfs, "usr/local/bin/docker-entrypoint.sh"), ENTRYPOINT, { mode: 0o755 });
    // npm's global config ({prefix}/etc/npmrc): this machine's registry and CA, so `npm ci` in a build stage works here.
    mkdirSync(path.join(rootfs, "usr/local/etc"), { recursive: true });
    writeFileSync(path.join(rootfs, "usr/local/etc/npmrc"), r.npmrc);
    if (r.ca) writeFileSync(path.join(rootfs, "usr/local/etc/npm-ca.crt"), r.ca);
    rmSync(path.join(rootfs, "etc/apt/sources.list"), { force: true });
    writeFileSync(path.join(rootfs, "etc/apt/sources.list.d/debian.sources"), r.sources);
    await inRoot("node", "--version");
    await inRoot("npm", "--version");
    await inRoot("apt-get", "clean");
    // What the engine provides at run time, and the host's files debootstrap copied in, stay out.
    for (const d of ["dev", "proc", "sys", "tmp", "run", "var/lib/apt/lists"])
      for (const f of readdirSync(path.join(rootfs, d))) rmSync(path.join(rootfs, d, f), { recursive: true, force: true });
    for (const f of ["etc/resolv.conf", "etc/hostname"]) rmSync(path.join(rootfs, f), { force: true });
    const partial = `${tarball}.partial`;
    await must("tar", ["--numeric-owner", "--xattrs", "--xattrs-include=*", "-C", rootfs, "-cf", partial, "."]);
    renameSync(partial, tarball);
    // Tarballs of earlier recipes are dead weight.
    for (const f of readdirSync(IMAGE_CACHE))
      if (f.startsWith("node-") && f.endsWith(".tar") && path.join(IMAGE_CACHE, f) !== tarball) rmSync(path.join(IMAGE_CACHE, f));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The recipe hash the base image in buildah's storage was made from, or null if there is none. */
async function baseImageRecipe(): Promise<string | null> {
  const r = await exec("buildah", [
    "inspect",
    "--type",
    "image",
    "--format",
    `{{index .OCIv1.Config.Labels "${RECIPE_LABEL}"}}`,
    BASE_IMAGE,
  ]);
  return r.code === 0 ? r.stdout.trim() : null;
}

/**
 * Makes BASE_IMAGE in buildah's storage unless the one there comes from the same recipe: from the
 * cached tarball if there is one (seconds), else from debootstrap (about a minute). Returns what it did.
 */
export async function ensureBaseImage(log: (m: string) => void = () => {}): Promise<"present" | "imported" | "created"> {
  const r = await recipe();
  if ((await baseImageRecipe()) === r.hash) return "present";
  const tarball = path.join(IMAGE_CACHE, `node-${NODE_VERSION}-${SUITE}-slim-${r.hash}.tar`);
  const created = !existsSync(tarball);
  if (created) await makeRootfsTarball(r, tarball, log);
  log(`importing ${path.basename(tarball)} as ${BASE_IMAGE}`);
  const ctr = (await must("buildah", ["from", "--name", `ium-base-${randomBytes(4).toString("hex")}`, "scratch"])).trim();
  try {
    await must("buildah", ["add", ctr, tarball, "/"]);
    await must("buildah", [
      "config",
      "--env",
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "--env",
      `NODE_VERSION=${NODE_VERSION}`,
      "--entrypoint",
      '["docker-entrypoint.sh"]',
      "--cmd",
      '["node"]',
      "--label",
      `${RECIPE_LABEL}=${r.hash}`,
      ctr,
    ]);
    await must("buildah", ["commit", "--rm", "--quiet", ctr, BASE_IMAGE]);
  } catch (e) {
    await exec("buildah", ["rm", ctr]);
    throw e;
  }
  return created ? "created" : "imported";
}

/**
 * `buildah bud` of a Dockerfile of this repository, with the repository root as context and the
 * Dockerfile's own `<Dockerfile>.dockerignore`; layers cached between runs. Throws with the build's
 * last lines if it fails.
 */
export async function buildImage(dockerfile: string, tag: string): Promise<{ log: string; ms: number }> {
  const started = Date.now();
  const args = ["bud", "--isolation", "chroot", "--pull=never", "--layers", "--format", "docker", "-f", dockerfile, "-t", tag];
  const ignore = path.join(ROOT, `${dockerfile}.dockerignore`);
  if (existsSync(ignore)) args.push("--ignorefile", ignore);
  const r = await exec("buildah", [...args, ROOT], { cwd: ROOT, timeoutMs: 30 * 60_000 });
  const log = `${r.stdout}\n${r.stderr}`;
  if (r.code !== 0) throw new Error(`\`buildah ${args.join(" ")} .\` exited ${r.code}:\n${tail(log, 60)}`);
  return { log, ms: Date.now() - started };
}

export type RunOptions = {
  /** `--user`; default the image's USER. */
  user?: string;
  capAdd?: string[];
  capDrop?: string[];
  env?: Record<string, string>;
  /** `--volume host:container[:ro]`. */
  volumes?: string[];
  /** Runs buildah inside this command prefix (e.g. `unshare --net …` for a network namespace of its own). */
  wrap?: string[];
  timeoutMs?: number;
};

function runArgs(ctr: string, argv: readonly string[], o: RunOptions): string[] {
  const args = ["run", "--isolation", "chroot"];
  if (o.user) args.push("--user", o.user);
  for (const c of o.capAdd ?? []) args.push("--cap-add", c);
  for (const c of o.capDrop ?? []) args.push("--cap-drop", c);
  for (const [k, v] of Object.entries(o.env ?? {})) args.push("--env", `${k}=${v}`);
  for (const v of o.volumes ?? []) args.push("--volume", v);
  return [...args, ctr, "--", ...argv];
}

const containers = new Set<string>();
let exitHook = false;

/** A working container of `image` (`buildah from`); removed by `removeContainers()` or when the process exits. */
export async function fromImage(image: string): Promise<string> {
  if (!exitHook) {
    exitHook = true;
    process.once("exit", () => {
      for (const c of containers) spawn("buildah", ["rm", c], { stdio: "ignore", detached: true }).unref();
    });
  }
  const name = `ium-test-${randomBytes(4).toString("hex")}`;
  await must("buildah", ["from", "--pull=never", "--name", name, image]);
  containers.add(name);
  return name;
}

export async function removeContainers(): Promise<void> {
  for (const c of [...containers]) {
    await exec("buildah", ["rm", c]);
    containers.delete(c);
  }
}

/** Runs one command in the container (`buildah run --isolation chroot`) to its end. */
export function runIn(ctr: string, argv: readonly string[], o: RunOptions = {}): Promise<Run> {
  const [file, ...pre] = [...(o.wrap ?? []), "buildah"];
  return exec(file!, [...pre, ...runArgs(ctr, argv, o)], { timeoutMs: o.timeoutMs ?? 120_000 });
}

/** Starts a long-running command in the container; its process group is killed by `stop()`. */
export function startIn(
  ctr: string,
  argv: readonly string[],
  o: RunOptions = {},
): { child: ChildProcess; output: () => string; stop(): Promise<void> } {
  const [file, ...pre] = [...(o.wrap ?? []), "buildah"];
  const child = spawn(file!, [...pre, ...runArgs(ctr, argv, o)], { stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  return {
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const kill = (sig: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, sig);
        } catch {
          /* gone */
        }
      };
      kill("SIGTERM");
      const t = setTimeout(() => kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** A free TCP port on 127.0.0.1 now (for a server that cannot be told to take port 0 and say which it got). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface LinkedNetns extends Netns {
  /** This machine's end of the veth pair: what a process in the namespace connects to. */
  readonly hostAddress: string;
  /** Accepts connections on hostAddress:<a free port> and forwards them to 127.0.0.1:`port`; returns the port. */
  forward(port: number): Promise<number>;
}

/**
 * A network namespace of its own (loopback up, net.ipv4.ping_group_range set as given: a per-namespace
 * sysctl), joined to this machine by a veth pair in 198.19.0.0/16 (RFC 2544's benchmarking range).
 * Commands run in it through `command()`; buildah's chroot isolation keeps the caller's network.
 */
export async function linkedNetns(pingGroupRange: string): Promise<LinkedNetns> {
  const ns = await createNetns();
  const tag = randomBytes(4).toString("hex");
  const hostSide = `iumb${tag}`;
  const servers = new Set<net.Server>();
  const sockets = new Set<net.Socket>();
  const destroy = async () => {
    for (const c of sockets) c.destroy();
    for (const srv of servers) srv.close();
    await ns.destroy();
    await exec("ip", ["link", "del", hostSide]);
  };
  try {
    // A /30 block no address of this machine is in, picked at random so parallel runs do not meet.
    const used = await must("ip", ["-4", "-o", "addr", "show"]);
    let hostAddress = "";
    let nsAddress = "";
    for (let i = 0; i < 100 && !hostAddress; i++) {
      const [a, b] = [randomBytes(1)[0]!, randomBytes(1)[0]! & 0xfc];
      if ([0, 1, 2, 3].some((k) => used.includes(`inet 198.19.${a}.${b + k}/`))) continue;
      [hostAddress, nsAddress] = [`198.19.${a}.${b + 1}`, `198.19.${a}.${b + 2}`];
    }
    if (!hostAddress) throw new Error("no free /30 block in 198.19.0.0/16");
    const nsSide = `iumc${tag}`;
    await must("ip", ["link", "add", hostSide, "type", "veth", "peer", "name", nsSide, "netns", ns.name]);
    await must("ip", ["addr", "add", `${hostAddress}/30`, "dev", hostSide]);
    await must("ip", ["link", "set", hostSide, "up"]);
    await must("ip", ["-n", ns.name, "addr", "add", `${nsAddress}/30`, "dev", nsSide]);
    await must("ip", ["-n", ns.name, "link", "set", nsSide, "up"]);
    await ns.exec(["sysctl", "-qw", `net.ipv4.ping_group_range=${pingGroupRange}`]);
    return {
      ...ns,
      hostAddress,
      destroy,
      async forward(port: number) {
        const srv = net.createServer((client) => {
          const upstream = net.connect(port, "127.0.0.1");
          for (const sock of [client, upstream]) {
            sockets.add(sock);
            sock.on("close", () => sockets.delete(sock));
            sock.on("error", () => {
              client.destroy();
              upstream.destroy();
            });
          }
          client.pipe(upstream);
          upstream.pipe(client);
        });
        servers.add(srv);
        await new Promise<void>((r) => srv.listen(0, hostAddress, r));
        return (srv.address() as net.AddressInfo).port;
      },
    };
  } catch (e) {
    await destroy();
    throw e;
  }
}

/** The JSON lines of a process's output (its pino logs), the rest skipped. */
export function jsonLines(text: string): Array<Record<string, any>> {
  const out: Array<Record<string, any>> = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      /* not JSON */
    }
  }
  return out;
}
