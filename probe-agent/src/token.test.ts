// The agent's token source: a file re-read on a timer and on demand, updated the way the kubelet updates a mounted
// Secret (a `..data` link swapped, never the file itself); bad content keeps the token in use; the token is never logged.
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { secretVolume } from "../test/secret-volume.ts";
import { waitFor } from "../test/helpers.ts";
import { createLogger } from "./log.ts";
import { FileTokenSource, fingerprint, fixedToken, tokenSourceFor, type ReloadTrigger } from "./token.ts";
import { readTokenFile } from "./token-file.ts";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const logger = createLogger("debug", {
    write(s: string) {
      raw.push(s);
      lines.push(JSON.parse(s) as Record<string, unknown>);
    },
  });
  return { logger, lines, text: () => raw.join("") };
}

function setup(first: string, intervalMs: number) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "secret-"));
  const volume = secretVolume(dir, { token: `${first}\n` });
  const log = capture();
  const reloads: ReloadTrigger[] = [];
  let failures = 0;
  const source = new FileTokenSource({
    file: volume.file("token"),
    initial: first,
    intervalMs,
    logger: log.logger,
    onReload: (t) => reloads.push(t),
    onReloadFailure: () => failures++,
  });
  cleanups.push(() => {
    source.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { volume, source, log, reloads, failures: () => failures };
}

describe("FileTokenSource", () => {
  it("takes the new token after the kubelet swaps the Secret's ..data link, on its timer", async () => {
    const { volume, source, log, reloads } = setup("ium_old_token", 40);
    const changes: string[] = [];
    source.onChange(() => changes.push(source.current()));
    source.start();
    const inoBefore = statSync(volume.file("token")).ino;
    volume.update({ token: "ium_new_token\n" });
    await waitFor(() => source.current() === "ium_new_token", 2000, "the new token");
    expect(changes).toEqual(["ium_new_token"]);
    expect(reloads).toEqual(["poll"]);
    // The path read is the same link throughout; what it reaches changed underneath it.
    expect(statSync(volume.file("token")).ino).not.toBe(inoBefore);
    expect(log.lines.find((l) => l.msg === "agent token reloaded from AGENT_TOKEN_FILE")).toMatchObject({
      level: "info",
      trigger: "poll",
      file: volume.file("token"),
      fingerprint: fingerprint("ium_new_token"),
      previous: fingerprint("ium_old_token"),
    });
    expect(source.status()).toMatchObject({
      source: "AGENT_TOKEN_FILE",
      file: volume.file("token"),
      fingerprint: fingerprint("ium_new_token"),
    });
    // The same content again is no change.
    volume.update({ token: "ium_new_token" });
    await new Promise((r) => setTimeout(r, 150));
    expect(changes).toHaveLength(1);
    expect(log.text()).not.toContain("ium_new_token");
    expect(log.text()).not.toContain("ium_old_token");
  });

  it("reads at once when asked (the edge refused the token), without waiting for its timer", async () => {
    const { volume, source, reloads } = setup("ium_old_token", 3_600_000);
    source.start();
    expect(await source.reload("refused")).toBe(false);
    volume.update({ token: "ium_new_token" });
    expect(source.current()).toBe("ium_old_token");
    expect(await source.reload("refused")).toBe(true);
    expect(source.current()).toBe("ium_new_token");
    expect(reloads).toEqual(["refused"]);
  });

  it("keeps the token in use when the file turns empty, unreadable or wrong, warning once per problem", async () => {
    const { volume, source, log, failures } = setup("ium_good_token", 3_600_000);
    const before = source.status().loadedAt;
    volume.update({ token: "\n" });
    for (let i = 0; i < 3; i++) expect(await source.reload("poll")).toBe(false);
    volume.update({ token: "ium_a ium_b" });
    expect(await source.reload("poll")).toBe(false);
    volume.update({ other: "x" }); // the key is gone from the Secret: its link now points at nothing
    expect(await source.reload("poll")).toBe(false);
    expect(await source.reload("poll")).toBe(false);
    expect(source.current()).toBe("ium_good_token");
    expect(source.status()).toMatchObject({
      fingerprint: fingerprint("ium_good_token"),
      loadedAt: before,
      lastError: `cannot read ${volume.file("token")}: no such file (ENOENT)`,
    });
    expect(failures()).toBe(6);
    const warnings = log.lines.filter((l) => l.level === "warn");
    expect(warnings.map((w) => w.problem)).toEqual([
      `${volume.file("token")} is empty`,
      `${volume.file("token")} holds more than one word; the token must not contain whitespace`,
      `cannot read ${volume.file("token")}: no such file (ENOENT)`,
    ]);
    expect(warnings[0]).toMatchObject({
      msg: "cannot reload the agent token (AGENT_TOKEN_FILE); keeping the one in use",
      fingerprint: fingerprint("ium_good_token"),
    });
    // Fixed, it is taken, and a later problem is reported again.
    volume.update({ token: "ium_next_token\n" });
    expect(await source.reload("poll")).toBe(true);
    expect(source.status().lastError).toBeNull();
    expect(log.lines.some((l) => l.msg === "the agent token file is readable again")).toBe(true);
    volume.update({ token: "" });
    await source.reload("poll");
    expect(log.lines.filter((l) => l.level === "warn")).toHaveLength(4);
    expect(log.text()).not.toMatch(/ium_good_token|ium_next_token|ium_a /);
  });

  it("shares one read between concurrent callers", async () => {
    let reads = 0;
    const dir = mkdtempSync(path.join(os.tmpdir(), "secret-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, "token");
    writeFileSync(file, "ium_b");
    const source = new FileTokenSource({
      file,
      initial: "ium_a",
      intervalMs: 3_600_000,
      logger: capture().logger,
      read: (f) => {
        reads++;
        return readTokenFile(f);
      },
    });
    const outcomes = await Promise.all([source.reload("poll"), source.reload("refused"), source.reload("refused")]);
    expect(outcomes).toEqual([true, true, true]);
    expect(reads).toBe(1);
    expect(await source.reload("poll")).toBe(false);
    expect(reads).toBe(2);
  });

  it("keeps its token when the reader itself throws", async () => {
    const { logger, lines } = capture();
    const source = new FileTokenSource({
      file: "/nowhere/token",
      initial: "ium_a",
      intervalMs: 3_600_000,
      logger,
      read: () => Promise.reject(new Error("disk on fire")),
    });
    expect(await source.reload("poll")).toBe(false);
    expect(source.current()).toBe("ium_a");
    expect(lines[0]).toMatchObject({ level: "warn", problem: "cannot read /nowhere/token: disk on fire" });
  });
});

describe("fixedToken and tokenSourceFor", () => {
  it("AGENT_TOKEN is the token for the life of the process", async () => {
    const source = tokenSourceFor({ token: "ium_env", tokenFile: null }, { logger: capture().logger });
    expect(source.current()).toBe("ium_env");
    expect(await source.reload("refused")).toBe(false);
    expect(source.status()).toMatchObject({ source: "AGENT_TOKEN", file: null, fingerprint: fingerprint("ium_env"), lastError: null });
    expect(fixedToken("x").status().fingerprint).toMatch(/^[0-9a-f]{12}$/);
  });

  it("AGENT_TOKEN_FILE gives a source that reads the file", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "secret-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, "token");
    writeFileSync(file, "ium_two\n");
    const source = tokenSourceFor({ token: "ium_one", tokenFile: file, tokenReloadMs: 1000 }, { logger: capture().logger });
    expect(source.current()).toBe("ium_one");
    expect(await source.reload("poll")).toBe(true);
    expect(source.current()).toBe("ium_two");
  });
});
