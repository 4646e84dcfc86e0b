// No import cycles in the sources: dependency-cruiser's `no-circular` rule (.dependency-cruiser.cjs) over contract/, edge/src,
// probe-agent/src and ui/src, type-only imports included. `npm run cycles` prints the same findings.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const CLI = path.join(ROOT, "node_modules/dependency-cruiser/bin/dependency-cruiser.mjs");
const CONFIG = ".dependency-cruiser.cjs";
const SOURCES = ["contract", "edge/src", "probe-agent/src", "ui/src"];

type Step = { name: string; dependencyTypes: string[] };
type Violation = { from: string; to: string; rule: { name: string; severity: string }; cycle?: Step[] };

/** Runs the CLI with the project's config in `cwd` and returns its violations. */
function cruise(cwd: string, sources: string[]): Violation[] {
  const run = spawnSync(process.execPath, [CLI, "--config", CONFIG, "--output-type", "json", ...sources], {
    cwd,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  if (run.status !== 0 || !run.stdout) throw new Error(`dependency-cruiser exited with ${run.status}:\n${run.stderr}`);
  return (JSON.parse(run.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

/** `a.ts → b.ts (type-only) → a.ts`: one line per cycle, the type-only steps marked. */
function describeCycle(v: Violation): string {
  const steps = (v.cycle ?? []).map((s) => `${s.name}${s.dependencyTypes.includes("type-only") ? " (type-only)" : ""}`);
  return [v.from, ...steps].join(" → ");
}

const cycles = (violations: Violation[]) => violations.filter((v) => v.rule.name === "no-circular").map(describeCycle);

describe("import cycles", () => {
  it("contract/, edge/src, probe-agent/src and ui/src import each other without cycles", () => {
    const violations = cruise(ROOT, SOURCES);
    const found = cycles(violations);
    expect(found, `${found.length} import cycle(s):\n${found.map((c) => `  ${c}`).join("\n")}\n`).toEqual([]);
    expect(violations, "the config has one rule, no-circular").toEqual([]);
  });

  describe("the check itself", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "cycles-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("sees a cycle made of type-only imports (`import type`, `import { type … }`, `export type … from`)", () => {
      for (const f of [CONFIG, "tsconfig.base.json"]) copyFileSync(path.join(ROOT, f), path.join(dir, f));
      const src = path.join(dir, "ui/src");
      mkdirSync(src, { recursive: true });
      const files: Record<string, string> = {
        "a.ts": 'import type { B } from "./b.ts";\nexport type A = { b?: B };\n',
        "b.ts": 'import type { A } from "./a.ts";\nexport type B = { a?: A };\n',
        "c.ts": 'import { type D } from "./d.ts";\nexport type C = { d?: D };\n',
        "d.ts": 'export type { C } from "./c.ts";\nexport type D = { n: number };\n',
        "e.ts": 'import type { A } from "./a.ts";\nexport const e = (a: A) => a;\n',
      };
      for (const [name, text] of Object.entries(files)) writeFileSync(path.join(src, name), text);
      const found = cycles(cruise(dir, ["ui/src"])).sort();
      expect(found).toEqual([
        "ui/src/a.ts → ui/src/b.ts (type-only) → ui/src/a.ts (type-only)",
        "ui/src/c.ts → ui/src/d.ts (type-only) → ui/src/c.ts (type-only)",
      ]);
    });
  });
});
