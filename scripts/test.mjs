#!/usr/bin/env node
// `npm test`: provisions the test services when missing, runs every vitest project, and ends with
// a plain "N passed, N failed" line. Extra arguments go to vitest (e.g. `npm test -- --project edge`).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { ROOT, nodeBinary } from "./lib/proc.mjs";
import { ensurePackages } from "./lib/provision.mjs";

ensurePackages();

const artifacts = path.join(ROOT, ".artifacts");
mkdirSync(artifacts, { recursive: true });
const report = path.join(artifacts, "vitest-report.json");
rmSync(report, { force: true });

const child = spawn(nodeBinary(), [path.join(ROOT, "node_modules/vitest/vitest.mjs"), "run", ...process.argv.slice(2)], {
  cwd: ROOT,
  stdio: "inherit",
  env: { ...process.env, VITEST_JSON: report },
});
child.on("exit", (code, signal) => {
  let passed = 0;
  let failed = 0;
  if (existsSync(report)) {
    const r = JSON.parse(readFileSync(report, "utf8"));
    passed = r.numPassedTests ?? 0;
    failed = (r.numFailedTests ?? 0) + (r.numFailedTestSuites && !r.numFailedTests ? r.numFailedTestSuites : 0);
  } else if (code !== 0) failed = 1;
  process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
  process.exit(code ?? (signal ? 1 : 0));
});
