// The rate limits are listed once (edge/src/config/rate-limits.ts); wrangler.toml binds each with the period the Worker
// answers as Retry-After, and the docs give wrangler.toml's values.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import { RATE_LIMIT_NAMES, RATE_LIMITS } from "../../edge/src/config/rate-limits.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const read = (p: string) => readFileSync(path.join(ROOT, p), "utf8");

type RateLimitBinding = { name: string; namespace_id: string; simple: { limit: number; period: number } };
const bindings = (unstable_readConfig({ config: path.join(ROOT, "wrangler.toml") }) as unknown as { ratelimits: RateLimitBinding[] })
  .ratelimits;

describe("wrangler.toml's [[ratelimits]]", () => {
  it("bind every limit once, with the period the Worker answers as Retry-After, each in its own namespace", () => {
    expect(bindings.map((b) => b.name).sort()).toEqual(RATE_LIMIT_NAMES.map((n) => RATE_LIMITS[n].binding).sort());
    for (const n of RATE_LIMIT_NAMES) {
      const b = bindings.find((x) => x.name === RATE_LIMITS[n].binding)!;
      expect(b.simple.period, n).toBe(RATE_LIMITS[n].period);
      expect([10, 60]).toContain(b.simple.period);
      expect(b.simple.limit, n).toBeGreaterThan(0);
    }
    expect(new Set(bindings.map((b) => b.namespace_id)).size).toBe(bindings.length);
  });

  it("are the values docs/security.md and docs/configuration.md give", () => {
    for (const doc of ["docs/security.md", "docs/configuration.md"]) {
      const text = read(doc);
      for (const b of bindings) {
        const row = text.split("\n").find((l) => l.startsWith("|") && l.includes(`\`${b.name}\``));
        expect(row, `${doc} has a row for ${b.name}`).toBeDefined();
        expect(row, `${doc}: ${b.name}`).toContain(`| ${b.simple.limit} / ${b.simple.period} s |`);
      }
    }
  });
});
