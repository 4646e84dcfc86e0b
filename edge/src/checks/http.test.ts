// The edge HTTP check in the real Workers runtime, against the local targets of test/services/targets.ts.
import { describe, expect, inject, it } from "vitest";
import { EDGE_KINDS, Monitor, type HttpOptions, type MonitorInput, type MonitorSpec } from "../../../contract/index.ts";
import { MAX_BODY_BYTES, MAX_REDIRECTS, statusMatches } from "../../../contract/http-rules.ts";
import { USER_AGENT, checkHttp } from "./http.ts";
import { EDGE_CHECKS, runCheck } from "./index.ts";
import type { CheckDeps } from "./types.ts";

declare module "vitest" {
  // Provided by test/global-setup-targets.ts (declared there too, for the node-side typecheck).
  export interface ProvidedContext {
    targetsUrl: string;
    altTargetsUrl: string;
    refusedUrl: string;
  }
}

const base = inject("targetsUrl");
const altBase = inject("altTargetsUrl");
const refusedUrl = inject("refusedUrl");
/** Same string as KEYWORD_AFTER_MIB in test/services/targets.ts (that module is node-only). */
const KEYWORD_AFTER_MIB = "needle-after-one-mebibyte";

// workerd's clocks advance only across I/O; performance.now() and Date.now() both move when the
// response headers arrive (observed: identical, whole milliseconds), which is all latency needs.
const deps: CheckDeps = { fetch: (input, init) => fetch(input, init), now: () => performance.now() };

function monitor(target: string, http: Partial<HttpOptions> = {}, extra: Partial<MonitorInput> = {}) {
  return Monitor.parse({ id: "t", kind: "http", target, timeout_ms: 5000, http, ...extra }) as Extract<MonitorSpec, { kind: "http" }>;
}
const check = (target: string, http: Partial<HttpOptions> = {}, extra: Partial<MonitorInput> = {}) =>
  checkHttp(monitor(target, http, extra), deps);

async function echo(
  target: string,
  http: Partial<HttpOptions> = {},
): Promise<{ method: string; url: string; headers: Record<string, string>; body: string }> {
  const m = monitor(target, http);
  // The check does not return the body: keep a clone of the final answer to read what the echo route saw.
  let seen: Response | undefined;
  const spy: CheckDeps = {
    ...deps,
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      if (res.status === 200) seen = res.clone();
      return res;
    },
  };
  const out = await checkHttp(m, spy);
  expect(out.error).toBeNull();
  return (await seen!.json()) as any;
}

describe("status", () => {
  it("a 200 answer is up, with status, content_length from the header and a latency", async () => {
    const out = await check(`${base}/status/200`);
    expect(out).toMatchObject({ ok: true, error: null, http: { status: 200, content_length: "status 200\n".length } });
    expect(out.latency_ms).toBeTypeOf("number");
  });

  it("an unexpected status is a status error naming what came and what was expected", async () => {
    const out = await check(`${base}/status/503`);
    expect(out.ok).toBe(false);
    expect(out.http).toEqual({ status: 503, content_length: "status 503\n".length });
    expect(out.error).toEqual({ kind: "status", message: `GET ${base}/status/503: got 503 Service Unavailable, expected 2xx` });
  });

  it("expected_status takes exact codes and classes", async () => {
    expect((await check(`${base}/status/404`, { expected_status: ["404"] })).ok).toBe(true);
    expect((await check(`${base}/status/418`, { expected_status: ["4xx"] })).ok).toBe(true);
    expect((await check(`${base}/status/204`, { expected_status: ["200", "204"] })).ok).toBe(true);
    const out = await check(`${base}/status/404`, { expected_status: ["200", "204", "3xx"] });
    expect(out.error?.message).toBe(`GET ${base}/status/404: got 404 Not Found, expected 200, 204 or 3xx`);
    expect((await check(`${base}/status/200`, { expected_status: ["201"] })).error?.kind).toBe("status");
  });

  it("statusMatches compares codes exactly and classes by first digit", () => {
    expect(statusMatches(["2xx"], 299)).toBe(true);
    expect(statusMatches(["2xx"], 300)).toBe(false);
    expect(statusMatches(["301"], 301)).toBe(true);
    expect(statusMatches(["301"], 302)).toBe(false);
  });

  it("Cloudflare's 52x answers are origin failures: connection, or tls for 525/526, saying what the code means", async () => {
    const cases: [number, string, string][] = [
      [520, "connection", "web server returned an unknown error"],
      [521, "connection", "web server is down"],
      [522, "connection", "connection timed out"],
      [523, "connection", "origin is unreachable"],
      [524, "connection", "a timeout occurred"],
      [525, "tls", "SSL handshake failed"],
      [526, "tls", "invalid SSL certificate"],
      [530, "connection", "origin DNS error"],
    ];
    for (const [code, kind, meaning] of cases) {
      const out = await check(`${base}/status/${code}`);
      expect(out.ok, String(code)).toBe(false);
      expect(out.http?.status).toBe(code);
      expect(out.error?.kind, String(code)).toBe(kind);
      expect(out.error?.message, String(code)).toContain(`GET ${base}/status/${code}: got ${code} from Cloudflare: ${meaning}`);
    }
  });

  it("a 52x the monitor names exactly is an ordinary expected status; a 5xx class does not opt out", async () => {
    expect(await check(`${base}/status/522`, { expected_status: ["522"] })).toMatchObject({ ok: true, error: null });
    expect((await check(`${base}/status/522`, { expected_status: ["5xx"] })).error?.kind).toBe("connection");
    // Not a 52x: a plain 500 stays a status error.
    expect((await check(`${base}/status/500`)).error?.kind).toBe("status");
  });
});

