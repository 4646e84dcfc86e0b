// The agent's HTTP check: the edge check's options and messages (edge/src/checks/http.ts), run with undici so private addresses work and failures are told apart.
import type { Dispatcher } from "undici";
import type { CheckError, HttpOptions } from "../../../contract/index.ts";
import type { AgentCheckDeps } from "./deps.ts";
import { clip, describeSocketError, errorCode } from "./tcp.ts";
import type { CheckFn, CheckOutcome } from "./types.ts";

// The constants and pure helpers below are copied from edge/src/checks/http.ts, not imported: that
// file uses TypeScript parameter properties, which Node's type stripping (how the agent runs) rejects.
// Keep the two in step; the edge file is the reference for wording.

/** Redirects followed at most; the 11th is an error. */
export const MAX_REDIRECTS = 10;
/** Bytes of a body read at most for keyword rules and byte counting; the rest is discarded unread. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Sent unless the monitor sets its own, so operators can recognise (and allow-list) the checks in their logs. */
export const USER_AGENT = "infra-uptime-monitor (agent http check)";

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const BODY_HEADERS = ["content-type", "content-length", "content-encoding", "content-language", "content-location"];
/** Credentials stay with the origin they were configured for (curl drops the same ones on a cross-origin redirect). */
const CREDENTIAL_HEADERS = ["authorization", "proxy-authorization", "cookie"];

/** Cloudflare's 52x answers mean it could not reach the origin, not that the origin answered badly. */
const CLOUDFLARE_ORIGIN_ERRORS: Record<number, { kind: CheckError["kind"]; meaning: string }> = {
  520: { kind: "connection", meaning: "web server returned an unknown error (empty, unknown or unexpected answer from the origin)" },
  521: { kind: "connection", meaning: "web server is down (the origin refused Cloudflare's connection)" },
  522: { kind: "connection", meaning: "connection timed out (Cloudflare could not complete a TCP connection to the origin)" },
  523: { kind: "connection", meaning: "origin is unreachable (Cloudflare found no route to the origin)" },
  524: { kind: "connection", meaning: "a timeout occurred (the origin accepted the connection but sent no HTTP answer in time)" },
  525: { kind: "tls", meaning: "SSL handshake failed (Cloudflare could not negotiate TLS with the origin)" },
  526: { kind: "tls", meaning: "invalid SSL certificate (the origin's certificate failed Cloudflare's validation)" },
  527: { kind: "connection", meaning: "Railgun error (the connection between Cloudflare and the origin's Railgun listener failed)" },
  530: { kind: "connection", meaning: "origin DNS error or other 1xxx error (Cloudflare could not resolve or use the origin)" },
};

/** Reason phrases; undici does not report the server's own. */
const REASONS: Record<number, string> = {
  200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 206: "Partial Content",
  301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified", 307: "Temporary Redirect", 308: "Permanent Redirect",
  400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout",
  409: "Conflict", 410: "Gone", 413: "Content Too Large", 418: "I'm a Teapot", 429: "Too Many Requests",
  500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
};

/** Whether `status` satisfies one of the expected codes ("200") or classes ("2xx"). */
export function statusMatches(expected: readonly string[], status: number): boolean {
  const code = String(status);
  return expected.some((e) => (e.endsWith("xx") ? e[0] === code[0] : e === code));
}

/** "2xx", "200 or 204", "200, 204 or 3xx". */
function describeExpected(expected: readonly string[]): string {
  if (expected.length <= 1) return expected.join("");
  return `${expected.slice(0, -1).join(", ")} or ${expected.at(-1)}`;
}

const describeStatus = (status: number) => (REASONS[status] ? `${status} ${REASONS[status]}` : String(status));

/** One response header as a string (undici gives repeated headers as arrays). */
function header(res: Dispatcher.ResponseData, name: string): string | null {
  const v = res.headers[name];
  if (v === undefined) return null;
  return Array.isArray(v) ? (v[0] ?? null) : String(v);
}

/** Drops a response body unread (or the rest of it); destroying it unread emits an abort error nobody needs. */
function discard(res: Dispatcher.ResponseData) {
  if (res.body.destroyed) return;
  res.body.on("error", () => {});
  res.body.destroy();
}

/** Ends the check with a given error; never escapes checkHttp. */
class Stop extends Error {
  error: CheckError;
  constructor(error: CheckError) {
    super(error.message);
    this.error = error;
  }
}

/** A failure of the network or the target (request or body read), as opposed to a bug in the check. */
class NetworkFailure extends Error {
  original: unknown;
  constructor(original: unknown) {
    super(original instanceof Error ? original.message : String(original));
    this.original = original;
  }
}

type Guard = <T>(call: () => Promise<T>) => Promise<T>;

/** What the check knows so far; used to word the error of whatever went wrong. */
interface Progress {
  method: string;
  url: string;
  redirects: number;
  phase: "request" | "body";
  bytesRead: number;
  response: Dispatcher.ResponseData | null;
  contentLength: number | null;
  latency: number | null;
}

