// State packs under real D1: concurrent writers lose nothing, hours close into rollup rows, late
// results merge into closed hours, and a tick writes a row per pack, not rows per check.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/config.ts";
import type { Env } from "../src/config/env.ts";
import { monitorsByIds } from "../src/db/monitors.ts";
import { PACK_SIZE, readPacks } from "../src/db/packs.ts";
import { recordResults } from "../src/ingest/record.ts";
import { pointWriter } from "../src/ingest/writer.ts";
import { createLogger } from "../src/observability/log.ts";
import type { StoredResult } from "../src/points/store.ts";
import { agentResult, api, rolledUpChecks, storedPoints } from "./helpers.ts";

const uid = (p: string) => `${p}-${crypto.randomUUID().slice(0, 6)}`;
const HOUR = 3_600_000;

function runtime() {
  const r = parseConfig(env as unknown as Env);
  if (!r.ok) throw new Error("bad test config");
  return { config: r.config, log: createLogger("error"), fetch, queue: r.config.queue };
}

async function register(id: string, location: string): Promise<string> {
  const r = await api("POST", "/api/v1/agents", { body: { id, location } });
  expect(r.status).toBe(201);
  return r.body.token;
}

describe("concurrent writers of one pack", () => {
  const locA = uid("la");
  const locB = uid("lb");
  const monitors: string[] = [];
  let tokens: string[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 8; i++) {
      const id = uid(`cc${i}`);
      monitors.push(id);
      const r = await api("POST", "/api/v1/monitors", {
        body: { id, kind: "tcp", target: "127.0.0.1:5432", interval_s: 10, locations: [locA, locB] },
      });
      expect(r.status).toBe(201);
    }
    tokens = [await register(uid("a"), locA), await register(uid("b"), locB)];
  });

  it("keeps every result of parallel pushes from two locations: counts, state and latest per location", async () => {
    const packs = new Set((await monitorsByIds(env.DB, monitors)).values().map((m) => m.pack));
    expect(packs.size).toBeLessThanOrEqual(2);
    // 16 pushes at once, each with one result per monitor, alternating agents: all write the same pack(s).
    const now = Date.now();
    const pushes = Array.from({ length: 16 }, (_, k) => {
      const loc = k % 2 ? locB : locA;
      const results = monitors.map((m, j) => agentResult(m, loc, { ts: now - 60_000 + k * 1000 + j }));
      return api("POST", "/api/v1/results", { token: tokens[k % 2]!, body: { results } });
    });
    const answers = await Promise.all(pushes);
    // Every push is stored or told to come back (503 with Retry-After): none is lost or half-written.
    for (const a of answers) expect([202, 503]).toContain(a.status);
    const accepted = answers.filter((a) => a.status === 202).length;
    expect(accepted).toBeGreaterThan(0);
    for (const m of monitors) {
      expect(await rolledUpChecks(env.DB, m)).toBe(accepted);
      expect((await storedPoints(env.DB, m)).length).toBe(accepted);
    }
    const member = [...(await readPacks(env.DB, [...packs])).values()]
      .flatMap((p) => [...p.members])
      .find(([id]) => id === monitors[0])![1];
    expect(Object.keys(member.latest).sort()).toEqual([locA, locB].sort());
    expect(member.state.last_check_at).not.toBeNull();
  });
});