describe("request options", () => {
  it("sends method, headers and body as configured, with a default User-Agent", async () => {
    const seen = await echo(`${base}/echo?x=1`, {
      method: "POST",
      headers: { "X-Check": "yes", "Content-Type": "application/json" },
      body: '{"ping":1}',
    });
    expect(seen.method).toBe("POST");
    expect(seen.url).toBe("/echo?x=1");
    expect(seen.headers["x-check"]).toBe("yes");
    expect(seen.headers["content-type"]).toBe("application/json");
    expect(seen.headers["user-agent"]).toBe(USER_AGENT);
    expect(seen.body).toBe('{"ping":1}');
  });

  it("a configured User-Agent replaces the default; PUT, PATCH and DELETE go out as such", async () => {
    expect((await echo(`${base}/echo`, { headers: { "user-agent": "mine/1.0" } })).headers["user-agent"]).toBe("mine/1.0");
    for (const method of ["PUT", "PATCH", "DELETE", "OPTIONS"] as const)
      expect((await echo(`${base}/echo`, { method })).method).toBe(method);
  });

  it("HEAD reads no body and takes content_length from the header", async () => {
    const out = await check(`${base}/status/200`, { method: "HEAD" });
    expect(out).toMatchObject({ ok: true, http: { status: 200, content_length: "status 200\n".length } });
  });

  it("a body on GET is a configuration error, reported rather than silently dropped", async () => {
    const out = await check(`${base}/echo`, { method: "GET", body: "x" });
    expect(out.ok).toBe(false);
    expect(out.error?.kind).toBe("other");
    expect(out.error?.message).toContain("a GET request cannot carry a body");
    expect(out.http).toBeUndefined();
  });
});

