// Installs the Debian packages the tests need when they are missing (CI and fresh machines run as root).
import { execFileSync, spawnSync } from "node:child_process";

/** Each test service: the command that shows it is installed, and the Debian package that brings it. */
export const TEST_PACKAGES = [
  { command: "influxd", pkg: "influxdb" },
  { command: "chromium", pkg: "chromium" },
  { command: "fping", pkg: "fping" },
  { command: "ping", pkg: "iputils-ping" },
  { command: "ip", pkg: "iproute2" },
  { command: "iptables", pkg: "iptables" },
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
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...names], { stdio: "inherit", env });
  const still = missing.filter((p) => !has(p.command));
  if (still.length) throw new Error(`installed ${names.join(" ")} but ${still.map((p) => p.command).join(", ")} is still missing`);
  return names;
}
