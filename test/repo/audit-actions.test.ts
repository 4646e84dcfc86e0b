// docs/api.md names every action of the audit log, as the route table (edge/src/api/audit-actions.ts) defines them.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ACTIONS } from "../../edge/src/api/audit-actions.ts";

const doc = readFileSync(path.resolve(import.meta.dirname, "../../docs/api.md"), "utf8");

describe("the audit log's actions", () => {
  it("are each named in docs/api.md, and it names no other", () => {
    const section = doc.slice(doc.indexOf("## Audit log"), doc.indexOf("\n## ", doc.indexOf("## Audit log") + 1));
    const named = [...section.matchAll(/`([a-z]+\.[a-z_]+)`/g)].map((m) => m[1]!);
    expect(ACTIONS.filter((a) => !named.includes(a))).toEqual([]);
    expect(named.filter((a) => !ACTIONS.includes(a))).toEqual([]);
  });
});
