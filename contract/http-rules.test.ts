// The HTTP check's shared rules on plain values; the edge and agent check tests run them against real local servers.
import { describe, expect, it } from "vitest";
import {
  MAX_BODY_BYTES,
  MAX_REDIRECTS,
  Stop,
  describeExpected,
  describeRequest,
  describeStatus,
  judgeKeywords,
  judgeStatus,
  parseContentLength,
  readLimited,
  redirectFrom,
  startProgress,
  type Answer,
  type BodyChunk,
  type Hop,
} from "./http-rules.ts";
import { HttpOptions } from "./monitor.ts";

const opts = (o: Partial<HttpOptions> = {}): HttpOptions => ({ ...HttpOptions.parse({}), ...o });
const answer = (status: number, headers: Record<string, string> = {}, reason = ""): Answer => ({
  status,
  reason,
  header: (n) => headers[n] ?? null,
});
const hop = (url: string, method = "GET", body: string | null = null): Hop => ({ url: new URL(url), method, body });

describe("wording", () => {
  it("describes expected statuses and status lines", () => {
    expect(describeExpected(["2xx"])).toBe("2xx");
    expect(describeExpected(["200", "204", "3xx"])).toBe("200, 204 or 3xx");
    expect(describeStatus({ status: 404, reason: "" })).toBe("404 Not Found");
    expect(describeStatus({ status: 404, reason: "Nope" })).toBe("404 Nope");
    expect(describeStatus({ status: 599, reason: "" })).toBe("599");
    expect(describeRequest("http://a/", hop("http://b/x"), 2)).toBe("GET http://b/x (after 2 redirects from http://a/)");
  });

  it("takes a Content-Length only when it is a plain safe integer", () => {
    expect(parseContentLength(" 12 ")).toBe(12);
    expect(parseContentLength("12, 12")).toBeNull();
    expect(parseContentLength("99999999999999999999")).toBeNull();
    expect(parseContentLength(null)).toBeNull();
  });
});

describe("redirectFrom", () => {
  it("ends at an answer that is not a followed redirect", () => {
    expect(redirectFrom("http://a/", opts(), hop("http://a/"), 0, answer(200))).toBeNull();
    expect(redirectFrom("http://a/", opts(), hop("http://a/"), 0, answer(302))).toBeNull();
    expect(redirectFrom("http://a/", opts({ follow_redirects: false }), hop("http://a/"), 0, answer(302, { location: "/b" }))).toBeNull();
  });

  it("rewrites POST to GET on 301/302/303 and drops the body headers; keeps it on 307", () => {
    const post = hop("http://a/", "POST", "{}");
    expect(redirectFrom("http://a/", opts(), post, 0, answer(302, { location: "/b" }))).toMatchObject({
      method: "GET",
      body: null,
      dropHeaders: expect.arrayContaining(["content-type"]),
    });
    expect(redirectFrom("http://a/", opts(), post, 0, answer(307, { location: "/b" }))).toEqual({
      url: new URL("http://a/b"),
      method: "POST",
      body: "{}",
      dropHeaders: [],
    });
  });

  it("drops credentials when the redirect leaves the monitor's origin", () => {
    expect(redirectFrom("http://a/", opts(), hop("http://a/"), 0, answer(301, { location: "http://b/" }))?.dropHeaders).toEqual([
      "authorization",
      "proxy-authorization",
      "cookie",
    ]);
  });

  it("stops on too many hops, an invalid Location or a non-http(s) target", () => {
    const stop = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof Stop ? e.error : e;
      }
      return null;
    };
    expect(stop(() => redirectFrom("http://a/", opts(), hop("http://a/"), MAX_REDIRECTS, answer(302, { location: "/" })))).toEqual({
      kind: "other",
      message: `too many redirects: http://a/ was still redirecting after ${MAX_REDIRECTS} hops (the limit); http://a/ answered 302 Found to / (it redirects to itself)`,
    });
    expect(stop(() => redirectFrom("http://a/", opts(), hop("http://a/"), 0, answer(302, { location: "http://[" })))).toEqual({
      kind: "other",
      message: 'GET http://a/ answered 302 Found with an invalid Location header: "http://["',
    });
    expect(stop(() => redirectFrom("http://a/", opts(), hop("http://a/"), 0, answer(302, { location: "ftp://b/" })))).toEqual({
      kind: "other",
      message: "GET http://a/ redirects to ftp://b/, which is not an http(s) URL",
    });
  });
});

describe("judgements", () => {
  it("reports Cloudflare's 52x as the origin being unreachable unless the exact code is expected", () => {
    expect(judgeStatus(opts(), answer(522, { "cf-ray": "abc" }), "GET http://a/")).toEqual({
      kind: "connection",
      message:
        "GET http://a/: got 522 from Cloudflare: connection timed out (Cloudflare could not complete a TCP connection to the origin) [cf-ray abc]",
    });
    expect(judgeStatus(opts({ expected_status: ["5xx"] }), answer(526), "w")?.kind).toBe("tls");
    expect(judgeStatus(opts({ expected_status: ["522"] }), answer(522), "w")).toBeNull();
  });

  it("names the Location of an unexpected redirect", () => {
    expect(judgeStatus(opts({ expected_status: ["200", "204"] }), answer(301, { location: "/x" }), "w")).toEqual({
      kind: "status",
      message: "w: got 301 Moved Permanently (Location: /x), expected 200 or 204",
    });
  });

  it("says when a missing keyword may lie past the truncated part", () => {
    expect(judgeKeywords(opts({ keyword: "ok", keyword_absent: "down" }), { text: "down", truncated: true }, "w")).toEqual({
      kind: "keyword",
      message: `w: keyword "ok" was not found in the body (the body was truncated: only its first ${MAX_BODY_BYTES} bytes were read); keyword_absent "down" was found in the body`,
    });
  });
});

describe("readLimited", () => {
  const source = (...sizes: number[]) => {
    const chunks = sizes.map((n) => new Uint8Array(n).fill(0x61));
    return async (): Promise<BodyChunk> => (chunks.length ? { value: chunks.shift()! } : { done: true });
  };

  it("reads exactly the limit without calling it truncated when nothing follows", async () => {
    const p = startProgress("GET", "http://a/");
    expect(await readLimited(source(MAX_BODY_BYTES - 1, 1), false, p)).toEqual({ text: "", truncated: false });
    expect(p).toMatchObject({ phase: "body", bytesRead: MAX_BODY_BYTES });
  });

  it("stops at the limit and says the body was truncated", async () => {
    const p = startProgress("GET", "http://a/");
    const read = await readLimited(source(MAX_BODY_BYTES - 1, 3), true, p);
    expect(read.truncated).toBe(true);
    expect(read.text).toHaveLength(MAX_BODY_BYTES);
    expect(p.bytesRead).toBe(MAX_BODY_BYTES);
  });
});
