// Installs the Debian packages the tests need when they are missing (CI and fresh machines run as root).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";

/** Each test service: the command that shows it is installed, and the Debian package that brings it. */
export const TEST_PACKAGES = [
  { command: "influxd", pkg: "influxdb" },
  { command: "chromium", pkg: "chromium" },
  { command: "fping", pkg: "fping" },
  { command: "ping", pkg: "iputils-ping" },
  { command: "ip", pkg: "iproute2" },
  { command: "iptables", pkg: "iptables" },
  // The authoritative DNS server the dns check is tested against (test/services/dns-server.ts).
  { command: "nsd", pkg: "nsd" },
  // Validates docker-compose.yml (`docker-compose config`); there is no container engine to run it.
  { command: "docker-compose", pkg: "docker-compose" },
  // Build and run the Dockerfiles' images without an engine (test/images.test.ts): buildah, and debootstrap for the base image.
  { command: "buildah", pkg: "buildah" },
  { command: "debootstrap", pkg: "debootstrap" },
  // Prometheus's own linter for both /metrics (`promtool check metrics`, test/metrics-lint.test.ts).
  { command: "promtool", pkg: "prometheus" },
];

const has = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;

let updated = false;

/** Ensures every `{command, pkg}` is installed; returns what it installed. Throws with a clear message if it cannot. */
export function ensurePackages(list = TEST_PACKAGES, log = (m) => process.stdout.write(`[provision] ${m}\n`)) {
  const missing = list.filter((p) => !has(p.command));
  if (missing.length === 0) return [];
  const names = [...new Set(missing.map((p) => p.pkg))];
  if (process.getuid?.() !== 0)
    throw new Error(`missing ${missing.map((p) => p.command).join(", ")}: install the Debian packages ${names.join(" ")} (needs root)`);
  log(`installing ${names.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (!updated) {
    execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
    updated = true;
  }
  // Packages such as nsd start their system service on install; a test machine wants the binaries only (a service
  // would hold port 53 and could fail the install). Debian's policy-rc.d hook refuses every start, as container images
  // ship it; it is put in place for the install when the machine has none, and removed after.
  const policy = "/usr/sbin/policy-rc.d";
  const ownPolicy = !existsSync(policy);
  if (ownPolicy)
    writeFileSync(policy, "#!/bin/sh\n# written by the tests' provisioning for one apt-get install\nexit 101\n", { mode: 0o755 });
  try {
    execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...names], { stdio: "inherit", env });
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
  const still = missing.filter((p) => !has(p.command));
  if (still.length) throw new Error(`installed ${names.join(" ")} but ${still.map((p) => p.command).join(", ")} is still missing`);
  return names;
}
