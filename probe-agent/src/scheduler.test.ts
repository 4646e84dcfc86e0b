// The scheduler: stable spread phases, bounded concurrency, no overlap, following assignment changes,
// and the stamped result — driven by a small real TCP check against local listeners.
import { afterEach, describe, expect, it } from "vitest";
import type { CheckResult, MonitorSpec } from "../../contract/index.ts";
import { silentLogger } from "./log.ts";
import { Scheduler, TICK_MS, nextDue, phaseMs, type CheckRunner } from "./scheduler.ts";
import { startTarget, tcpFirstByte, tcpMonitor, waitFor } from "../test/helpers.ts";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A monitor every `intervalS` seconds (below the contract's 10 s minimum: the scheduler itself does not care). */
const every = (id: string, port: number, intervalS: number, timeoutMs = 800): MonitorSpec => ({
  ...tcpMonitor(id, port),
  interval_s: intervalS,
  timeout_ms: timeoutMs,
});

function harness(runCheck: CheckRunner, concurrency = 64, tickMs?: number) {
  const results: Array<{ result: CheckResult; durationS: number }> = [];
  const skipped: string[] = [];
  let current = 0;
  let peak = 0;
  const counted: CheckRunner = async (m) => {
    current++;
    peak = Math.max(peak, current);
    try {
      return await runCheck(m);
    } finally {
      current--;
    }
  };
  const s = new Scheduler({
    runCheck: counted,
    onResult: async (result, _m, durationS) => void results.push({ result, durationS }),
    identity: () => ({ agent: "dc1-a", location: "dc1" }),
    concurrency,
    logger: silentLogger(),
    onSkip: (m) => skipped.push(m.id),
    ...(tickMs ? { tickMs } : {}),
  });
  cleanups.push(() => s.stop());
  return { s, results, skipped, peak: () => peak, current: () => current };
}

describe("phases", () => {
  it("are stable per monitor and spread 1,000 monitors across the interval", () => {
    expect(phaseMs("db-primary", 60_000)).toBe(phaseMs("db-primary", 60_000));
    const intervalMs = 60_000;
    const phases = Array.from({ length: 1000 }, (_, i) => phaseMs(`monitor-${i}`, intervalMs));
    // 1,000 monitors in 60 one-second buckets: about 17 each; none anywhere near all of them.
    const buckets = new Array(60).fill(0);
    for (const p of phases) buckets[Math.floor(p / 1000)]++;
    expect(Math.max(...buckets)).toBeLessThan(40);
    expect(Math.min(...buckets)).toBeGreaterThan(3);
    expect(new Set(phases).size).toBeGreaterThan(990);
  });

  it("next slot is strictly in the future, on the monitor's phase, aligned to the epoch", () => {
    const intervalMs = 10_000;
    const phase = phaseMs("x", intervalMs);
    for (const now of [0, phase, phase + 1, 1_764_216_000_123, 1_764_216_000_000 + phase]) {
      const due = nextDue("x", intervalMs, now);
      expect(due).toBeGreaterThan(now);
      expect(due - now).toBeLessThanOrEqual(intervalMs);
      expect(due % intervalMs).toBe(phase);
    }
  });
});

describe("Scheduler", () => {
  /** 200 monitors every second for 2.6 s; each monitor's start times. */
  async function run200(tickMs?: number) {
    const target = await startTarget();
    cleanups.push(target.close);
    const h = harness(tcpFirstByte, 64, tickMs);
    const monitors = Array.from({ length: 200 }, (_, i) => every(`spread-${i}`, target.port, 1));
    h.s.setMonitors(monitors);
    // The plan: first slots spread over the second; no 50 ms window holds more than a fifth of them.
    const planned = new Array(20).fill(0);
    for (const m of monitors) planned[Math.floor((h.s.dueAt(m.id)! % 1000) / 50)]++;
    expect(Math.max(...planned)).toBeLessThan(40);
    await new Promise((r) => setTimeout(r, 2600));
    await h.s.stop();
    const perMonitor = new Map<string, number[]>();
    for (const { result } of h.results) perMonitor.set(result.monitor, [...(perMonitor.get(result.monitor) ?? []), result.ts]);
    expect(perMonitor.size).toBe(200);
    expect(h.results.every((r) => r.result.ok)).toBe(true);
    return { h, perMonitor };
  }

  it("runs 200 monitors each once per interval, batched on the tick grid, spread over the interval", async () => {
    const { h, perMonitor } = await run200();
    for (const [id, ts] of perMonitor) {
      expect(ts.length, id).toBeGreaterThanOrEqual(2);
      expect(ts.length, id).toBeLessThanOrEqual(3);
      // Each run starts at or after the monitor's own slot, within a tick of it (plus timer slack on a loaded machine).
      for (const t of ts) expect((t - phaseMs(id, 1000) + 1000) % 1000, id).toBeLessThan(TICK_MS + 150);
    }
    // Batched per tick, yet spread: every tick of the second starts some, none starts most of them.
    const perTick = new Array(1000 / TICK_MS).fill(0);
    for (const { result } of h.results) perTick[Math.floor((result.ts % 1000) / TICK_MS)]++;
    expect(Math.min(...perTick)).toBeGreaterThan(0);
    expect(Math.max(...perTick)).toBeLessThan(h.results.length / 2);
  });

  it("with a 1 ms tick, starts each check at its own moment", async () => {
    const { h } = await run200(1);
    expect(new Set(h.results.map((r) => r.result.ts)).size).toBeGreaterThan(150);
  });

  it("stamps id, ts, monitor, location and agent onto the check's outcome", async () => {
    const target = await startTarget();
    cleanups.push(target.close);
    const h = harness(tcpFirstByte);
    h.s.setMonitors([every("stamp", target.port, 1)]);
    const { result, durationS } = await waitFor(() => h.results[0], 3000, "a result");
    expect(result).toMatchObject({ monitor: "stamp", ok: true, location: "dc1", agent: "dc1-a", error: null, tcp: { port: target.port } });
    expect(result.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(Math.abs(result.ts - Date.now())).toBeLessThan(3000);
    expect(result.latency_ms).toBeGreaterThan(0);
    expect(durationS).toBeGreaterThan(0);
  });

  it("never runs more checks at once than its concurrency", async () => {
    const target = await startTarget(300);
    cleanups.push(target.close);
    const h = harness(tcpFirstByte, 3);
    h.s.setMonitors(Array.from({ length: 12 }, (_, i) => every(`conc-${i}`, target.port, 2)));
    await waitFor(() => h.results.length >= 12, 6000, "12 results");
    expect(h.peak()).toBe(3);
    expect(h.results.every((r) => r.result.ok)).toBe(true);
  });

  it("never overlaps a monitor with itself: a slot that finds it still running is skipped", async () => {
    const target = await startTarget(2300);
    cleanups.push(target.close);
    const h = harness(tcpFirstByte);
    h.s.setMonitors([every("slow", target.port, 1, 3000)]);
    await new Promise((r) => setTimeout(r, 3500));
    expect(h.peak()).toBe(1);
    expect(h.skipped.length).toBeGreaterThanOrEqual(2);
    await waitFor(() => h.results.length >= 1, 3000, "the slow result");
    expect(h.results[0]!.result.ok).toBe(true);
    expect(h.results[0]!.durationS).toBeGreaterThan(2.2);
  });

  it("follows assignment changes: new ones start, removed ones stop, changed ones reschedule", async () => {
    const target = await startTarget();
    cleanups.push(target.close);
    const h = harness(tcpFirstByte);
    expect(h.s.setMonitors([every("keep", target.port, 1), every("drop", target.port, 1)])).toEqual({ added: 2, removed: 0, changed: 0 });
    await waitFor(() => h.results.some((r) => r.result.monitor === "drop"), 3000, "a drop result");
    expect(h.s.setMonitors([every("keep", target.port, 3), every("new", target.port, 1)])).toEqual({ added: 1, removed: 1, changed: 1 });
    expect(
      h.s
        .monitors()
        .map((m) => m.id)
        .sort(),
    ).toEqual(["keep", "new"]);
    const rescheduled = h.s.dueAt("keep")!;
    expect(rescheduled % 3000).toBe(phaseMs("keep", 3000));
    expect(rescheduled - Date.now()).toBeLessThanOrEqual(3000);
    const dropsThen = h.results.filter((r) => r.result.monitor === "drop").length;
    await waitFor(() => h.results.some((r) => r.result.monitor === "new"), 3000, "a new result");
    await new Promise((r) => setTimeout(r, 1200));
    expect(h.results.filter((r) => r.result.monitor === "drop").length).toBe(dropsThen);
    // A change that is not the interval keeps the slot and uses the new spec on the next run.
    const slot = h.s.dueAt("keep");
    expect(h.s.setMonitors([{ ...every("keep", target.port, 3), timeout_ms: 900 }, every("new", target.port, 1)])).toEqual({
      added: 0,
      removed: 0,
      changed: 1,
    });
    expect(h.s.dueAt("keep")).toBe(slot);
    expect(h.s.monitors().find((m) => m.id === "keep")!.timeout_ms).toBe(900);
  });

  it("turns a thrown error, an overrun or an invalid outcome into a failed result", async () => {
    const h = harness(async (m) => {
      if (m.id === "throws") throw new Error("boom");
      if (m.id === "invalid") return { ok: false, latency_ms: -1, error: null };
      return new Promise(() => {}); // never settles
    });
    const s = new Scheduler({
      runCheck: async () => new Promise(() => {}),
      onResult: async (result) => void h.results.push({ result, durationS: 0 }),
      identity: () => ({ agent: "a", location: "l" }),
      concurrency: 4,
      logger: silentLogger(),
      graceMs: 100,
    });
    cleanups.push(() => s.stop(10));
    h.s.setMonitors([every("throws", 1, 1), every("invalid", 1, 1)]);
    s.setMonitors([every("hangs", 1, 1, 200)]);
    await waitFor(() => h.results.length >= 3, 4000, "three results");
    const by = (id: string) => h.results.find((r) => r.result.monitor === id)!.result;
    expect(by("throws")).toMatchObject({ ok: false, error: { kind: "other", message: "the check failed: boom" } });
    expect(by("invalid")).toMatchObject({ ok: false, error: { kind: "other" } });
    expect(by("invalid").error!.message).toMatch(/latency_ms/);
    // Three tries of 200 ms (a confirmed failure), then the 100 ms grace.
    expect(by("hangs")).toMatchObject({ ok: false, error: { kind: "timeout", message: "the check did not finish within 700 ms" } });
  });

  it("stop: no new checks start, the ones running finish and are recorded", async () => {
    const target = await startTarget(600);
    cleanups.push(target.close);
    const h = harness(tcpFirstByte);
    h.s.setMonitors(Array.from({ length: 5 }, (_, i) => every(`stop-${i}`, target.port, 1)));
    await waitFor(() => h.current() >= 1, 3000, "a running check");
    const running = h.current();
    const done = h.results.length;
    const started = target.connections();
    const { unfinished } = await h.s.stop();
    expect(unfinished).toBe(0);
    expect(h.results.length).toBeGreaterThanOrEqual(done + running);
    await new Promise((r) => setTimeout(r, 1200));
    expect(target.connections()).toBeLessThanOrEqual(started + (5 - running));
    expect(h.current()).toBe(0);
  });
});
