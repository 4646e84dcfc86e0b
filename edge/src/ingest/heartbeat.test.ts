// The pure heartbeat rules: what a ping URL's suffix means, the result a ping becomes, and when the tick calls a
// silent job missed (pending before its first ping, a hung /start, once per period).
import { describe, expect, it } from "vitest";
import { Monitor, type MonitorSpec } from "../../../contract/index.ts";
import { initialState, type HeartbeatMemory, type Member } from "../db/packs.ts";
import { afterResult, afterStart, missedDeadline, missedResult, pingEvent, pingMessage, pingResult } from "./heartbeat.ts";

const S = 1000;
const T = 1_764_216_000_000;
const spec = Monitor.parse({ id: "job", kind: "heartbeat", interval_s: 3600, heartbeat: { grace_s: 300 } }) as MonitorSpec;
const member = (hb?: HeartbeatMemory, on = true): Member => ({
  spec,
  every: 3600,
  edge: true,
  on,
  ran: null,
  hops: 0,
  state: initialState({ enabled: on }, T),
  locations: {},
  latest: {},
  ...(hb ? { hb } : {}),
});

describe("pingEvent", () => {
  it("reads nothing as success, start and fail, and an exit status 0-255 as healthchecks.io does", () => {
    expect(pingEvent(undefined)).toEqual({ event: "success", status: null });
    expect(pingEvent("start")).toEqual({ event: "start", status: null });
    expect(pingEvent("fail")).toEqual({ event: "fail", status: null });
    expect(pingEvent("0")).toEqual({ event: "success", status: 0 });
    expect(pingEvent("255")).toEqual({ event: "fail", status: 255 });
    for (const bad of ["256", "1000", "-1", "1.0", "START", "log", "banana"]) expect(pingEvent(bad), bad).toHaveProperty("error");
  });
});

describe("pingMessage", () => {
  it("keeps text, replaces invalid UTF-8 and controls, and is null when empty", () => {
    expect(pingMessage(new TextEncoder().encode("  done\tok\n"))).toBe("done\tok");
    expect(pingMessage(new Uint8Array([0x61, 0xff, 0x00, 0x1b, 0x62]))).toBe("a\ufffd\ufffd\ufffdb");
    expect(pingMessage(new Uint8Array())).toBeNull();
    expect(pingMessage(new TextEncoder().encode("x".repeat(3000)))).toHaveLength(2000);
  });
});

describe("pingResult", () => {
  it("a success after a /start within the period and grace: the run's duration", () => {
    const r = pingResult(spec, { last: null, start: T - 90 * S, missed: null }, { event: "success", status: null, message: null, ts: T });
    expect(r).toMatchObject({
      ok: true,
      latency_ms: 90_000,
      location: "edge",
      agent: null,
      heartbeat: { event: "success", started_at: T - 90 * S },
    });
  });

  it("no duration for a start older than the period and grace, or one before the last end ping", () => {
    const old = pingResult(
      spec,
      { last: null, start: T - 3901 * S, missed: null },
      { event: "success", status: null, message: null, ts: T },
    );
    expect(old.heartbeat?.started_at).toBeNull();
    const ended = pingResult(
      spec,
      { last: T - 10 * S, start: T - 20 * S, missed: null },
      { event: "success", status: null, message: null, ts: T },
    );
    expect(ended.latency_ms).toBeNull();
  });

  it("a failure names the exit status and carries the body", () => {
    const r = pingResult(spec, undefined, { event: "fail", status: 2, message: "boom", ts: T });
    expect(r).toMatchObject({
      ok: false,
      error: { kind: "other", message: "the job exited with status 2: boom" },
      heartbeat: { message: "boom" },
    });
  });
});

describe("missedDeadline", () => {
  it("is pending before the first ping, and never for a paused monitor", () => {
    expect(missedDeadline(spec, member(), T + 10 * 86400 * S)).toBeNull();
    expect(missedDeadline(spec, member({ last: T, start: null, missed: null }, false), T + 86400 * S)).toBeNull();
  });

  it("is missed once period + grace passed since the last ping, then once per period", () => {
    const hb = { last: T, start: null, missed: null };
    expect(missedDeadline(spec, member(hb), T + 3900 * S - 1)).toBeNull();
    const why = missedDeadline(spec, member(hb), T + 3900 * S);
    expect(why).toEqual({
      reason: "no ping since 2025-11-27T04:00:00.000Z; expected one every 3600 s, with a grace of 300 s",
      started_at: null,
    });
    const after = afterResult(hb, missedResult(spec, why!, T + 3900 * S));
    expect(after.missed).toBe(T + 3900 * S);
    expect(missedDeadline(spec, member(after), T + 7499 * S)).toBeNull();
    expect(missedDeadline(spec, member(after), T + 7500 * S)).not.toBeNull();
  });

  it("a /start without its end ping is missed grace_s after it; the end ping clears the start", () => {
    const started = afterStart({ last: T, start: null, missed: null }, T + 100 * S);
    expect(missedDeadline(spec, member(started), T + 399 * S)).toBeNull();
    expect(missedDeadline(spec, member(started), T + 400 * S)).toMatchObject({ started_at: T + 100 * S });
    const ended = afterResult(started, pingResult(spec, started, { event: "success", status: null, message: null, ts: T + 200 * S }));
    expect(ended).toEqual({ last: T + 200 * S, start: null, missed: null });
    expect(missedDeadline(spec, member(ended), T + 400 * S)).toBeNull();
  });
});
