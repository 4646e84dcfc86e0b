// Agent endpoints: assignments split among a location's live replicas (ETag'd), and result ingest
// that is validated, limited to assigned monitors, idempotent, and durable before it answers 202.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { agentResult, api, rolledUpChecks, storedPoints, tokenFor } from "./helpers.ts";

const uid = (p: string) => `${p}-${crypto.randomUUID().slice(0, 6)}`;

async function register(id: string, location: string) {
  const r = await api("POST", "/api/v1/agents", { body: { id, location } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.token as string;
}

const tcp = (id: string, locations: string[] = []) => ({ id, kind: "tcp", target: "127.0.0.1:5432", interval_s: 10, locations });

const result = agentResult;

describe("assignments", () => {
  const loc = uid("loc");
  const other = uid("other");
  let a1: string, a2: string, b1: string;
  const mine: string[] = [];
  let otherOnly: string;

  beforeAll(async () => {
    a1 = await register(uid("a1"), loc);
    a2 = await register(uid("a2"), loc);
    b1 = await register(uid("b1"), other);
    for (let i = 0; i < 20; i++) {
      const id = uid(`as${i}`);
      expect((await api("POST", "/api/v1/monitors", { body: tcp(id, i % 2 ? [loc] : [loc, other]) })).status).toBe(201);
      mine.push(id);
    }
    otherOnly = uid("oo");
    expect((await api("POST", "/api/v1/monitors", { body: tcp(otherOnly, [other]) })).status).toBe(201);
    // Both replicas announce themselves once so each counts as live.
    await api("GET", "/api/v1/agents/me/assignments", { token: a1 });
    await api("GET", "/api/v1/agents/me/assignments", { token: a2 });
  });

  it("splits a location's monitors between its live replicas, each monitor to exactly one", async () => {
    const r1 = await api("GET", "/api/v1/agents/me/assignments", { token: a1 });
    const r2 = await api("GET", "/api/v1/agents/me/assignments", { token: a2 });
    expect(r1.status).toBe(200);
    expect(r1.body.location).toBe(loc);
    expect(r1.body.replicas).toHaveLength(2);
    const ids1 = r1.body.monitors.map((m: any) => m.id);
    const ids2 = r2.body.monitors.map((m: any) => m.id);
    const mineHere = (ids: string[]) => ids.filter((id) => mine.includes(id) || id === otherOnly);
    expect(mineHere(ids1).length).toBeGreaterThan(0);
    expect(mineHere(ids2).length).toBeGreaterThan(0);
    expect([...mineHere(ids1), ...mineHere(ids2)].sort()).toEqual([...mine].sort());
    expect(ids1).not.toContain(otherOnly);
    expect(r1.body.monitors[0]).toHaveProperty("tcp");
  });

  it("answers 304 to an unchanged If-None-Match and a new ETag after a change", async () => {
    const first = await api("GET", "/api/v1/agents/me/assignments", { token: b1 });
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const again = await api("GET", "/api/v1/agents/me/assignments", { token: b1, headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    await api("PATCH", `/api/v1/monitors/${otherOnly}`, { body: { interval_s: 20 } });
    const changed = await api("GET", "/api/v1/agents/me/assignments", { token: b1, headers: { "if-none-match": etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(etag);
    expect(changed.body.monitors.find((m: any) => m.id === otherOnly).interval_s).toBe(20);
  });

  it("gives a silent replica's monitors to the live one", async () => {
    const list = (await api("GET", "/api/v1/agents")).body.agents;
    const a2id = list.find((a: any) => a.location === loc && a.id.startsWith("a2"))!.id;
    await env.DB.prepare("UPDATE agents SET last_seen_at = ? WHERE id = ?")
      .bind(Date.now() - 120_000, a2id)
      .run();
    const r1 = await api("GET", "/api/v1/agents/me/assignments", { token: a1 });
    expect(r1.body.replicas).toHaveLength(1);
    expect(
      r1.body.monitors
        .map((m: any) => m.id)
        .filter((id: string) => mine.includes(id))
        .sort(),
    ).toEqual([...mine].sort());
  });

  it("is for agent tokens only", async () => {
    expect((await api("GET", "/api/v1/agents/me/assignments")).status).toBe(403);
    expect((await api("GET", "/api/v1/agents/me/assignments", { token: await tokenFor("viewer") })).status).toBe(403);
    expect((await api("GET", "/api/v1/agents/me/assignments", { token: null })).status).toBe(401);
  });
});

describe("POST /api/v1/results", () => {
  const loc = uid("ingest");
  let token: string;
  let agentId: string;
  let mon: string;
  let httpMon: string;

  beforeAll(async () => {
    agentId = uid("ag");
    token = await register(agentId, loc);
    mon = uid("tcp");
    httpMon = uid("web");
    expect((await api("POST", "/api/v1/monitors", { body: tcp(mon, [loc]) })).status).toBe(201);
    expect(
      (
        await api("POST", "/api/v1/monitors", {
          body: { id: httpMon, kind: "http", runner: "agent", target: "http://10.0.0.5/", interval_s: 30, locations: [loc] },
        })
      ).status,
    ).toBe(201);
  });

  it("accepts a batch, stores it, updates state and the agent's report", async () => {
    const batch = [result(mon, loc, { ts: Date.now() - 2000 }), result(mon, loc, { ts: Date.now() - 1000 })];
    const r = await api("POST", "/api/v1/results", { token, body: { version: "1.2.3", backlog: 7, results: batch } });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(r.body).toEqual({ accepted: 2, duplicates: 0, stale: 0 });
    const checks = await api("GET", `/api/v1/monitors/${mon}/checks`);
    expect(checks.body.checks.map((x: any) => x.id)).toEqual([batch[1]!.id, batch[0]!.id]);
    expect(checks.body.checks[0]).toMatchObject({ agent: agentId, location: loc, tcp: { port: 5432 } });
    const m = await api("GET", `/api/v1/monitors/${mon}`);
    expect(m.body.state).toMatchObject({ status: "up", consecutive_successes: 2 });
    const a = (await api("GET", "/api/v1/agents")).body.agents.find((x: any) => x.id === agentId);
    expect(a).toMatchObject({ version: "1.2.3", backlog: 7 });
    expect(a.last_seen_at).not.toBeNull();
  });

  it("recognises a retried batch: counted as duplicates, stored once", async () => {
    const batch = [result(mon, loc), result(mon, loc)];
    expect((await api("POST", "/api/v1/results", { token, body: { results: batch } })).body).toEqual({
      accepted: 2,
      duplicates: 0,
      stale: 0,
    });
    expect((await api("POST", "/api/v1/results", { token, body: { results: batch } })).body).toEqual({
      accepted: 0,
      duplicates: 2,
      stale: 0,
    });
    const mixed = [batch[0]!, result(mon, loc), result(mon, loc)];
    expect((await api("POST", "/api/v1/results", { token, body: { results: [...mixed, mixed[1]] } })).body).toEqual({
      accepted: 2,
      duplicates: 2,
      stale: 0,
    });
    const ids = (await storedPoints(env.DB)).map((p) => p.key.slice(p.key.indexOf("/") + 1));
    expect(ids.filter((id) => id === batch[0]!.id || id === batch[1]!.id)).toHaveLength(2);
    expect(await rolledUpChecks(env.DB, mon)).toBe((await storedPoints(env.DB, mon)).length);
  });

  it("refuses results for monitors not assigned to the agent, naming them (403), and stores none", async () => {
    const stranger = uid("stranger");
    await api("POST", "/api/v1/monitors", { body: tcp(stranger, ["elsewhere"]) });
    const edgeMon = uid("edge");
    await api("POST", "/api/v1/monitors", { body: { id: edgeMon, kind: "http", target: "https://x.test/" } });
    const good = result(mon, loc);
    const r = await api("POST", "/api/v1/results", {
      token,
      body: { results: [good, result(stranger, loc), result("no-such-monitor", loc), result(edgeMon, loc, { tcp: undefined })] },
    });
    expect(r.status).toBe(403);
    expect(r.body.error.message).toContain(stranger);
    expect(r.body.error.message).toContain("no-such-monitor");
    expect(r.body.error.message).toContain(edgeMon);
    expect(r.body.error.issues.map((i: any) => i.path)).toEqual(["results[1].monitor", "results[2].monitor", "results[3].monitor"]);
    expect((await storedPoints(env.DB)).filter((p) => p.key.endsWith(`/${good.id}`))).toHaveLength(0);
  });

  it("validates with the shared contract and names every problem", async () => {
    const r = await api("POST", "/api/v1/results", {
      token,
      body: { results: [result(mon, loc, { ok: false }), result(mon, loc, { latency_ms: "fast" }), { nope: 1 }] },
    });
    expect(r.status).toBe(400);
    const paths = r.body.error.issues.map((i: any) => i.path);
    expect(paths).toContain("results[0].error");
    expect(paths).toContain("results[1].latency_ms");
    expect(paths).toContain("results[2].nope");
    const wrongPlace = await api("POST", "/api/v1/results", {
      token,
      body: { results: [result(mon, "somewhere-else"), result(httpMon, loc)] },
    });
    expect(wrongPlace.status).toBe(400);
    expect(wrongPlace.body.error.issues).toEqual([
      { path: "results[0].location", message: `must be this agent's location "${loc}"` },
      { path: "results[1].tcp", message: `monitor "${httpMon}" is a http monitor` },
    ]);
    const otherAgent = await api("POST", "/api/v1/results", { token, body: { results: [result(mon, loc, { agent: "someone-else" })] } });
    expect(otherAgent.status).toBe(403);
  });

  it("answers 413 to more than 1,000 results or more than 1 MiB", async () => {
    const many = Array.from({ length: 1001 }, () => result(mon, loc));
    const r = await api("POST", "/api/v1/results", { token, body: { results: many } });
    expect(r.status).toBe(413);
    expect(r.body.error.message).toMatch(/at most 1000/);
    const huge = await api("POST", "/api/v1/results", { token, raw: JSON.stringify({ results: [], pad: "x".repeat(1024 * 1024) }) });
    expect(huge.status).toBe(413);
  });

  it("is for agents only", async () => {
    expect((await api("POST", "/api/v1/results", { body: { results: [] } })).status).toBe(403);
    expect((await api("POST", "/api/v1/results", { token: null, body: { results: [] } })).status).toBe(401);
  });
});
