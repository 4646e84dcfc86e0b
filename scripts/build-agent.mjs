#!/usr/bin/env node
// Bundles the probe agent into probe-agent/dist: agent.mjs (the agent) and healthcheck.mjs (the
// container's HEALTHCHECK), each one file with its dependencies inside, so the container needs no
// node_modules and Node does not load the TypeScript stripper at start. What the container, `npm run
// agent`, `npm start`, the cross-process tests and the benchmarks run.
// Usage: node scripts/build-agent.mjs [outDir]
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const AGENT_DIST = path.join(ROOT, "probe-agent/dist");

/** Builds agent.mjs and healthcheck.mjs into `outDir`; returns their paths. */
export async function buildAgent({ outDir = AGENT_DIST } = {}) {
  const version = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).version;
  const result = await build({
    entryPoints: { agent: path.join(ROOT, "probe-agent/src/main.ts"), healthcheck: path.join(ROOT, "probe-agent/src/healthcheck.ts") },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node24",
    // Smaller source text is less memory (V8 keeps it); names are kept for readable stack traces.
    minify: true,
    keepNames: true,
    legalComments: "none",
    define: { __AGENT_VERSION__: JSON.stringify(version) },
    // Some dependencies are CommonJS and call require() for Node's own modules.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    outdir: outDir,
    outExtension: { ".js": ".mjs" },
    write: false,
    logLevel: "warning",
  });
  mkdirSync(outDir, { recursive: true });
  const files = [];
  for (const f of result.outputFiles) {
    // Written under a private name and renamed: a test or agent starting meanwhile never reads half a file.
    const tmp = `${f.path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(tmp, f.contents);
    renameSync(tmp, f.path);
    files.push(f.path);
  }
  return { agent: path.join(outDir, "agent.mjs"), healthcheck: path.join(outDir, "healthcheck.mjs"), files };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { files } = await buildAgent({ outDir: process.argv[2] ? path.resolve(process.argv[2]) : AGENT_DIST });
  for (const f of files) process.stdout.write(`${path.relative(process.cwd(), f)}\n`);
}
