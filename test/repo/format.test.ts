// The sources are formatted and lint-clean: `npm run check` (`biome ci . --error-on-warnings`, biome.json) in check mode,
// writing nothing. `npm run format` and `npm run lint` apply the formatting and the safe lint fixes.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const BIOME = path.join(ROOT, "node_modules/@biomejs/biome/bin/biome");

function biome(...args: string[]) {
  const run = spawnSync(process.execPath, [BIOME, ...args, "--colors=off"], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}

it("biome ci . finds no formatting or lint problem", () => {
  // The summary names every unformatted file and counts the lint findings per rule; the lint run shows where they are.
  const ci = biome("ci", ".", "--error-on-warnings", "--reporter=summary");
  if (ci.status === 0) return;
  const lint = biome("lint", ".", "--max-diagnostics=20");
  expect(
    ci.status,
    `biome ci . exited with ${ci.status} (npm run format and npm run lint fix most of it):\n${ci.output}\n\n${lint.output}\n`,
  ).toBe(0);
});
