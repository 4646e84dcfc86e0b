// Alert rules: quorum across locations, thresholds, flapping, maintenance, degraded, certificates.
import { describe, expect, it } from "vitest";
import { Monitor, type MonitorSpec } from "../../../contract/index.ts";
import type { MonitorState } from "./state.ts";
import type { StoredResult } from "../points/store.ts";
import type { SeriesState } from "./state.ts";
import { initialState } from "../db/packs.ts";
import { evaluate, type RuleInput } from "./rules.ts";

/** An enabled monitor's state as created at time 0: pending, nothing seen yet. */
const fresh = (): MonitorState => initialState({ enabled: true }, 0);

let seq = 0;
const res = (monitor: string, ts: number, ok: boolean, extra: Partial<StoredResult> = {}): StoredResult => ({
  id: `r${++seq}`,
  monitor,
  ts,
  ok,
  latency_ms: ok ? 20 : null,
  location: "edge",
  agent: null,
  error: ok ? null : { kind: "timeout", message: "timed out after 5000 ms" },
  kind: "http",
  target: "https://x.test/",
  ...extra,
});

/** Feeds results one at a time, as ticks would, carrying state forward. */
function run(spec: MonitorSpec, results: StoredResult[], extra: Partial<RuleInput> = {}) {
  let state = fresh();
  let locations = new Map<string, SeriesState>();
  const happenings: string[] = [];
  const incidents: string[] = [];
  for (const r of results) {
    const out = evaluate({ spec, state, locations, results: [r], inMaintenance: () => false, certWarningDays: 14, ...extra });
    state = out.state;
    locations = out.locations;
    happenings.push(...out.happenings.map((h) => `${h.type}@${h.at}`));
    incidents.push(...out.incidents.filter((i) => i.op !== "error").map((i) => `${i.op}@${"at" in i ? i.at : ""}`));
  }
  return { state, locations, happenings, incidents };
}

const http = (extra: Record<string, unknown> = {}) => Monitor.parse({ id: "web", kind: "http", target: "https://x.test/", ...extra });
const tcpMulti = (extra: Record<string, unknown> = {}) =>
  Monitor.parse({ id: "db", kind: "tcp", target: "db:5432", interval_s: 30, locations: ["dc1", "dc2"], failure_threshold: 2, ...extra });

describe("thresholds and incidents", () => {
  it("writes an open incident's latest error only when it changes, not at every failed check", () => {
    const refused = { kind: "refused" as const, message: "connection refused" };
    let state = fresh();
    let locations = new Map<string, SeriesState>();
    const errors: Array<string | undefined> = [];
    const results = [
      res("web", 1, false),
      res("web", 2, false),
      res("web", 3, false),
      res("web", 4, false),
      res("web", 5, false, { error: refused }),
      res("web", 6, false, { error: refused }),
    ];
    for (const r of results) {
      const out = evaluate({ spec: http(), state, locations, results: [r], inMaintenance: () => false, certWarningDays: 14 });
      state = out.state;
      locations = out.locations;
      errors.push(...out.incidents.filter((i) => i.op === "error").map((i) => (i.op === "error" ? i.error?.kind : undefined)));
    }
    // Opened at the second failure with the timeout; the same timeout twice more writes nothing; the change to refused once.
    expect(errors).toEqual(["refused"]);
  });

  it("opens one incident after failure_threshold failures and resolves it on recovery", () => {
    const r = run(http(), [res("web", 1, true), res("web", 2, false), res("web", 3, false), res("web", 4, false), res("web", 5, true)]);
    expect(r.happenings).toEqual(["down@3", "up@5"]);
    expect(r.incidents).toEqual(["open@3", "resolve@5"]);
    expect(r.state).toMatchObject({ status: "up", incident_id: null });
  });

  it("a failure confirmed by retries counts each failed try: the default threshold pages at the first such check", () => {
    const confirmed = (ts: number) => res("web", ts, false, { tries: 3 });
    const r = run(http(), [res("web", 1, true), confirmed(2), res("web", 3, true)]);
    expect(r.happenings).toEqual(["down@2", "up@3"]);
    expect(r.incidents).toEqual(["open@2", "resolve@3"]);
    // A threshold above the tries still waits for the next check; an unconfirmed failure counts one.
    expect(run(http({ failure_threshold: 4 }), [confirmed(1), confirmed(2)]).happenings).toEqual(["down@2"]);
    expect(run(http(), [res("web", 1, true), res("web", 2, false)]).happenings).toEqual([]);
  });

  it("a confirmed failure at one location counts its tries toward that location's threshold", () => {
    const spec = Monitor.parse({ id: "db", kind: "tcp", target: "db:5432", locations: ["dc1", "dc2"] });
    const r = run(spec, [res("db", 1, false, { location: "dc1", tries: 3 }), res("db", 2, false, { location: "dc2", tries: 3 })]);
    expect(r.locations.get("dc1")).toMatchObject({ status: "down", consecutive_failures: 3 });
    expect(r.happenings).toEqual(["down@2"]);
  });

  it("a flapping target with thresholds 2/2 gives an exact, bounded number of notifications", () => {
    // up, down, up, down … never two failures in a row: nothing.
    const alternating = Array.from({ length: 40 }, (_, i) => res("web", i + 1, i % 2 === 0));
    expect(run(http({ failure_threshold: 2, success_threshold: 2 }), alternating).happenings).toEqual([]);
    // down, down, up, down, down, up, …: down after two failures; one success is not enough to recover.
    const pattern = [false, false, true, false, false, true, true, false, false, true, true];
    const r = run(
      http({ failure_threshold: 2, success_threshold: 2 }),
      pattern.map((ok, i) => res("web", i + 1, ok)),
    );
    expect(r.happenings).toEqual(["down@2", "up@7", "down@9", "up@11"]);
  });
});

