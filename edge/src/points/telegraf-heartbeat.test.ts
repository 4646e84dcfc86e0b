// The heartbeat measurement (ours: Telegraf has no input for a job that calls in): the exact line a ping and a missed
// deadline become, and a queried row read back. Beside telegraf.test.ts, which the other kinds' lines live in.
import { describe, expect, it } from "vitest";
import type { StoredResult } from "./store.ts";
import { fromRow, keptDetail, toLine, toPoint } from "./telegraf.ts";

const TS = 1_764_216_000_000; // 2025-11-27T04:00:00Z

const hb = (r: Partial<StoredResult>): StoredResult =>
  ({
    id: "01JHB",
    monitor: "nightly",
    ts: TS,
    ok: true,
    latency_ms: null,
    location: "edge",
    agent: null,
    error: null,
    kind: "heartbeat",
    target: "",
    ...r,
  }) as StoredResult;

describe("heartbeat points", () => {
  it("a success after /start: tag event, field duration_ms, the message escaped", () => {
    const r = hb({ latency_ms: 61_250, heartbeat: { event: "success", started_at: TS - 61_250, message: 'done "ok"\nsize=3 \\ GB' } });
    expect(toLine(r)).toBe(
      "heartbeat,event=success,location=edge,monitor=nightly " +
        'check_id="01JHB",duration_ms=61250i,latency_ms=61250,message="done \\"ok\\"\nsize=3 \\\\ GB",up=1i 1764216000000',
    );
  });

  it("a missed deadline: no duration, no message, the error fields", () => {
    const r = hb({
      ok: false,
      error: { kind: "timeout", message: "no ping since 2025-11-27T02:00:00.000Z" },
      heartbeat: { event: "missed", started_at: null, message: null },
    });
    expect(toLine(r)).toBe(
      "heartbeat,event=missed,location=edge,monitor=nightly " +
        'check_id="01JHB",error="no ping since 2025-11-27T02:00:00.000Z",error_kind="timeout",up=0i 1764216000000',
    );
  });

  it("reads back what it wrote (started_at from time - duration_ms)", () => {
    for (const r of [
      hb({ latency_ms: 5000, heartbeat: { event: "success", started_at: TS - 5000, message: "m" } }),
      hb({
        ok: false,
        error: { kind: "other", message: "the job exited with status 3" },
        heartbeat: { event: "fail", started_at: null, message: null },
      }),
    ]) {
      const p = toPoint(r);
      const row = {
        ...p.tags,
        ...Object.fromEntries(Object.entries(p.fields).map(([k, v]) => [k, typeof v === "object" && v !== null && "int" in v ? v.int : v])),
        time: TS,
      };
      const { kind, target: _t, ...expected } = r;
      expect(fromRow(kind, row)).toEqual(expected);
      expect(keptDetail(r)).toEqual({ heartbeat: r.heartbeat });
    }
  });
});
