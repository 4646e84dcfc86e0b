// The HTTP check's loop on an in-memory transport: redirects, method and body rules, headers, body reading, timing,
// the timeout and what the transport is told. The edge and agent check tests run the same loop against real servers.
import { describe, expect, it } from "vitest";
import { runHttpCheck, type HttpRequest, type HttpResponse, type HttpTransport } from "./http-check.ts";
import { MAX_BODY_BYTES, MAX_REDIRECTS, type BodyChunk } from "./http-rules.ts";
import { Monitor, type MonitorSpec } from "./monitor.ts";
import type { CheckError } from "./result.ts";

type HttpMonitor = Extract<MonitorSpec, { kind: "http" }>;
const monitor = (target: string, http: Record<string, unknown> = {}, timeout_ms = 2000) =>
  Monitor.parse({ id: "h", kind: "http", target, timeout_ms, http }) as HttpMonitor;

/** What a route answers: a status, headers, body pieces; "hang" never answers, "throw" fails the request. */
type Reply = { status: number; headers?: Record<string, string>; body?: (string | Uint8Array)[]; bodyError?: Error } | "hang" | "throw";

interface FakeResponse extends HttpResponse {
  id: number;
}

/** An in-memory transport: answers by `method url`, records requests, discards and the end. */
function fakeTransport(route: (req: HttpRequest) => Reply) {
  const sent: HttpRequest[] = [];
  const discarded: number[] = [];
  const ended: boolean[] = [];
  const failures: unknown[] = [];
  let clock = 0;
  const transport: HttpTransport<FakeResponse> = {
    userAgent: "fake-agent",
    async send(req) {
      sent.push(req);
      const reply = route(req);
      if (reply === "throw") throw new Error("connection refused");
      if (reply === "hang") return new Promise<FakeResponse>(() => {});
      clock += 10;
      const pieces = (reply.body ?? []).map((b) => (typeof b === "string" ? new TextEncoder().encode(b) : b));
      const id = sent.length;
      return {
        id,
        answer: { status: reply.status, reason: "", header: (name) => reply.headers?.[name] ?? null },
        async read(): Promise<BodyChunk> {
          if (pieces.length) return { value: pieces.shift()! };
          if (reply.bodyError) throw reply.bodyError;
          return { done: true };
        },
      };
    },
    discard: (res) => void discarded.push(res.id),
    end: (timedOut) => void ended.push(timedOut),
    describeFailure(e, p): CheckError {
      failures.push(e);
      return { kind: "connection", message: `${p.phase === "body" ? "body of" : p.method} ${p.url}: ${(e as Error).message}` };
    },
  };
  return { transport, sent, discarded, ended, failures, deps: { now: () => clock } };
}

/** Redirects `/r/N` → `/r/N-1` … → `/ok` with `status`; `/echo` answers 200 with the request as its body. */
function site(status = 302) {
  return (req: HttpRequest): Reply => {
    const m = /^\/r\/(\d+)$/.exec(req.url.pathname);
    if (m) return { status, headers: { location: Number(m[1]) > 1 ? `/r/${Number(m[1]) - 1}` : "/echo" } };
    if (req.url.pathname === "/echo") return { status: 200, body: [JSON.stringify({ method: req.method, body: req.body })] };
    if (req.url.pathname === "/elsewhere") return { status: 301, headers: { location: "http://other.example/echo" } };
    return { status: 404, body: ["not found"] };
  };
}