describe("rollups in packs", () => {
  it("keeps the open hour in the pack, closes past hours into rows, and merges a late result into its closed hour", async () => {
    const id = uid("roll");
    expect((await api("POST", "/api/v1/monitors", { body: { id, kind: "http", target: "https://x.test/" } })).status).toBe(201);
    const rt = runtime();
    const ref = (await monitorsByIds(env.DB, [id])).get(id)!;
    const monitors = new Map([[id, { spec: ref.spec, pack: ref.pack }]]);
    const now = Date.now();
    const thisHour = Math.floor(now / HOUR) * HOUR;
    const mk = (ts: number, ok = true): StoredResult => ({
      id: uid("r"),
      monitor: id,
      ts,
      ok,
      latency_ms: ok ? 10 : null,
      location: "edge",
      agent: null,
      error: ok ? null : { kind: "timeout", message: "x" },
      kind: "http",
      target: "https://x.test/",
      http: { status: ok ? 200 : null, content_length: null },
    });
    const record = (results: StoredResult[]) =>
      recordResults(rt.config.db, pointWriter(rt), rt.log, results, monitors, { certWarningDays: 14 });
    await record([mk(thisHour - 3 * HOUR + 1000), mk(thisHour - 3 * HOUR + 2000, false), mk(Math.max(thisHour, now - 1000))]);
    const pack = (await readPacks(env.DB, [ref.pack])).get(ref.pack)!;
    // The current hour stays open in the pack; the old one closed at once (it ended long ago).
    expect(Object.keys(pack.hours).map(Number)).toContain(thisHour);
    expect(Object.keys(pack.hours).map(Number)).not.toContain(thisHour - 3 * HOUR);
    const row = async (size: string, start: number) =>
      (
        await env.DB.prepare("SELECT body FROM rollup_packs WHERE pack = ?1 AND size = ?2 AND start = ?3")
          .bind(ref.pack, size, start)
          .first<{ body: string }>()
      )?.body;
    expect(JSON.parse((await row("1h", thisHour - 3 * HOUR))!)[id]).toEqual({ edge: [2, 1, 10, 1] });
    // A result for that closed hour arriving late is merged into its row (and its day's).
    await record([mk(thisHour - 3 * HOUR + 3000)]);
    expect(JSON.parse((await row("1h", thisHour - 3 * HOUR))!)[id]).toEqual({ edge: [3, 2, 20, 2] });
    const day = Math.floor((thisHour - 3 * HOUR) / 86_400_000) * 86_400_000;
    expect(JSON.parse((await row("1d", day))!)[id].edge[0]).toBeGreaterThanOrEqual(3);
    // The status API adds the open hour: 4 checks in the last 24 hours.
    const status = (await api("GET", `/api/v1/status/${id}`)).body;
    expect(status.monitor.uptime["24h"]).toBe(3 / 4);
  });
});