export const checkHttp: CheckFn<"http", AgentCheckDeps> = async (monitor, deps) => {
  const opts = monitor.http;
  const progress: Progress = {
    method: opts.method,
    url: monitor.target,
    redirects: 0,
    phase: "request",
    bytesRead: 0,
    response: null,
    contentLength: null,
    latency: null,
  };
  // One signal for the whole check: every hop and the body read share the monitor's timeout_ms.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`timeout_ms ${monitor.timeout_ms} elapsed`)), monitor.timeout_ms);
  const aborted = new Promise<never>((_, reject) =>
    controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true }),
  );
  aborted.catch(() => {});
  const guard: Guard = async (call) => {
    const p = (async () => call())();
    p.catch(() => {}); // the loser of the race must not surface as an unhandled rejection
    try {
      return await Promise.race([p, aborted]);
    } catch (e) {
      throw controller.signal.aborted ? e : new NetworkFailure(e);
    }
  };

  try {
    return await run(monitor.target, opts, deps, progress, controller.signal, guard);
  } catch (e) {
    let error: CheckError;
    if (controller.signal.aborted) error = timeoutError(monitor.timeout_ms, progress);
    else if (e instanceof Stop) error = e.error;
    else if (e instanceof NetworkFailure) error = failureError(e.original, progress);
    else throw e; // a bug, not a failing target: runCheck reports it
    return outcome(false, progress, { kind: error.kind, message: clip(error.message) });
  } finally {
    clearTimeout(timer);
    if (progress.response) discard(progress.response);
  }
};

function outcome(ok: boolean, p: Progress, error: CheckError | null): CheckOutcome {
  const out: CheckOutcome = { ok, latency_ms: p.latency, error };
  if (p.response) out.http = { status: p.response.statusCode, content_length: p.contentLength ?? p.bytesRead };
  return out;
}

async function run(
  target: string,
  opts: HttpOptions,
  deps: AgentCheckDeps,
  p: Progress,
  signal: AbortSignal,
  guard: Guard,
): Promise<CheckOutcome> {
  const origin = new URL(target).origin;
  let url = new URL(target);
  let method: string = opts.method;
  let body: string | null = opts.body;
  // Header names are case-insensitive: kept lower-cased so that deleting one on a redirect removes it whatever its spelling.
  const headers = new Map(Object.entries(opts.headers).map(([k, v]) => [k.toLowerCase(), v]));
  if (!headers.has("user-agent")) headers.set("user-agent", USER_AGENT);
  if (body !== null && (method === "GET" || method === "HEAD"))
    throw new Stop({
      kind: "other",
      message: `${method} ${target}: a ${method} request cannot carry a body; set http.method to POST, PUT or PATCH, or remove http.body`,
    });

  const start = deps.now();
  let res: Dispatcher.ResponseData;
  for (;;) {
    p.method = method;
    p.url = url.href;
    p.response = null;
    p.latency = null;
    const hop = url;
    const hopMethod = method as Dispatcher.HttpMethod;
    const hopHeaders = Object.fromEntries(headers);
    // reset: a fresh connection per check, so a check measures (and can fail) the connect as a client would.
    res = await guard(() =>
      deps.dispatcher.request({ origin: hop.origin, path: `${hop.pathname}${hop.search}`, method: hopMethod, headers: hopHeaders, body, signal, reset: true }),
    );
    p.response = res;
    p.latency = Math.max(0, deps.now() - start);
    p.contentLength = parseContentLength(header(res, "content-length"));

    const location = header(res, "location");
    if (!opts.follow_redirects || !REDIRECT_STATUSES.has(res.statusCode) || location === null) break;
    if (p.redirects === MAX_REDIRECTS) {
      const loop = new URL(location, url).href === url.href ? " (it redirects to itself)" : "";
      throw new Stop({
        kind: "other",
        message: `too many redirects: ${target} was still redirecting after ${MAX_REDIRECTS} hops (the limit); ${url.href} answered ${describeStatus(res.statusCode)} to ${location}${loop}`,
      });
    }
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new Stop({ kind: "other", message: `${method} ${url.href} answered ${describeStatus(res.statusCode)} with an invalid Location header: ${JSON.stringify(location)}` });
    }
    if (next.protocol !== "http:" && next.protocol !== "https:")
      throw new Stop({ kind: "other", message: `${method} ${url.href} redirects to ${next.href}, which is not an http(s) URL` });
    discard(res);

    // Method rewriting as browsers do (fetch spec, HTTP redirect fetch step 12).
    if ((res.statusCode === 303 && method !== "HEAD") || ((res.statusCode === 301 || res.statusCode === 302) && method === "POST")) {
      method = "GET";
      body = null;
      for (const h of BODY_HEADERS) headers.delete(h);
    }
    if (next.origin !== origin) for (const h of CREDENTIAL_HEADERS) headers.delete(h);
    url = next;
    p.redirects++;
  }

  const where = p.redirects > 0 ? `${method} ${url.href} (after ${p.redirects} redirect${p.redirects > 1 ? "s" : ""} from ${target})` : `${method} ${url.href}`;
  const statusError = judgeStatus(opts, res, where);

  // The body is read only when a rule needs its text, or to count its bytes when no Content-Length says it.
  const needText = statusError === null && (opts.keyword !== null || opts.keyword_absent !== null);
  const read = needText || p.contentLength === null ? await readBody(res, needText, p, guard) : null;
  if (!read) discard(res);

  if (statusError) return outcome(false, p, statusError);
  const keywordError = read ? judgeKeywords(opts, read, where) : null;
  return outcome(keywordError === null, p, keywordError);
}