describe("runHttpCheck: redirects", () => {
  it("follows redirects to the final answer, timing every hop and discarding each response once done", async () => {
    const t = fakeTransport(site());
    const out = await runHttpCheck(monitor("http://a.example/r/3"), t.transport, t.deps);
    expect(out).toEqual({
      ok: true,
      latency_ms: 40,
      error: null,
      http: { status: 200, content_length: '{"method":"GET","body":null}'.length },
    });
    expect(t.sent.map((r) => r.url.href)).toEqual([
      "http://a.example/r/3",
      "http://a.example/r/2",
      "http://a.example/r/1",
      "http://a.example/echo",
    ]);
    expect(t.discarded).toEqual([1, 2, 3, 4]);
    expect(t.ended).toEqual([false]);
  });

  it(`follows exactly ${MAX_REDIRECTS} hops and stops with 'other' at the next`, async () => {
    const ok = fakeTransport(site());
    expect((await runHttpCheck(monitor(`http://a.example/r/${MAX_REDIRECTS}`), ok.transport, ok.deps)).ok).toBe(true);
    const t = fakeTransport(site());
    const out = await runHttpCheck(monitor(`http://a.example/r/${MAX_REDIRECTS + 1}`), t.transport, t.deps);
    expect(out.error).toEqual({
      kind: "other",
      message: `too many redirects: http://a.example/r/11 was still redirecting after 10 hops (the limit); http://a.example/r/1 answered 302 Found to /echo`,
    });
    expect(t.sent).toHaveLength(MAX_REDIRECTS + 1);
    expect(t.ended).toEqual([false]);
  });

  it("leaves a redirect alone when follow_redirects is off, and judges it as the answer", async () => {
    const t = fakeTransport(site());
    const out = await runHttpCheck(monitor("http://a.example/r/1", { follow_redirects: false }), t.transport, t.deps);
    expect(out.error).toEqual({ kind: "status", message: "GET http://a.example/r/1: got 302 Found (Location: /echo), expected 2xx" });
    expect(t.sent).toHaveLength(1);
  });

  it.each([
    [301, "POST", "GET", null],
    [302, "POST", "GET", null],
    [303, "POST", "GET", null],
    [303, "PUT", "GET", null],
    [303, "HEAD", "HEAD", null],
    [301, "PUT", "PUT", "{}"],
    [302, "DELETE", "DELETE", null],
    [307, "POST", "POST", "{}"],
    [308, "PUT", "PUT", "{}"],
  ] as const)("a %i after %s sends %s with body %s", async (status, method, nextMethod, nextBody) => {
    const t = fakeTransport(site(status));
    const body = method === "HEAD" || method === "DELETE" ? null : "{}";
    await runHttpCheck(
      monitor("http://a.example/r/1", {
        method,
        body,
        headers: { "Content-Type": "application/json" },
        expected_status: ["2xx", "3xx", "4xx"],
      }),
      t.transport,
      t.deps,
    );
    expect(t.sent[0]).toMatchObject({ method, body });
    expect(t.sent[1]).toMatchObject({ method: nextMethod, body: nextBody });
    // A rewrite to GET drops the body's headers with the body.
    expect(t.sent[1]!.headers["content-type"]).toBe(nextMethod !== method ? undefined : "application/json");
  });

  it("sends the monitor's headers lower-cased with its own User-Agent, and drops credentials across origins", async () => {
    const t = fakeTransport(site());
    await runHttpCheck(
      monitor("http://a.example/elsewhere", { headers: { Authorization: "Bearer x", "X-Probe": "1", Cookie: "c=1" } }),
      t.transport,
      t.deps,
    );
    expect(t.sent[0]!.headers).toEqual({ authorization: "Bearer x", "x-probe": "1", cookie: "c=1", "user-agent": "fake-agent" });
    expect(t.sent[1]!.headers).toEqual({ "x-probe": "1", "user-agent": "fake-agent" });
    const mine = fakeTransport(site());
    await runHttpCheck(monitor("http://a.example/echo", { headers: { "User-Agent": "mine/1.0" } }), mine.transport, mine.deps);
    expect(mine.sent[0]!.headers).toEqual({ "user-agent": "mine/1.0" });
  });

  it("refuses a GET with a body before sending anything", async () => {
    const t = fakeTransport(site());
    const out = await runHttpCheck(monitor("http://a.example/echo", { body: "x" }), t.transport, t.deps);
    expect(out.error?.message).toContain("a GET request cannot carry a body");
    expect(t.sent).toHaveLength(0);
    expect(t.ended).toEqual([false]);
  });
});

