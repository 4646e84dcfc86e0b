// The outbox: order, bounds, byte caps, exclusivity, and durability across a real SIGKILL.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import type { CheckResult } from "../../contract/index.ts";
import { Outbox, type DropReport } from "./outbox.ts";

const NODE = path.resolve(import.meta.dirname, "../../node_modules/.bin/node");
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), "outbox-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const result = (i: number, extra: Partial<CheckResult> = {}): CheckResult => ({
  id: `r${String(i).padStart(6, "0")}`,
  monitor: `m${i % 3}`,
  ts: 1_764_216_000_000 + i,
  ok: true,
  latency_ms: 1.5,
  location: "dc1",
  agent: "dc1-a",
  error: null,
  ...extra,
});

describe("Outbox", () => {
  it("gives results back oldest first, and removes only what it is told", async () => {
    const o = new Outbox({ dir: tempDir(), maxResults: 100, maxAgeMs: 1e12 });
    await Promise.all([1, 2, 3, 4, 5].map((i) => o.append(result(i))));
    expect(o.depth()).toBe(5);
    const first = o.peek(2, 1e6);
    expect(first.map((e) => e.id)).toEqual(["r000001", "r000002"]);
    expect(JSON.parse(first[0]!.json)).toEqual(result(1));
    o.remove(first);
    expect(o.depth()).toBe(3);
    expect(o.peek(10, 1e6).map((e) => e.id)).toEqual(["r000003", "r000004", "r000005"]);
    expect(o.oldestTs()).toBe(result(3).ts);
    o.close();
  });

  it("caps a batch by bytes, but always yields at least one result", async () => {
    const o = new Outbox({ dir: tempDir(), maxResults: 100, maxAgeMs: 1e12 });
    for (let i = 0; i < 10; i++) await o.append(result(i, { ok: false, error: { kind: "other", message: "x".repeat(1000) } }));
    const one = o.peek(10, 10);
    expect(one).toHaveLength(1);
    const some = o.peek(10, 3500);
    expect(some.length).toBe(3);
    expect(some.reduce((n, e) => n + e.bytes + 1, 0)).toBeLessThanOrEqual(3500);
    o.close();
  });

  it("is bounded by count: the oldest go, counted and reported", async () => {
    const drops: DropReport[] = [];
    const o = new Outbox({ dir: tempDir(), maxResults: 5, maxAgeMs: 1e12, onDrop: (d) => drops.push(d) });
    for (let i = 1; i <= 8; i++) await o.append(result(i));
    expect(o.depth()).toBe(5);
    expect(o.peek(10, 1e6).map((e) => e.id)).toEqual(["r000004", "r000005", "r000006", "r000007", "r000008"]);
    expect(drops.reduce((n, d) => n + d.count, 0)).toBe(3);
    expect(drops.every((d) => d.reason === "full")).toBe(true);
    o.close();
  });

  it("is bounded by age: expired results go, counted and reported", async () => {
    let now = 1_764_216_000_000;
    const drops: DropReport[] = [];
    const o = new Outbox({ dir: tempDir(), maxResults: 100, maxAgeMs: 60_000, now: () => now, onDrop: (d) => drops.push(d) });
    await o.append(result(1, { ts: now - 120_000, monitor: "old" }));
    await o.append(result(2, { ts: now - 30_000 }));
    await o.append(result(3, { ts: now }));
    expect(o.peek(10, 1e6).map((e) => e.id)).toEqual(["r000002", "r000003"]);
    expect(drops).toEqual([
      { reason: "expired", count: 1, monitors: ["old"], oldestTs: now - 120_000, newestTs: now - 120_000, detail: "older than 60 s" },
    ]);
    now += 45_000;
    expect(o.expire()).toBe(1);
    expect(o.depth()).toBe(1);
    o.close();
  });

  it("reports refused results as rejected", async () => {
    const drops: DropReport[] = [];
    const o = new Outbox({ dir: tempDir(), maxResults: 100, maxAgeMs: 1e12, onDrop: (d) => drops.push(d) });
    await o.append(result(1));
    await o.append(result(2));
    o.reject(o.peek(1, 1e6), "HTTP 400: invalid_input");
    expect(o.depth()).toBe(1);
    expect(drops).toMatchObject([{ reason: "rejected", count: 1, monitors: ["m1"], detail: "HTTP 400: invalid_input" }]);
    o.close();
  });

  it("survives a reopen, and refuses a second agent on the same directory", async () => {
    const dir = tempDir();
    const a = new Outbox({ dir, maxResults: 100, maxAgeMs: 1e12 });
    await a.append(result(1));
    expect(() => new Outbox({ dir, maxResults: 100, maxAgeMs: 1e12 })).toThrow(/in use by another process/);
    a.close();
    const b = new Outbox({ dir, maxResults: 100, maxAgeMs: 1e12 });
    expect(b.depth()).toBe(1);
    expect(b.peek(10, 1e6)[0]!.id).toBe("r000001");
    b.close();
  });

  it("keeps every acknowledged result when its writer is killed with SIGKILL mid-stream", async () => {
    const dir = tempDir();
    const outboxUrl = new URL("./outbox.ts", import.meta.url).href;
    // The child appends as fast as it can and prints each id once append() resolved (= the check counts as done).
    const child = `
      const { Outbox } = await import(${JSON.stringify(outboxUrl)});
      const o = new Outbox({ dir: process.argv[1], maxResults: 1e9, maxAgeMs: 1e15 });
      const round = process.argv[2];
      for (let i = 0; ; i++) {
        const id = "k" + round + "-" + i;
        const ps = [0, 1, 2, 3].map((j) => o.append({ id: id + "-" + j, monitor: "m", ts: Date.now(), ok: false, latency_ms: null,
          location: "dc1", agent: "a", error: { kind: "other", message: "padding ".repeat(40 + (i % 50)) } }).then(() => process.stdout.write(id + "-" + j + "\\n")));
        await Promise.all(ps);
      }`;
    const acked = new Set<string>();
    for (let round = 0; round < 3; round++) {
      const proc = spawn(NODE, ["--input-type=module", "-e", child, dir, String(round)], { stdio: ["ignore", "pipe", "pipe"] });
      let buf = "";
      let stderr = "";
      proc.stderr.on("data", (d) => (stderr += d));
      const target = 400 + round * 137;
      let killed = false;
      await new Promise<void>((resolve, reject) => {
        proc.stdout.on("data", (d: Buffer) => {
          buf += d.toString();
          const lines = buf.split("\n");
          buf = lines.pop()!;
          for (const l of lines) acked.add(l);
          if (!killed && acked.size >= target * (round + 1)) {
            killed = true;
            proc.kill("SIGKILL");
          }
        });
        proc.on("exit", (code, signal) => (signal === "SIGKILL" ? resolve() : reject(new Error(`writer exited ${code}: ${stderr}`))));
      });
      // Reopen as the restarted agent would: readable, intact, every acknowledged result present.
      const check = new DatabaseSync(path.join(dir, "outbox.sqlite"));
      expect(check.prepare("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
      check.close();
      const o = new Outbox({ dir, maxResults: 1e9, maxAgeMs: 1e15 });
      const stored = new Set(o.peek(1e9, 1e12).map((e) => e.id));
      const missing = [...acked].filter((id) => !stored.has(id));
      expect(missing).toEqual([]);
      expect(o.depth()).toBe(stored.size);
      o.close();
    }
    expect(acked.size).toBeGreaterThan(1000);
  });
});
