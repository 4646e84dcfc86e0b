// The state machine, result by result.
import { describe, expect, it } from "vitest";
import { applyResult, applyResults, type Observation, type SeriesState } from "./state.ts";

const fresh = (status: SeriesState["status"] = "pending"): SeriesState => ({
  status,
  since: 0,
  last_check_at: null,
  last_error: null,
  last_latency_ms: null,
  consecutive_failures: 0,
  consecutive_successes: 0,
});
const ok = (ts: number, latency_ms = 10): Observation => ({ ok: true, ts, latency_ms, error: null });
const fail = (ts: number): Observation => ({
  ok: false,
  ts,
  latency_ms: null,
  error: { kind: "timeout", message: "timed out after 10000 ms" },
});
const T = { failure_threshold: 2, success_threshold: 1 };

describe("applyResult", () => {
  it("pending → up on the first success with success_threshold 1", () => {
    const r = applyResult(fresh(), ok(1000), T);
    expect(r.state).toMatchObject({ status: "up", since: 1000, last_check_at: 1000, consecutive_successes: 1, last_latency_ms: 10 });
    expect(r.transition).toEqual({ from: "pending", to: "up", at: 1000 });
  });

  it("up → pending on one failure, → down on the second, with since at the transition", () => {
    const { state, transitions } = applyResults(fresh(), [ok(1), fail(2), fail(3)], T);
    expect(state).toMatchObject({
      status: "down",
      since: 3,
      consecutive_failures: 2,
      consecutive_successes: 0,
      last_error: { kind: "timeout" },
    });
    expect(transitions.map((t) => `${t.from}>${t.to}@${t.at}`)).toEqual(["pending>up@1", "up>pending@2", "pending>down@3"]);
  });

  it("a lone failure between successes never reaches down", () => {
    const { state, transitions } = applyResults(fresh(), [ok(1), fail(2), ok(3), fail(4), ok(5)], T);
    expect(state.status).toBe("up");
    expect(transitions.filter((t) => t.to === "down")).toEqual([]);
  });

  it("down needs success_threshold successes to come back up", () => {
    const t = { failure_threshold: 1, success_threshold: 3 };
    const { state, transitions } = applyResults(fresh(), [fail(1), ok(2), ok(3)], t);
    expect(state).toMatchObject({ status: "down", consecutive_successes: 2, last_error: null });
    const r = applyResult(state, ok(4), t);
    expect(r.transition).toEqual({ from: "down", to: "up", at: 4 });
    expect(transitions).toEqual([{ from: "pending", to: "down", at: 1 }]);
  });

  it("failure_threshold 1 goes down at once; since keeps the first failure time while down", () => {
    const { state } = applyResults(fresh("up"), [fail(10), fail(20), fail(30)], { failure_threshold: 1, success_threshold: 1 });
    expect(state).toMatchObject({ status: "down", since: 10, consecutive_failures: 3, last_check_at: 30 });
  });

  it("ignores results for paused monitors and results older than the last one", () => {
    expect(applyResult(fresh("paused"), fail(5), T).state.status).toBe("paused");
    const up = applyResult(fresh(), ok(100), T).state;
    const late = applyResult(up, fail(50), T);
    expect(late.state).toBe(up);
    expect(late.transition).toBeNull();
  });

  it("orders a batch by time before applying it", () => {
    const { state } = applyResults(fresh(), [fail(3), ok(1), fail(2)], T);
    expect(state).toMatchObject({ status: "down", since: 3, last_check_at: 3 });
  });
});