describe("runHttpCheck: body and judgement", () => {
  it("reads the body only when a rule needs it or no Content-Length gives its size", async () => {
    let reads = 0;
    const t = fakeTransport(() => ({ status: 200, headers: { "content-length": "5" }, body: ["hello"] }));
    const counting: HttpTransport<HttpResponse & { id: number }> = {
      ...t.transport,
      send: async (req) => {
        const res = await t.transport.send(req);
        return { ...res, read: () => (reads++, res.read()) };
      },
    };
    expect(await runHttpCheck(monitor("http://a.example/"), counting, t.deps)).toMatchObject({
      ok: true,
      http: { status: 200, content_length: 5 },
    });
    expect(reads).toBe(0);
    expect(await runHttpCheck(monitor("http://a.example/", { keyword: "hell" }), counting, t.deps)).toMatchObject({ ok: true });
    expect(reads).toBeGreaterThan(0);
  });

  it("judges keywords over at most MAX_BODY_BYTES, decoding across pieces", async () => {
    const bytes = new TextEncoder().encode("21°C ✓");
    const t = fakeTransport(() => ({ status: 200, body: [bytes.subarray(0, 3), bytes.subarray(3)] }));
    expect(await runHttpCheck(monitor("http://a.example/", { keyword: "°C ✓" }), t.transport, t.deps)).toMatchObject({
      ok: true,
      error: null,
      // Telegraf's response_string_match.
      http: { status: 200, keyword_matched: true },
    });
    const big = fakeTransport(() => ({ status: 200, body: [new Uint8Array(MAX_BODY_BYTES).fill(0x61), "needle"] }));
    const out = await runHttpCheck(monitor("http://a.example/", { keyword: "needle" }), big.transport, big.deps);
    expect(out.error?.kind).toBe("keyword");
    expect(out.error?.message).toContain("(the body was truncated");
    expect(out.http).toEqual({ status: 200, content_length: MAX_BODY_BYTES, keyword_matched: false });
    // keyword_absent counts too: the body passed the keyword rules or it did not.
    const absent = fakeTransport(() => ({ status: 200, body: ["all is well"] }));
    const found = await runHttpCheck(monitor("http://a.example/", { keyword_absent: "well" }), absent.transport, absent.deps);
    expect(found.http).toEqual({ status: 200, content_length: 11, keyword_matched: false });
  });

  it("says nothing of keywords when none is set", async () => {
    const t = fakeTransport(() => ({ status: 200, body: ["hello"] }));
    expect((await runHttpCheck(monitor("http://a.example/"), t.transport, t.deps)).http).toEqual({ status: 200, content_length: 5 });
  });

  it("does not read the body of an unexpected status for keywords", async () => {
    const t = fakeTransport(() => ({ status: 503, headers: { "content-length": "4" }, body: ["down"] }));
    const out = await runHttpCheck(monitor("http://a.example/", { keyword: "up" }), t.transport, t.deps);
    expect(out.error).toEqual({ kind: "status", message: "GET http://a.example/: got 503 Service Unavailable, expected 2xx" });
    expect(out.http).not.toHaveProperty("keyword_matched"); // the body was not judged
  });
});

describe("runHttpCheck: failures", () => {
  it("words a failed request through the transport, before any answer", async () => {
    const t = fakeTransport(() => "throw");
    const out = await runHttpCheck(monitor("http://a.example/"), t.transport, t.deps);
    expect(out).toEqual({
      ok: false,
      latency_ms: null,
      error: { kind: "connection", message: "GET http://a.example/: connection refused" },
    });
    expect(t.failures).toHaveLength(1);
    expect(t.ended).toEqual([false]);
  });

  it("words a failed body read as such, keeping the answer", async () => {
    const t = fakeTransport(() => ({ status: 200, body: ["abc"], bodyError: new Error("reset") }));
    const out = await runHttpCheck(monitor("http://a.example/", { keyword: "x" }), t.transport, t.deps);
    expect(out).toMatchObject({
      ok: false,
      error: { kind: "connection", message: "body of http://a.example/: reset" },
      http: { status: 200, content_length: 3 },
    });
  });

  it("times out within timeout_ms when the transport never answers, and tells the transport so", async () => {
    const t = fakeTransport((req) => (req.url.pathname === "/r/1" ? { status: 302, headers: { location: "/slow" } } : "hang"));
    const started = Date.now();
    const out = await runHttpCheck(monitor("http://a.example/r/1", {}, 150), t.transport, t.deps);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(out.error).toEqual({
      kind: "timeout",
      message: "timed out after 150 ms (timeout_ms) waiting for the response headers of GET http://a.example/slow (redirect 1)",
    });
    expect(t.sent[1]!.signal.aborted).toBe(true);
    expect(t.ended).toEqual([true]);
  });

  it("lets a bug out of the loop (the caller's runCheck reports it)", async () => {
    const t = fakeTransport(site());
    const broken = {
      now: () => {
        throw new RangeError("clock broke");
      },
    };
    await expect(runHttpCheck(monitor("http://a.example/echo"), t.transport, broken)).rejects.toThrow("clock broke");
    expect(t.ended).toEqual([false]);
  });
});