describe("redirects", () => {
  it("follows relative and absolute Location headers to the final answer", async () => {
    for (const q of ["", "?abs=1"]) {
      const out = await check(`${base}/chain/3${q}`, { keyword: "chain end" });
      expect(out, q).toMatchObject({ ok: true, error: null, http: { status: 200, content_length: "chain end\n".length } });
    }
  });

  it(`follows exactly ${MAX_REDIRECTS} hops, and stops with an 'other' error at ${MAX_REDIRECTS + 1}`, async () => {
    expect((await check(`${base}/chain/${MAX_REDIRECTS}`)).ok).toBe(true);
    const out = await check(`${base}/chain/${MAX_REDIRECTS + 1}?abs=1`);
    expect(out.ok).toBe(false);
    expect(out.error?.kind).toBe("other");
    expect(out.error?.message).toContain(
      `too many redirects: ${base}/chain/${MAX_REDIRECTS + 1}?abs=1 was still redirecting after ${MAX_REDIRECTS} hops`,
    );
    expect(out.http?.status).toBe(302);
  });

  it("a redirect loop ends at the limit and says so", async () => {
    const out = await check(`${base}/loop`);
    expect(out.error?.kind).toBe("other");
    expect(out.error?.message).toContain("too many redirects");
    expect(out.error?.message).toContain("redirects to itself");
  });

  it("with follow_redirects off the 3xx is the answer, judged by expected_status", async () => {
    const off = await check(`${base}/redirect?to=/status/200`, { follow_redirects: false });
    expect(off.error).toEqual({
      kind: "status",
      message: `GET ${base}/redirect?to=/status/200: got 302 Found (Location: /status/200), expected 2xx`,
    });
    expect(off.http?.status).toBe(302);
    expect(await check(`${base}/redirect?to=/status/200`, { follow_redirects: false, expected_status: ["3xx"] })).toMatchObject({
      ok: true,
      http: { status: 302 },
    });
    expect((await check(`${base}/redirect?to=/status/200`)).http?.status).toBe(200);
  });

  it("status errors after redirects name the final URL and where it started", async () => {
    const out = await check(`${base}/redirect?to=/status/404`);
    expect(out.error?.message).toBe(
      `GET ${base}/status/404 (after 1 redirect from ${base}/redirect?to=/status/404): got 404 Not Found, expected 2xx`,
    );
  });

  it("303 turns POST into GET without a body; 301/302 do the same for POST, as browsers do", async () => {
    for (const code of [303, 301, 302]) {
      const seen = await echo(`${base}/redirect?code=${code}&to=/echo`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      expect(seen.method, String(code)).toBe("GET");
      expect(seen.body, String(code)).toBe("");
      expect(seen.headers["content-type"], String(code)).toBeUndefined();
    }
  });

  it("307 and 308 keep method and body; 303 after PUT becomes GET", async () => {
    for (const code of [307, 308]) {
      const seen = await echo(`${base}/redirect?code=${code}&to=/echo`, { method: "PUT", body: "payload" });
      expect(seen, String(code)).toMatchObject({ method: "PUT", body: "payload" });
    }
    expect((await echo(`${base}/redirect?code=303&to=/echo`, { method: "PUT", body: "payload" })).method).toBe("GET");
  });

  it("credentials stay with their origin: Authorization and Cookie are dropped on a cross-origin redirect", async () => {
    const headers = { authorization: "Bearer s3cret", cookie: "a=b", "x-other": "kept" };
    const same = await echo(`${base}/redirect?to=/echo`, { headers });
    expect(same.headers).toMatchObject(headers);
    const cross = await echo(`${base}/redirect?to=${encodeURIComponent(`${altBase}/echo`)}`, { headers });
    expect(cross.headers.authorization).toBeUndefined();
    expect(cross.headers.cookie).toBeUndefined();
    expect(cross.headers["x-other"]).toBe("kept");
  });

  it("a Location that is not http(s) is an 'other' error", async () => {
    const out = await check(`${base}/redirect?to=${encodeURIComponent("ftp://example.invalid/x")}`);
    expect(out.error?.kind).toBe("other");
    expect(out.error?.message).toContain("not an http(s) URL");
  });
});

describe("keywords", () => {
  it("keyword must appear in the body (case-sensitive)", async () => {
    const url = `${base}/text?body=${encodeURIComponent("Hello, World")}`;
    expect(await check(url, { keyword: "World" })).toMatchObject({ ok: true, error: null });
    const out = await check(url, { keyword: "world" });
    expect(out.ok).toBe(false);
    expect(out.http?.status).toBe(200);
    expect(out.error).toEqual({ kind: "keyword", message: `GET ${url}: keyword "world" was not found in the body` });
  });

  it("keyword_absent must not appear; both rules failing are both named", async () => {
    const url = `${base}/text?body=${encodeURIComponent("status: degraded")}`;
    expect((await check(url, { keyword_absent: "error" })).ok).toBe(true);
    const out = await check(url, { keyword_absent: "degraded" });
    expect(out.error).toEqual({ kind: "keyword", message: `GET ${url}: keyword_absent "degraded" was found in the body` });
    const both = await check(url, { keyword: "ok", keyword_absent: "degraded" });
    expect(both.error?.message).toBe(`GET ${url}: keyword "ok" was not found in the body; keyword_absent "degraded" was found in the body`);
  });

  it("reads at most 1 MiB: a keyword after it is not found and the message says the body was truncated", async () => {
    const out = await check(`${base}/big-keyword`, { keyword: KEYWORD_AFTER_MIB });
    expect(out.ok).toBe(false);
    expect(out.error?.kind).toBe("keyword");
    expect(out.error?.message).toContain(
      `keyword "${KEYWORD_AFTER_MIB}" was not found in the body (the body was truncated: only its first ${MAX_BODY_BYTES} bytes were read)`,
    );
    expect(out.http).toEqual({ status: 200, content_length: MAX_BODY_BYTES + KEYWORD_AFTER_MIB.length + 1, keyword_matched: false });
    // Within the first MiB the same body matches, and keyword_absent cannot see past the limit either.
    expect((await check(`${base}/big-keyword`, { keyword: "aaaa" })).ok).toBe(true);
    expect((await check(`${base}/big-keyword`, { keyword_absent: KEYWORD_AFTER_MIB })).ok).toBe(true);
  });

  it("a keyword spanning a multi-byte character decodes correctly", async () => {
    const url = `${base}/text?body=${encodeURIComponent("température: 21°C ✓")}`;
    expect((await check(url, { keyword: "21°C ✓" })).ok).toBe(true);
  });

  it("an endless body is cancelled after 1 MiB, long before the timeout, and the server sees the stream end", async () => {
    const id = crypto.randomUUID();
    const started = Date.now();
    const out = await check(`${base}/endless?id=${id}`, { keyword: "zzz" }, { timeout_ms: 10_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(out.error?.kind).toBe("keyword");
    expect(out.error?.message).toContain("truncated");
    // No Content-Length: content_length is the bytes read, which stop at the limit.
    expect(out.http).toEqual({ status: 200, content_length: MAX_BODY_BYTES, keyword_matched: false });
    type Stats = { bytes: number; closed: boolean } | null;
    const stats = async () => (await (await fetch(`${base}/endless-stats?id=${id}`)).json()) as Stats;
    let last = await stats();
    for (let i = 0; i < 50 && !last?.closed; i++) {
      await new Promise((r) => setTimeout(r, 50));
      last = await stats();
    }
    expect(last?.closed).toBe(true);
  });

  it("without keyword rules and without Content-Length, content_length counts the body bytes", async () => {
    expect(await check(`${base}/chunked?body=abcdef`)).toMatchObject({ ok: true, http: { status: 200, content_length: 6 } });
    expect(await check(`${base}/endless?id=${crypto.randomUUID()}`)).toMatchObject({
      ok: true,
      http: { status: 200, content_length: MAX_BODY_BYTES },
    });
  });
});

describe("timing", () => {
  it("latency of a target answering after 200 ms is at least 200 ms and not much more", async () => {
    const out = await check(`${base}/slow?ms=200`);
    expect(out.ok).toBe(true);
    expect(out.latency_ms).toBeGreaterThanOrEqual(200);
    expect(out.latency_ms).toBeLessThan(1000);
  });

  it("latency stops at the response headers: a slow body does not count", async () => {
    const out = await check(`${base}/slow-body?ms=400`, { keyword: "end" });
    expect(out.ok).toBe(true);
    expect(out.latency_ms).toBeLessThan(300);
  });

  it("latency covers every redirect hop, not only the last", async () => {
    const out = await check(`${base}/redirect?ms=200&to=${encodeURIComponent("/slow?ms=100")}`);
    expect(out.ok).toBe(true);
    expect(out.latency_ms).toBeGreaterThanOrEqual(300);
    expect(out.latency_ms).toBeLessThan(800);
  });

  it("timeout_ms is enforced while waiting for headers: kind timeout, message names the limit, fires near it", async () => {
    const started = Date.now();
    const out = await check(`${base}/slow?ms=3000`, {}, { timeout_ms: 300 });
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(300);
    expect(took).toBeLessThan(1500);
    expect(out).toMatchObject({ ok: false, latency_ms: null });
    expect(out.http).toBeUndefined();
    expect(out.error).toEqual({
      kind: "timeout",
      message: `timed out after 300 ms (timeout_ms) waiting for the response headers of GET ${base}/slow?ms=3000`,
    });
  });

  it("the same timeout covers the body read", async () => {
    const started = Date.now();
    const out = await check(`${base}/slow-body?ms=3000`, { keyword: "end" }, { timeout_ms: 300 });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(out.error?.kind).toBe("timeout");
    expect(out.error?.message).toContain(`timed out after 300 ms (timeout_ms) while reading the body of ${base}/slow-body?ms=3000`);
    expect(out.http?.status).toBe(200);
    expect(out.latency_ms).toBeTypeOf("number");
  });

  it("the same timeout covers the whole redirect chain", async () => {
    const started = Date.now();
    const out = await check(`${base}/redirect?to=${encodeURIComponent("/slow?ms=3000")}`, {}, { timeout_ms: 300 });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(out.error?.kind).toBe("timeout");
    expect(out.error?.message).toContain(`${base}/slow?ms=3000 (redirect 1)`);
  });

  it("a fetch that throws synchronously still yields an outcome, not an exception", async () => {
    const throwing: CheckDeps = {
      ...deps,
      fetch: () => {
        throw new TypeError("Fetch API cannot load: bad");
      },
    };
    const out = await checkHttp(monitor(`${base}/status/200`), throwing);
    expect(out.error).toEqual({
      kind: "other",
      message: `GET ${base}/status/200: the request could not be made: Fetch API cannot load: bad`,
    });
  });

  it("the timeout holds even when fetch ignores its signal", async () => {
    const hang: CheckDeps = { ...deps, fetch: () => new Promise<Response>(() => {}) };
    const started = Date.now();
    const out = await checkHttp(monitor(`${base}/status/200`, {}, { timeout_ms: 200 }), hang);
    expect(Date.now() - started).toBeLessThan(800);
    expect(out.error?.kind).toBe("timeout");
  });
});

describe("connection failures (what workerd reports)", () => {
  it("a refused port: workerd says 'Network connection lost.'; reported as connection with the URL", async () => {
    const out = await check(refusedUrl);
    expect(out).toMatchObject({ ok: false, latency_ms: null });
    expect(out.http).toBeUndefined();
    expect(out.error?.kind).toBe("connection");
    expect(out.error?.message).toMatch(
      new RegExp(`^GET ${refusedUrl.replace(/[.?]/g, "\\$&")}: Network connection lost\\. \\(the port refused the connection`),
    );
  });

  it("a connection reset before any answer reads the same", async () => {
    const out = await check(`${base}/reset`);
    expect(out.error?.kind).toBe("connection");
    expect(out.error?.message).toContain(`GET ${base}/reset: Network connection lost.`);
  });

  it("a reset in the middle of the body is a connection error after the answer arrived", async () => {
    const out = await check(`${base}/reset-body`, { keyword: "never" });
    expect(out.error?.kind).toBe("connection");
    expect(out.error?.message).toContain(`connection lost while reading the body of ${base}/reset-body (after 8 bytes)`);
    expect(out.http).toEqual({ status: 200, content_length: 100000 });
  });

  it("an unknown host (a reserved .invalid name): workerd says 'internal error'; reported as connection", async () => {
    const out = await check("http://no-such-host.invalid/");
    expect(out.error?.kind).toBe("connection");
    expect(out.error?.message).toMatch(/^GET http:\/\/no-such-host\.invalid\/: internal error.*host name did not resolve/);
  });

  it("a failed TLS handshake (https to a plain-http port) reads the same 'internal error'", async () => {
    const url = `https://127.0.0.1:${new URL(base).port}/status/200`;
    const out = await check(url);
    expect(out.error?.kind).toBe("connection");
    expect(out.error?.message).toContain(`GET ${url}: internal error`);
    expect(out.error?.message).toContain("TLS handshake failed");
  });
});

describe("registry", () => {
  it("has exactly one check per edge kind", () => {
    expect(Object.keys(EDGE_CHECKS).sort()).toEqual([...EDGE_KINDS].sort());
    expect(EDGE_CHECKS.http).toBe(checkHttp);
  });

  it("runCheck dispatches to the kind's check", async () => {
    expect(await runCheck(monitor(`${base}/status/200`), deps)).toMatchObject({ ok: true, http: { status: 200 } });
    expect((await runCheck(monitor(`${base}/status/500`), deps)).error?.kind).toBe("status");
  });

  it("runCheck turns an unexpected exception into an 'other' outcome", async () => {
    const broken: CheckDeps = {
      ...deps,
      now: () => {
        throw new RangeError("clock broke");
      },
    };
    const out = await runCheck(monitor(`${base}/status/200`), broken);
    expect(out).toEqual({
      ok: false,
      latency_ms: null,
      error: { kind: "other", message: `the http check of ${base}/status/200 failed unexpectedly: RangeError: clock broke` },
    });
  });

  it("runCheck refuses kinds that run on agents", async () => {
    const tcp = Monitor.parse({ id: "db", kind: "tcp", target: "127.0.0.1:5432" });
    const out = await runCheck(tcp, deps);
    expect(out.ok).toBe(false);
    expect(out.error?.kind).toBe("other");
    expect(out.error?.message).toContain("tcp monitors cannot run on the edge");
  });
});
