// Assignments against a stand-in edge: ETag / 304, keeping the last good answer on errors,
// per-monitor validation with the shared contract, and the on-disk cache.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fileCache } from "./agent.ts";
import { AssignmentsClient, parseAssignments, type Assignments } from "./assignments.ts";
import { silentLogger } from "./log.ts";
import { EdgeStub, waitFor } from "../test/helpers.ts";
import { secretVolume } from "../test/secret-volume.ts";
import { FileTokenSource } from "./token.ts";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const tcp = (id: string, extra: Record<string, unknown> = {}) => ({ id, kind: "tcp", target: "127.0.0.1:5432", interval_s: 30, ...extra });

async function setup() {
  const edge = await new EdgeStub().start();
  const dir = mkdtempSync(path.join(os.tmpdir(), "assign-"));
  const changes: Assignments[] = [];
  const make = (edgeUrl = edge.url) =>
    new AssignmentsClient({
      edgeUrl,
      token: "test-agent-token",
      version: "1.2.3",
      logger: silentLogger(),
      cache: fileCache(path.join(dir, "assignments.json")),
      onChange: (a) => changes.push(a),
    });
  const client = make();
  cleanups.push(async () => {
    client.stop();
    await edge.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { edge, client, changes, make };
}

describe("AssignmentsClient", () => {
  it("takes a 200 with its ETag, then keeps it on 304", async () => {
    const { edge, client, changes } = await setup();
    edge.assignments.monitors = [tcp("db"), tcp("cache")];
    expect(await client.refresh()).toBe("updated");
    expect(client.current()).toMatchObject({
      agent: "dc1-a",
      location: "dc1",
      monitors: [{ id: "db", runner: "agent", tcp: { send: null } }, { id: "cache" }],
    });
    expect(changes).toHaveLength(1);
    expect(await client.refresh()).toBe("unchanged");
    const [first, second] = edge.requests;
    expect(first!.headers.authorization).toBe("Bearer test-agent-token");
    expect(first!.headers["if-none-match"]).toBeUndefined();
    expect(second!.headers["if-none-match"]).toMatch(/^"[0-9a-f]{16}"$/);
    expect(changes).toHaveLength(1);
    expect(client.current()!.monitors).toHaveLength(2);
    edge.assignments.monitors = [tcp("db")];
    expect(await client.refresh()).toBe("updated");
    expect(changes.map((a) => a.monitors.map((m) => m.id))).toEqual([["db", "cache"], ["db"]]);
  });

  it("keeps the last good assignments when the edge fails or answers nonsense", async () => {
    const { edge, client, changes } = await setup();
    edge.assignments.monitors = [tcp("db")];
    await client.refresh();
    edge.assignmentReplies = [
      { status: 500, body: { error: { code: "internal", message: "x" } } },
      { status: 200, body: "<html>" },
      { status: 200, body: { agent: "dc1-a", monitors: "no" } },
    ];
    for (let i = 0; i < 3; i++) expect(await client.refresh()).toBe("failed");
    expect(client.lastError).toMatch(/invalid assignments answer: location: .*; monitors: /);
    expect(client.current()!.monitors.map((m) => m.id)).toEqual(["db"]);
    expect(changes).toHaveLength(1);
    await edge.close(); // now nothing answers at all
    expect(await client.refresh()).toBe("failed");
    expect(client.lastError).toBe("could not reach the edge");
    expect(client.current()!.monitors.map((m) => m.id)).toEqual(["db"]);
  });

  it("a refused token is read again at once and a rotated one tried in the same refresh; the assignments stay meanwhile", async () => {
    const { edge } = await setup();
    edge.assignments.monitors = [tcp("db")];
    const dir = mkdtempSync(path.join(os.tmpdir(), "assign-secret-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const volume = secretVolume(dir, { token: "test-agent-token\n" });
    const tokens = new FileTokenSource({
      file: volume.file("token"),
      initial: "test-agent-token",
      intervalMs: 3_600_000,
      logger: silentLogger(),
    });
    const rotating = new AssignmentsClient({ edgeUrl: edge.url, token: tokens, version: "1.2.3", logger: silentLogger() });
    expect(await rotating.refresh()).toBe("updated");
    // The edge rotates first; the Secret has not been updated yet: refused, read again, same token, failed.
    edge.tokens = ["ium_rotated"];
    edge.assignments.monitors = [tcp("db"), tcp("cache")];
    expect(await rotating.refresh()).toBe("failed");
    expect(rotating.lastError).toBe("the edge answered HTTP 401");
    expect(rotating.current()!.monitors.map((m) => m.id)).toEqual(["db"]);
    // The Secret is updated; the next refresh is refused with the old token, reads the new one and succeeds.
    volume.update({ token: "ium_rotated\n" });
    const before = edge.requests.length;
    expect(await rotating.refresh()).toBe("updated");
    expect(edge.requests.slice(before).map((r) => r.headers.authorization)).toEqual(["Bearer test-agent-token", "Bearer ium_rotated"]);
    expect(rotating.lastError).toBeNull();
    expect(rotating.current()!.monitors.map((m) => m.id)).toEqual(["db", "cache"]);
  });

  it("runs the valid monitors of an answer and leaves out the invalid and disabled ones", () => {
    const r = parseAssignments({
      agent: "dc1-a",
      location: "dc1",
      monitors: [tcp("ok"), tcp("bad", { target: "nohost" }), tcp("off", { enabled: false }), tcp("ok"), { id: "weird", kind: "smtp" }],
    });
    if ("error" in r) throw new Error(r.error);
    expect(r.assignments.monitors.map((m) => m.id)).toEqual(["ok"]);
    expect(r.invalid.map((i) => i.id)).toEqual(["bad", "weird"]);
    expect(r.invalid[0]!.issues).toEqual([{ path: "target", message: "tcp target must be host:port (IPv6 as [addr]:port)" }]);
  });

  it("ignores monitor fields it does not know (an edge newer than the agent), naming them", () => {
    const r = parseAssignments({
      agent: "dc1-a",
      location: "dc1",
      replicas: ["dc1-a", "dc1-b"],
      monitors: [tcp("db", { shiny_new_field: true, tcp: { send: null, expect: null, expect_regex: false, also_new: 1 } })],
    });
    if ("error" in r) throw new Error(r.error);
    expect(r.assignments.monitors.map((m) => m.id)).toEqual(["db"]);
    expect(r.unknownFields).toEqual(["shiny_new_field", "tcp.also_new"]);
    expect(r.invalid).toEqual([]);
  });

  it("a restarted agent runs the cached assignments until the edge answers, and revalidates with their ETag", async () => {
    const { edge, client, make } = await setup();
    edge.assignments.monitors = [tcp("db")];
    await client.refresh();
    await edge.close();
    // The edge comes back (on another port); the agent restarts meanwhile.
    const edge2 = await new EdgeStub().start();
    cleanups.push(() => edge2.close());
    edge2.assignments.monitors = [tcp("db")];
    const restarted = make(edge2.url);
    expect(restarted.restore()).toBe(true);
    expect(restarted.source).toBe("cache");
    expect(restarted.current()!.monitors.map((m) => m.id)).toEqual(["db"]);
    // The same answer: the cached ETag matches, so 304.
    expect(await restarted.refresh()).toBe("unchanged");
    expect(edge2.requests[0]!.headers["if-none-match"]).toBeDefined();
    expect(restarted.source).toBe("edge");
  });

  it("polls on its interval, and retries sooner until the first success", async () => {
    const { edge, client } = await setup();
    edge.assignmentReplies = [{ status: 503 }];
    edge.assignments.monitors = [tcp("db")];
    const t0 = Date.now();
    expect(await client.start(60_000)).toBe("failed");
    await waitFor(() => client.current(), 3000, "assignments after the retry");
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(2500);
  });
});