describe("location quorum", () => {
  const loc = (location: string, ts: number, ok: boolean) => res("db", ts, ok, { location, kind: "tcp", target: "db:5432" });

  it("two locations, one failing: no incident", () => {
    const r = run(tcpMulti(), [
      loc("dc1", 1, true),
      loc("dc2", 2, false),
      loc("dc1", 3, true),
      loc("dc2", 4, false),
      loc("dc1", 5, true),
      loc("dc2", 6, false),
    ]);
    expect(r.happenings).toEqual([]);
    expect(r.state.status).toBe("up");
    expect(r.locations.get("dc2")!.status).toBe("down");
  });

  it("both failing: exactly one incident, naming the quorum", () => {
    const out: string[] = [];
    let state = fresh();
    let locations = new Map<string, SeriesState>();
    const batches = [
      [loc("dc1", 1, false), loc("dc2", 2, false)],
      [loc("dc1", 3, false), loc("dc2", 4, false)],
      [loc("dc1", 5, false), loc("dc2", 6, false)],
    ];
    let cause = "";
    for (const results of batches) {
      const o = evaluate({ spec: tcpMulti(), state, locations, results, inMaintenance: () => false, certWarningDays: 14 });
      state = o.state;
      locations = o.locations;
      for (const h of o.happenings) {
        out.push(`${h.type}@${h.at}`);
        if (h.type === "down") cause = h.cause;
      }
    }
    expect(out).toEqual(["down@4"]);
    expect(cause).toBe("2 of 2 locations down (quorum 2)");
  });

  it("an explicit quorum of 1 pages on any location", () => {
    const r = run(tcpMulti({ quorum: 1 }), [loc("dc1", 1, true), loc("dc2", 2, false), loc("dc2", 3, false)]);
    expect(r.happenings).toEqual(["down@3"]);
  });

  it("evaluating the same results twice opens the same incident (deterministic id)", () => {
    const input: RuleInput = {
      spec: http(),
      state: fresh(),
      locations: new Map(),
      results: [res("web", 1, false), res("web", 2, false)],
      inMaintenance: () => false,
      certWarningDays: 14,
    };
    const a = evaluate(input);
    const b = evaluate(input);
    expect(a.incidents[0]).toEqual(b.incidents[0]);
    expect(a.state.incident_id).toBe("inc_web_2");
  });
});

describe("maintenance", () => {
  it("shows maintenance, opens no incident and sends nothing; still down afterwards opens one then", () => {
    const inMaintenance = (ts: number) => ts >= 2 && ts < 6;
    const r = run(http(), [res("web", 1, true), res("web", 2, false), res("web", 3, false), res("web", 4, false), res("web", 5, false)], {
      inMaintenance,
    });
    expect(r.happenings).toEqual([]);
    expect(r.state.status).toBe("maintenance");
    const after = evaluate({
      spec: http(),
      state: r.state,
      locations: r.locations,
      results: [res("web", 6, false)],
      inMaintenance,
      certWarningDays: 14,
    });
    expect(after.state.status).toBe("down");
    expect(after.happenings.map((h) => h.type)).toEqual(["down"]);
  });
});

describe("degraded and certificate", () => {
  it("degraded once after N slow successes, again only after a fast one", () => {
    const slow = (ts: number, ms: number) => res("web", ts, true, { latency_ms: ms });
    const r = run(http({ latency_threshold_ms: 500, degraded_after: 3 }), [
      slow(1, 600),
      slow(2, 700),
      slow(3, 800),
      slow(4, 900),
      slow(5, 100),
      slow(6, 600),
      slow(7, 600),
      slow(8, 600),
    ]);
    expect(r.happenings).toEqual(["degraded@3", "degraded@8"]);
  });

  it("warns once per certificate when fewer days are left than the threshold", () => {
    const spec = Monitor.parse({ id: "cert", kind: "tls", target: "h:443", certificate_warning_days: 10 });
    const tls = (ts: number, days: number, expires: number) =>
      res("cert", ts, true, {
        kind: "tls",
        target: "h:443",
        tls: { expires_at: expires, days_left: days, issuer: "Test CA", common_name: "h", verified: true },
      });
    const r = run(spec, [tls(1, 12, 1000), tls(2, 9.5, 1000), tls(3, 9, 1000), tls(4, 60, 2000), tls(5, 5, 3000)]);
    expect(r.happenings).toEqual(["certificate@2", "certificate@5"]);
  });

  it("ignores results older than the last one and results of paused monitors", () => {
    const r = run(http(), [res("web", 10, true), res("web", 5, false), res("web", 6, false)]);
    expect(r.state).toMatchObject({ status: "up", last_check_at: 10 });
    const paused = evaluate({
      spec: http(),
      state: { ...fresh(), status: "paused" },
      locations: new Map(),
      results: [res("web", 1, false)],
      inMaintenance: () => false,
      certWarningDays: 14,
    });
    expect(paused.state.status).toBe("paused");
  });
});