describe("the status list's sums", () => {
  it("agree, monitor by monitor, with what was recorded: several packs, two locations, closed days and hours, the open hour", async () => {
    const group = uid("sums");
    const la = uid("la");
    const lb = uid("lb");
    const n = PACK_SIZE + 8;
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = `${group}-${String(i).padStart(2, "0")}`;
      ids.push(id);
      const body = { id, name: id, group, kind: "http", target: "https://x.test/", runner: "agent", locations: [la, lb] };
      const made = await api("POST", "/api/v1/monitors", { body });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
    }
    const refs = await monitorsByIds(env.DB, ids);
    expect(new Set([...refs.values()].map((m) => m.pack)).size).toBeGreaterThanOrEqual(2);
    const rt = runtime();
    const monitors = new Map([...refs].map(([id, m]) => [id, { spec: m.spec, pack: m.pack }]));
    const now = Date.now();
    const thisHour = Math.floor(now / HOUR) * HOUR;
    const DAY = 86_400_000;
    const today = Math.floor(now / DAY) * DAY;
    // Monitor i: at each of three times (two days ago, three hours ago, now) and each location, i % 4 + 1
    // checks of which i % 3 failed (when there are that many).
    const expected = new Map<string, { day2: [number, number]; last24: [number, number] }>();
    const results: StoredResult[] = [];
    const at = [today - 2 * DAY + 1000, thisHour - 3 * HOUR + 1000, Math.max(thisHour, now - 5000)];
    ids.forEach((id, i) => {
      const checks = (i % 4) + 1;
      const failed = Math.min(i % 3, checks);
      for (const ts of at)
        for (const location of [la, lb])
          for (let k = 0; k < checks; k++) {
            const ok = k >= failed;
            results.push({
              id: uid("r"),
              monitor: id,
              ts: ts + k,
              ok,
              latency_ms: ok ? 10 : null,
              location,
              agent: null,
              error: ok ? null : { kind: "timeout", message: "x" },
              kind: "http",
              target: "https://x.test/",
              http: { status: ok ? 200 : null, content_length: null },
            });
          }
      // Two locations; the last 24 hours hold the two recent times (three hours ago may fall in yesterday).
      expected.set(id, { day2: [2 * checks, 2 * (checks - failed)], last24: [4 * checks, 4 * (checks - failed)] });
    });
    await recordResults(rt.config.db, pointWriter(rt), rt.log, results, monitors, { certWarningDays: 14 });
    const list = (await api("GET", "/api/v1/status")).body;
    const mine = list.monitors.filter((m: { group: string }) => m.group === group);
    expect(mine.map((m: { id: string }) => m.id)).toEqual(ids);
    for (const m of mine) {
      const e = expected.get(m.id)!;
      expect(m.uptime["24h"], m.id).toBe(e.last24[1] / e.last24[0]);
      expect(m.days.checks[87], m.id).toBe(e.day2[0]);
      expect(m.days.up[87], m.id).toBe(e.day2[1]);
      // Each monitor's own summary (read through its pack, summed in the Worker) says the same.
      const own = (await api("GET", `/api/v1/status/${m.id}`)).body.monitor;
      expect(m.uptime, m.id).toEqual(own.uptime);
      expect(m.days, m.id).toEqual(own.days);
    }
    // A page reads only its own packs and says the same of its monitors.
    const firstOfMine = list.monitors.findIndex((m: { id: string }) => m.id === ids[0]);
    const before = firstOfMine ? list.monitors[firstOfMine - 1] : null;
    let cursor: string | null = null;
    if (before) {
      let seen = 0;
      let r = (await api("GET", "/api/v1/status?limit=1")).body;
      for (; seen < firstOfMine - 1; seen++) r = (await api("GET", `/api/v1/status?limit=1&cursor=${r.next_cursor}`)).body;
      cursor = r.next_cursor;
    }
    const page = (await api("GET", `/api/v1/status?limit=${n}${cursor ? `&cursor=${cursor}` : ""}`)).body;
    expect(page.monitors).toEqual(mine);
  }, 60_000);
});

describe("what a tick writes", () => {
  it("packs hold at most PACK_SIZE monitors, and a new monitor joins the first with room", async () => {
    const ids: string[] = [];
    for (let i = 0; i < PACK_SIZE + 2; i++) {
      const id = uid("fill");
      ids.push(id);
      expect((await api("POST", "/api/v1/monitors", { body: { id, kind: "http", target: "https://x.test/" } })).status).toBe(201);
    }
    const rows = await env.DB.prepare("SELECT pack, members FROM state_packs WHERE pack LIKE 'edge:%'").all<{
      pack: string;
      members: number;
    }>();
    for (const r of rows.results) expect(r.members).toBeLessThanOrEqual(PACK_SIZE);
    const packsOf = new Set((await monitorsByIds(env.DB, ids)).values().map((m) => m.pack));
    expect(packsOf.size).toBeGreaterThanOrEqual(2);
  });
});

describe("many writers at once", () => {
  it("answers every one of 24 parallel creates 201 or 503 with Retry-After, never 500, and keeps each 201", async () => {
    const ids = Array.from({ length: 24 }, () => uid("par"));
    const answers = await Promise.all(
      ids.map((id) => api("POST", "/api/v1/monitors", { body: { id, kind: "http", target: "https://x.test/" } })),
    );
    for (const a of answers) {
      expect([201, 503]).toContain(a.status);
      if (a.status === 503) expect(a.headers.get("retry-after")).toBe("1");
    }
    const created = ids.filter((_, i) => answers[i]!.status === 201);
    const stored = await monitorsByIds(env.DB, created);
    expect(stored.size).toBe(created.length);
    const packs = await readPacks(env.DB, [...new Set([...stored.values()].map((m) => m.pack))]);
    for (const id of created) expect([...packs.values()].some((p) => p.members.has(id))).toBe(true);
  });
});