function parseContentLength(v: string | null): number | null {
  if (v === null || !/^\s*\d+\s*$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

function judgeStatus(opts: HttpOptions, res: Dispatcher.ResponseData, where: string): CheckError | null {
  const expected = opts.expected_status;
  const status = res.statusCode;
  const cf = CLOUDFLARE_ORIGIN_ERRORS[status];
  // Only an exact "52x" in expected_status opts out: a "5xx" class is about the origin's own answers.
  if (cf && !expected.includes(String(status))) {
    const ray = header(res, "cf-ray");
    return { kind: cf.kind, message: `${where}: got ${status} from Cloudflare: ${cf.meaning}${ray ? ` [cf-ray ${ray}]` : ""}` };
  }
  if (statusMatches(expected, status)) return null;
  const location = REDIRECT_STATUSES.has(status) ? header(res, "location") : null;
  return {
    kind: "status",
    message: `${where}: got ${describeStatus(status)}${location !== null ? ` (Location: ${location})` : ""}, expected ${describeExpected(expected)}`,
  };
}

interface BodyRead {
  text: string;
  truncated: boolean;
}

/** Reads at most MAX_BODY_BYTES of the body, decoding it only when `decode`; discards the rest. */
async function readBody(res: Dispatcher.ResponseData, decode: boolean, p: Progress, guard: Guard): Promise<BodyRead> {
  p.phase = "body";
  p.bytesRead = 0;
  const chunks = res.body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const decoder = new TextDecoder();
  let text = "";
  let truncated = false;
  try {
    for (;;) {
      const { done, value } = await guard(() => chunks.next());
      if (done) break;
      const room = MAX_BODY_BYTES - p.bytesRead;
      const chunk = value.byteLength > room ? value.subarray(0, room) : value;
      p.bytesRead += chunk.byteLength;
      if (decode) text += decoder.decode(chunk, { stream: true });
      if (value.byteLength > room || p.bytesRead >= MAX_BODY_BYTES) {
        // Reaching exactly the limit also stops: one more read could only tell whether more follows.
        truncated = value.byteLength > room || !(await guard(() => chunks.next())).done;
        break;
      }
    }
    if (decode) text += decoder.decode();
  } finally {
    discard(res);
  }
  return { text, truncated };
}

function judgeKeywords(opts: HttpOptions, body: BodyRead, where: string): CheckError | null {
  const problems: string[] = [];
  const limit = body.truncated ? ` (the body was truncated: only its first ${MAX_BODY_BYTES} bytes were read)` : "";
  // Case-sensitive, like a plain substring search: "Error" and "error" are different keywords.
  if (opts.keyword !== null && !body.text.includes(opts.keyword))
    problems.push(`keyword ${JSON.stringify(opts.keyword)} was not found in the body${limit}`);
  if (opts.keyword_absent !== null && body.text.includes(opts.keyword_absent))
    problems.push(`keyword_absent ${JSON.stringify(opts.keyword_absent)} was found in the body`);
  return problems.length ? { kind: "keyword", message: `${where}: ${problems.join("; ")}` } : null;
}

function timeoutError(timeoutMs: number, p: Progress): CheckError {
  const doing =
    p.phase === "body"
      ? `while reading the body of ${p.url} (${p.bytesRead} bytes read after ${p.response ? describeStatus(p.response.statusCode) : "the answer"})`
      : `waiting for the response headers of ${p.method} ${p.url}${p.redirects ? ` (redirect ${p.redirects})` : ""}`;
  return { kind: "timeout", message: `timed out after ${timeoutMs} ms (timeout_ms) ${doing}` };
}

/** A thrown request or body error, worded by what Node and undici say it was. */
function failureError(e: unknown, p: Progress): CheckError {
  const raw = e instanceof Error ? e.message : String(e);
  const code = errorCode(e);
  if (p.phase === "body")
    return { kind: "connection", message: `connection lost while reading the body of ${p.url} (after ${p.bytesRead} bytes): ${raw}${code ? ` (${code})` : ""}` };
  const where = `${p.method} ${p.url}`;
  if (code === "UND_ERR_SOCKET" || code === "ECONNRESET")
    return { kind: "connection", message: `${where}: the server closed or reset the connection before answering (${raw})` };
  if (code?.startsWith("HPE_") || (e instanceof Error && e.name === "HTTPParserError"))
    return { kind: "connection", message: `${where}: the answer is not valid HTTP: ${raw}${code ? ` (${code})` : ""}` };
  if (code === "UND_ERR_INVALID_ARG" || (e instanceof TypeError && code === undefined))
    return { kind: "other", message: `${where}: the request could not be made: ${raw}` };
  return describeSocketError(e, where);
}
