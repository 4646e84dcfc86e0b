#!/usr/bin/env node
// Bundles the status UI (ui/src) into ui/dist, the directory wrangler serves as static assets.
// wrangler runs it as the [build] command (dev and deploy); vitest.config.ts runs it for the edge project.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const UI_SRC = path.join(ROOT, "ui/src");
export const UI_DIST = path.join(ROOT, "ui/dist");

// Several wrangler dev processes may build at once (tests run in parallel) while others serve the
// directory and reload when it changes: a file is written only when its content changed, to a
// private temporary name and renamed, so a reader never sees a half-written file.
function writeAtomic(file, data) {
  if (existsSync(file) && Buffer.from(data).equals(readFileSync(file))) return false;
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
  return true;
}

/** Builds ui/dist: index.html, assets/app.js, assets/app.css, assets/favicon.svg. Returns the files that changed. */
export async function buildUi({ outDir = UI_DIST } = {}) {
  const result = await build({
    entryPoints: { app: path.join(UI_SRC, "main.ts"), "app-css": path.join(UI_SRC, "style.css") },
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2022",
    legalComments: "none",
    write: false,
    outdir: path.join(outDir, "assets"),
    logLevel: "warning",
  });
  const written = [];
  for (const f of result.outputFiles) {
    const name = path.basename(f.path) === "app-css.css" ? path.join(outDir, "assets/app.css") : f.path;
    if (writeAtomic(name, f.contents)) written.push(name);
  }
  for (const [from, to] of [
    ["index.html", "index.html"],
    ["favicon.svg", "assets/favicon.svg"],
  ]) {
    const target = path.join(outDir, to);
    if (writeAtomic(target, readFileSync(path.join(UI_SRC, from)))) written.push(target);
  }
  return written;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = await buildUi();
  process.stdout.write(
    `[build-ui] ${files.length ? `wrote ${files.map((f) => path.relative(ROOT, f)).join(", ")}` : "ui/dist is up to date"}\n`,
  );
}
