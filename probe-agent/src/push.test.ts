// Delivery against a stand-in edge on a real local socket: acknowledgements, Retry-After, backoff,
// refused batches that must not block the outbox, size caps, and the shutdown flush.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CheckResult } from "../../contract/index.ts";
import { silentLogger } from "./log.ts";
import { Outbox, type DropReport } from "./outbox.ts";
import { MAX_BATCH_BYTES, Pusher, backoffMs, namedResults, type PushOptions } from "./push.ts";
import { EdgeStub, waitFor } from "../test/helpers.ts";
import { secretVolume } from "../test/secret-volume.ts";
import { FileTokenSource, type ReloadTrigger } from "./token.ts";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

let seq = 0;
const result = (monitor = "m1", extra: Partial<CheckResult> = {}): CheckResult => ({
  id: `r${String(++seq).padStart(8, "0")}`,
  monitor,
  ts: Date.now(),
  ok: true,
  latency_ms: 2,
  location: "dc1",
  agent: "dc1-a",
  error: null,
  ...extra,
});

async function setup(pushOptions: Partial<PushOptions> = {}) {
  const edge = await new EdgeStub().start();
  const dir = mkdtempSync(path.join(os.tmpdir(), "push-"));
  const drops: DropReport[] = [];
  const failures: string[] = [];
  const outbox = new Outbox({ dir, maxResults: 100_000, maxAgeMs: 86_400_000, onDrop: (d) => drops.push(d) });
  const pusher = new Pusher({
    outbox,
    edgeUrl: edge.url,
    token: "test-agent-token",
    version: "9.9.9",
    logger: silentLogger(),
    lingerMs: 20,
    backoffBaseMs: 50,
    backoffMaxMs: 400,
    onFailure: (r) => failures.push(r),
    ...pushOptions,
  });
  cleanups.push(async () => {
    await pusher.stop();
    outbox.close();
    await edge.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const add = async (results: CheckResult[]) => {
    await Promise.all(results.map((r) => outbox.append(r)));
    return results;
  };
  return { edge, outbox, pusher, drops, failures, add };
}

describe("Pusher", () => {
  it("pushes oldest first with version and backlog, and removes only what the edge acknowledged", async () => {
    const { edge, outbox, pusher, add } = await setup({ batchSize: 2 });
    const rs = await add([result(), result(), result()]);
    expect(await pusher.pushOnce()).toEqual({ kind: "delivered", count: 2, accepted: 2, duplicates: 0 });
    const [first] = edge.pushesReceived();
    expect(first!.headers.authorization).toBe("Bearer test-agent-token");
    expect(first!.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(first!.body)).toEqual({ version: "9.9.9", backlog: 3, results: [rs[0], rs[1]] });
    expect(outbox.depth()).toBe(1);
    expect(await pusher.pushOnce()).toMatchObject({ kind: "delivered", count: 1 });
    expect(JSON.parse(edge.pushesReceived()[1]!.body).backlog).toBe(1);
    expect(await pusher.pushOnce()).toEqual({ kind: "empty" });
    expect(pusher.lastSuccessAt).not.toBeNull();
  });

  it("waits out 503 + Retry-After, then delivers each result exactly once", async () => {
    const { edge, outbox, pusher, failures, add } = await setup();
    edge.results = (_b, n) =>
      n === 1 ? { status: 503, headers: { "retry-after": "1" }, body: { error: { code: "unavailable", message: "down" } } } : null;
    const rs = await add([result(), result(), result()]);
    pusher.start();
    await waitFor(() => edge.stored.size === 3 && outbox.depth() === 0, 5000, "delivery");
    const [a, b] = edge.pushesReceived();
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(1000);
    expect(b!.at - a!.at).toBeLessThan(1600);
    expect([...edge.stored.keys()]).toEqual(rs.map((r) => r.id));
    expect(failures).toEqual(["http_503"]);
    expect(outbox.depth()).toBe(0);
    expect(pusher.consecutiveFailures()).toBe(0);
  });

  it("keeps its results through the edge's rate limit: waits out 429 + Retry-After, then delivers each once", async () => {
    const { edge, outbox, pusher, failures, drops, add } = await setup();
    // The edge's answer when the agent's limit is reached (edge/src/api/rate-limit.ts), with a shorter wait.
    const limited = {
      status: 429,
      headers: { "retry-after": "1" },
      body: { error: { code: "rate_limited", message: 'rate limit "agent" reached: too many requests for this agent', issues: [] } },
    };
    edge.results = (_b, n) => (n <= 2 ? limited : null);
    const rs = await add([result(), result(), result()]);
    pusher.start();
    await waitFor(() => edge.pushesReceived().length >= 1, 5000, "first push");
    expect(outbox.depth()).toBe(3);
    await waitFor(() => edge.stored.size === 3 && outbox.depth() === 0, 8000, "delivery");
    const at = edge.pushesReceived().map((r) => r.at);
    expect(at).toHaveLength(3);
    for (const gap of [at[1]! - at[0]!, at[2]! - at[1]!]) expect(gap).toBeGreaterThanOrEqual(1000);
    expect([...edge.stored.keys()]).toEqual(rs.map((r) => r.id));
    expect(failures).toEqual(["http_429", "http_429"]);
    expect(drops).toEqual([]);
  });

  it("retries network errors, timeouts, 408, 429, 5xx and 409 + Retry-After with growing, jittered backoff", async () => {
    const { edge, pusher, failures, add } = await setup({ requestTimeoutMs: 300 });
    const script = [
      "destroy",
      "hang",
      { status: 408 },
      { status: 429 },
      { status: 500 },
      { status: 409, headers: { "retry-after": "0" } },
    ] as const;
    edge.results = (_b, n) => (script[n - 1] as never) ?? null;
    await add([result()]);
    pusher.start();
    await waitFor(() => edge.stored.size === 1, 10_000, "delivery");
    expect(failures).toEqual(["network", "timeout", "http_408", "http_429", "http_500", "http_409"]);
    const at = edge.pushesReceived().map((r) => r.at);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    // Backoff is half the step plus jitter: 25-50, 50-100, 100-200, 200-400 ms (+ the 300 ms timeout on the hang).
    expect(gaps[0]).toBeGreaterThanOrEqual(20);
    expect(gaps[3]).toBeGreaterThanOrEqual(95);
    expect(gaps[4]).toBeGreaterThanOrEqual(195);
  });

  it("drops only the results a 400 names, counted as rejected, and delivers the rest", async () => {
    const { edge, outbox, pusher, drops, add } = await setup();
    edge.results = (b, n) =>
      n === 1
        ? {
            status: 400,
            body: {
              error: { code: "invalid_input", message: "batch is invalid", issues: [{ path: "results[1].latency_ms", message: "bad" }] },
            },
          }
        : null;
    const rs = await add([result(), result("m2"), result()]);
    expect(await pusher.pushOnce()).toMatchObject({ kind: "rejected", count: 1, status: 400 });
    expect(drops).toMatchObject([{ reason: "rejected", count: 1, monitors: ["m2"] }]);
    expect(drops[0]!.detail).toBe("HTTP 400: invalid_input: batch is invalid");
    expect(await pusher.pushOnce()).toMatchObject({ kind: "delivered", count: 2 });
    expect([...edge.stored.keys()]).toEqual([rs[0]!.id, rs[2]!.id]);
    expect(outbox.depth()).toBe(0);
  });

  it("a refused batch that names nothing is dropped whole and does not block the next", async () => {
    const { edge, pusher, drops, add } = await setup({ batchSize: 2 });
    edge.results = (_b, n) => (n === 1 ? { status: 400, body: { error: { code: "invalid_json", message: "body is not JSON" } } } : null);
    const rs = await add([result(), result(), result()]);
    pusher.start();
    await waitFor(() => edge.stored.size === 1, 3000, "the next batch");
    expect(drops).toMatchObject([{ reason: "rejected", count: 2 }]);
    expect([...edge.stored.keys()]).toEqual([rs[2]!.id]);
  });

  it("a 403 naming unassigned monitors drops their results only", async () => {
    const { edge, pusher, drops, add } = await setup();
    edge.results = (_b, n) =>
      n === 1
        ? {
            status: 403,
            body: {
              error: {
                code: "forbidden",
                message: 'monitors not assigned to agent "dc1-a": "moved"',
                issues: [{ path: "results", message: "moved" }],
              },
            },
          }
        : null;
    await add([result("kept"), result("moved"), result("kept"), result("moved")]);
    expect(await pusher.pushOnce()).toMatchObject({ kind: "rejected", count: 2 });
    expect(drops).toMatchObject([{ reason: "rejected", count: 2, monitors: ["moved"] }]);
    expect(await pusher.pushOnce()).toMatchObject({ kind: "delivered", count: 2 });
    expect([...edge.stored.values()].map((r) => r.monitor)).toEqual(["kept", "kept"]);
  });

  it("keeps results on 401, 404 and a 403 that names none of them (a configuration problem, not bad results)", async () => {
    const { edge, outbox, pusher, drops, failures, add } = await setup();
    const script = [
      { status: 401, body: { error: { code: "unauthorized", message: "bad token" } } },
      { status: 404, body: { error: { code: "not_found", message: "no such route" } } },
      { status: 403, body: { error: { code: "forbidden", message: "role agent required" } } },
    ];
    edge.results = (_b, n) => script[n - 1] ?? null;
    await add([result(), result()]);
    for (let i = 0; i < 3; i++) expect(await pusher.pushOnce()).toMatchObject({ kind: "retry" });
    expect(outbox.depth()).toBe(2);
    expect(drops).toEqual([]);
    expect(failures).toEqual(["http_401", "http_404", "http_403"]);
    expect(await pusher.pushOnce()).toMatchObject({ kind: "delivered", count: 2 });
  });

  describe("a rotated token (AGENT_TOKEN_FILE updated the way the kubelet updates a Secret)", () => {
    /** The agent's token in a Secret volume, re-read every `intervalMs`; the edge already accepts only the new token. */
    async function rotated(intervalMs: number, pushOptions: Partial<PushOptions> = {}) {
      const dir = mkdtempSync(path.join(os.tmpdir(), "push-secret-"));
      const volume = secretVolume(dir, { token: "ium_old_token\n" });
      const reloads: ReloadTrigger[] = [];
      const tokens = new FileTokenSource({
        file: volume.file("token"),
        initial: "ium_old_token",
        intervalMs,
        logger: silentLogger(),
        onReload: (t) => reloads.push(t),
      });
      const s = await setup({ token: tokens, ...pushOptions });
      s.edge.tokens = ["ium_new_token"];
      cleanups.push(() => {
        tokens.stop();
        rmSync(dir, { recursive: true, force: true });
      });
      const bearer = () => s.edge.pushesReceived().map((r) => r.headers.authorization);
      return { ...s, volume, tokens, reloads, bearer };
    }

    it("a 401 reads the file again at once, and the batch goes again with the new token without a backoff", async () => {
      const { edge, outbox, pusher, volume, reloads, failures, drops, add, bearer } = await rotated(3_600_000);
      const rs = await add([result(), result(), result()]);
      volume.update({ token: "ium_new_token\n" }); // the timer would not see it for an hour
      const refused = await pusher.pushOnce();
      expect(refused).toEqual({ kind: "retry", reason: "http_401", retryAfterMs: 0, status: 401 });
      expect(pusher.delayFor(refused as Extract<typeof refused, { kind: "retry" }>)).toBe(0);
      expect(reloads).toEqual(["refused"]);
      expect(outbox.depth()).toBe(3);
      expect(await pusher.pushOnce()).toMatchObject({ kind: "delivered", count: 3 });
      expect(bearer()).toEqual(["Bearer ium_old_token", "Bearer ium_new_token"]);
      expect([...edge.stored.keys()]).toEqual(rs.map((r) => r.id));
      expect(failures).toEqual(["http_401"]);
      expect(drops).toEqual([]);
    });

    it("while the old token is refused, results wait; the new token ends the backoff as soon as the timer reads it", async () => {
      // A backoff of a minute or more: only the token change can end the wait within the test's time.
      const { edge, outbox, pusher, volume, tokens, reloads, drops, add, bearer } = await rotated(50, {
        backoffBaseMs: 60_000,
        backoffMaxMs: 120_000,
      });
      tokens.start();
      const before = await add([result(), result()]);
      pusher.start();
      await waitFor(() => edge.pushesReceived().length >= 1, 5000, "the refused push");
      const during = await add([result()]);
      await new Promise((r) => setTimeout(r, 200));
      expect(edge.pushesReceived()).toHaveLength(1); // backing off, not hammering the edge
      expect(outbox.depth()).toBe(3);
      const swappedAt = Date.now();
      volume.update({ token: "ium_new_token\n" });
      await waitFor(() => outbox.depth() === 0, 5000, "the outbox delivered with the new token");
      expect(Date.now() - swappedAt).toBeLessThan(2000);
      expect(reloads).toEqual(["poll"]);
      const after = await add([result()]);
      pusher.notify();
      await waitFor(() => edge.stored.size === 4, 5000, "the result after the swap");
      expect([...edge.stored.keys()].sort()).toEqual([...before, ...during, ...after].map((r) => r.id).sort());
      expect(edge.duplicates).toBe(0);
      expect(drops).toEqual([]);
      expect(bearer()[0]).toBe("Bearer ium_old_token");
      expect(
        bearer()
          .slice(1)
          .every((b) => b === "Bearer ium_new_token"),
      ).toBe(true);
    });

    it("a token that is still refused after the file was read again backs off as before", async () => {
      const { pusher, reloads, add } = await rotated(3_600_000);
      await add([result()]);
      const a = await pusher.pushOnce();
      expect(a).toEqual({ kind: "retry", reason: "http_401", retryAfterMs: null, status: 401 });
      expect(reloads).toEqual([]); // read, unchanged
      expect(pusher.delayFor(a as Extract<typeof a, { kind: "retry" }>)).toBeGreaterThanOrEqual(25);
    });
  });

  it("halves the batch on 413 instead of dropping it", async () => {
    const { edge, pusher, drops, add } = await setup({ batchSize: 8 });
    edge.results = (b) => (b.results.length > 3 ? { status: 413, body: { error: { code: "too_large", message: "too large" } } } : null);
    await add(Array.from({ length: 8 }, () => result()));
    pusher.start();
    await waitFor(() => edge.stored.size === 8, 5000, "delivery");
    expect(edge.pushesReceived().map((r) => JSON.parse(r.body).results.length)).toEqual([8, 4, 2, 3, 3]);
    expect(drops).toEqual([]);
  });

  it("never sends more than 1,000 results or 1 MiB in one request", async () => {
    const { edge, pusher, add } = await setup({ batchSize: 5000 });
    await add(Array.from({ length: 2500 }, () => result()));
    await add(Array.from({ length: 900 }, () => result("big", { ok: false, error: { kind: "other", message: "y".repeat(1990) } })));
    pusher.start();
    await waitFor(() => edge.stored.size === 3400, 15_000, "delivery");
    const sizes = edge.pushesReceived().map((r) => ({ n: JSON.parse(r.body).results.length as number, bytes: Buffer.byteLength(r.body) }));
    expect(Math.max(...sizes.map((s) => s.n))).toBe(1000);
    expect(Math.max(...sizes.map((s) => s.bytes))).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    expect(sizes.some((s) => s.bytes > 0.9 * MAX_BATCH_BYTES)).toBe(true);
  });

  it("flush ignores a pending backoff and delivers, within its time bound", async () => {
    const { edge, outbox, pusher, add } = await setup();
    edge.results = (_b, n) => (n === 1 ? { status: 503, headers: { "retry-after": "3600" } } : null);
    await add([result(), result()]);
    pusher.start();
    await waitFor(() => edge.pushesReceived().length === 1, 3000, "the first push");
    await pusher.stop();
    const t0 = performance.now();
    expect(await pusher.flush(2000)).toEqual({ remaining: 0, attempts: 2 });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(edge.stored.size).toBe(2);
    expect(outbox.depth()).toBe(0);
  });

  it("flush gives up at its deadline when the edge does not answer", async () => {
    const { edge, pusher, add } = await setup();
    edge.results = () => "hang";
    await add([result()]);
    const t0 = performance.now();
    expect(await pusher.flush(400)).toMatchObject({ remaining: 1 });
    expect(performance.now() - t0).toBeLessThan(1500);
  });
});

describe("helpers", () => {
  it("backoff doubles up to its cap, with jitter in the upper half", () => {
    expect(backoffMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffMs(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(backoffMs(4, 1000, 60_000, () => 0.5)).toBe(6000);
    expect(backoffMs(40, 1000, 60_000, () => 1)).toBe(60_000);
  });

  it("namedResults finds results by issue path or by a monitor id given whole", () => {
    const batch = ["a", "db", "a"].map((monitor, i) => ({ seq: i, id: `r${i}`, monitor, ts: 0, json: "{}", bytes: 2 }));
    expect([...namedResults({ error: { issues: [{ path: "results[2].ts" }] } }, batch)]).toEqual([2]);
    expect([...namedResults({ error: { monitors: ["db"] } }, batch)]).toEqual([1]);
    expect([...namedResults({ error: { message: 'monitor "a" is not assigned' } }, batch)].sort()).toEqual([0, 2]);
    // An id that merely occurs inside a word is not a mention.
    expect([...namedResults({ error: { message: "database is unavailable" } }, batch)]).toEqual([]);
  });
});
