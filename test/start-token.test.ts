// What npm start prints of the admin token: a token it generated (the only way to learn it), never one
// from the environment or .dev.vars, which would otherwise land in container and CI logs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
// @ts-expect-error plain ESM helper without types
import { adminToken, adminTokenLines } from "../scripts/lib/admin-token.mjs";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), "ium-token-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("npm start's admin token", () => {
  it("never prints a token given through the environment or .dev.vars", () => {
    const secret = "env-admin-token-0123456789abcdef";
    const fromEnv = adminToken(tmp(), { ADMIN_TOKEN: secret });
    expect(fromEnv.source).toBe("environment");
    expect(adminTokenLines(fromEnv, "http://127.0.0.1:8787").join("\n")).not.toContain(secret);

    const dir = tmp();
    writeFileSync(path.join(dir, ".dev.vars"), `ADMIN_TOKEN="${secret}"\n`);
    const fromFile = adminToken(dir, {});
    expect(fromFile).toMatchObject({ token: secret, source: ".dev.vars" });
    const lines = adminTokenLines(fromFile, "http://127.0.0.1:8787");
    expect(lines.join("\n")).not.toContain(secret);
    expect(lines[0]).toBe("admin token: from .dev.vars (not printed)");
  });

  it("prints a token it generated, once written to .dev.vars", () => {
    const dir = tmp();
    const made = adminToken(dir, {});
    expect(made.source).toBe("generated");
    expect(readFileSync(path.join(dir, ".dev.vars"), "utf8")).toBe(`ADMIN_TOKEN="${made.token}"\n`);
    expect(adminTokenLines(made, "http://127.0.0.1:8787")[0]).toBe(`admin token: ${made.token}`);
  });
});
