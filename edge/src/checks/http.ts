// The edge HTTP check: one request (plus redirects) against a monitor's URL, judged by its `http` options.
import type { CheckError, HttpOptions } from "../../../contract/index.ts";
import type { CheckDeps, CheckFn, CheckOutcome } from "./types.ts";

/** Redirects followed at most; the 11th is an error, as in curl's and browsers' defaults of the same order. */
export const MAX_REDIRECTS = 10;
/** Bytes of a body read at most for keyword rules and byte counting; the rest is cancelled unread. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Sent unless the monitor sets its own, so operators can recognise (and allow-list) the checks in their logs. */
export const USER_AGENT = "infra-uptime-monitor (edge http check)";

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const BODY_HEADERS = ["content-type", "content-length", "content-encoding", "content-language", "content-location"];
/** Credentials stay with the origin they were configured for (curl drops the same ones on a cross-origin redirect). */
const CREDENTIAL_HEADERS = ["authorization", "proxy-authorization", "cookie"];
const MAX_MESSAGE = 2000;

/**
 * Cloudflare's 52x answers: its edge relays that it could not get an answer from the origin.
 * They mean the origin is unreachable, not that it answered badly, so they are reported as such.
 */
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

/** Reason phrases for when the response carries none (HTTP/2 has no reason phrase). */
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

function describeStatus(res: Response): string {
  const reason = res.statusText || REASONS[res.status] || "";
  return reason ? `${res.status} ${reason}` : String(res.status);
}

const clip = (s: string) => (s.length <= MAX_MESSAGE ? s : `${s.slice(0, MAX_MESSAGE - 1)}…`);

/** Thrown inside the check to end it with a given error; never escapes checkHttp. */
class Stop extends Error {
  constructor(readonly error: CheckError) {
    super(error.message);
  }
}

/** A failure of the network or the target (fetch or body read), as opposed to a bug in the check. */
class NetworkFailure extends Error {
  constructor(readonly original: unknown) {
    super(original instanceof Error ? original.message : String(original));
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
  response: Response | null;
  contentLength: number | null;
  latency: number | null;
}

export const checkHttp: CheckFn<"http"> = async (monitor, deps) => {
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
  // Racing every await against this also bounds a fetch that ignores its signal.
  const aborted = new Promise<never>((_, reject) =>
    controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true }),
  );
  aborted.catch(() => {});
  // Every network call goes through this: bounded by the timeout, and its failures told apart from bugs.
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
    progress.response?.body?.cancel().catch(() => {});
  }
};

function outcome(ok: boolean, p: Progress, error: CheckError | null): CheckOutcome {
  const out: CheckOutcome = { ok, latency_ms: p.latency, error };
  if (p.response) out.http = { status: p.response.status, content_length: p.contentLength ?? p.bytesRead };
  return out;
}

async function run(
  target: string,
  opts: HttpOptions,
  deps: CheckDeps,
  p: Progress,
  signal: AbortSignal,
  guard: Guard,
): Promise<CheckOutcome> {
  const origin = new URL(target).origin;
  let url = new URL(target);
  let method: string = opts.method;
  let body: string | null = opts.body;
  const headers = new Headers(opts.headers);
  if (!headers.has("user-agent")) headers.set("user-agent", USER_AGENT);
  if (body !== null && (method === "GET" || method === "HEAD"))
    throw new Stop({
      kind: "other",
      message: `${method} ${target}: a ${method} request cannot carry a body; set http.method to POST, PUT or PATCH, or remove http.body`,
    });

  const start = deps.now();
  let res: Response;
  for (;;) {
    p.method = method;
    p.url = url.href;
    p.response = null;
    p.latency = null;
    res = await guard(() => deps.fetch(url.href, { method, headers, body, redirect: "manual", signal }));
    p.response = res;
    p.latency = Math.max(0, deps.now() - start);
    p.contentLength = parseContentLength(res.headers.get("content-length"));

    const location = res.headers.get("location");
    if (!opts.follow_redirects || !REDIRECT_STATUSES.has(res.status) || location === null) break;
    if (p.redirects === MAX_REDIRECTS) {
      const loop = new URL(location, url).href === url.href ? " (it redirects to itself)" : "";
      throw new Stop({
        kind: "other",
        message: `too many redirects: ${target} was still redirecting after ${MAX_REDIRECTS} hops (the limit); ${url.href} answered ${describeStatus(res)} to ${location}${loop}`,
      });
    }
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new Stop({ kind: "other", message: `${method} ${url.href} answered ${describeStatus(res)} with an invalid Location header: ${JSON.stringify(location)}` });
    }
    if (next.protocol !== "http:" && next.protocol !== "https:")
      throw new Stop({ kind: "other", message: `${method} ${url.href} redirects to ${next.href}, which is not an http(s) URL` });
    await res.body?.cancel().catch(() => {});

    // Method rewriting as browsers do (fetch spec, HTTP redirect fetch step 12).
    if ((res.status === 303 && method !== "HEAD") || ((res.status === 301 || res.status === 302) && method === "POST")) {
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
  if (!read) await res.body?.cancel().catch(() => {});

  if (statusError) return outcome(false, p, statusError);
  const keywordError = read ? judgeKeywords(opts, read, where) : null;
  return outcome(keywordError === null, p, keywordError);
}

function parseContentLength(v: string | null): number | null {
  if (v === null || !/^\s*\d+\s*$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

function judgeStatus(opts: HttpOptions, res: Response, where: string): CheckError | null {
  const expected = opts.expected_status;
  const cf = CLOUDFLARE_ORIGIN_ERRORS[res.status];
  // Only an exact "52x" in expected_status opts out: a "5xx" class is about the origin's own answers.
  if (cf && !expected.includes(String(res.status))) {
    const ray = res.headers.get("cf-ray");
    return {
      kind: cf.kind,
      message: `${where}: got ${res.status} from Cloudflare: ${cf.meaning}${ray ? ` [cf-ray ${ray}]` : ""}`,
    };
  }
  if (statusMatches(expected, res.status)) return null;
  const location = REDIRECT_STATUSES.has(res.status) ? res.headers.get("location") : null;
  return {
    kind: "status",
    message: `${where}: got ${describeStatus(res)}${location !== null ? ` (Location: ${location})` : ""}, expected ${describeExpected(expected)}`,
  };
}

interface BodyRead {
  text: string;
  truncated: boolean;
}

/** Reads at most MAX_BODY_BYTES of the body, decoding it only when `decode`; cancels the rest. */
async function readBody(res: Response, decode: boolean, p: Progress, guard: Guard): Promise<BodyRead> {
  p.phase = "body";
  p.bytesRead = 0;
  if (!res.body) return { text: "", truncated: false };
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let truncated = false;
  try {
    for (;;) {
      const { done, value } = await guard(() => reader.read());
      if (done) break;
      const room = MAX_BODY_BYTES - p.bytesRead;
      const chunk = value.byteLength > room ? value.subarray(0, room) : value;
      p.bytesRead += chunk.byteLength;
      if (decode) text += decoder.decode(chunk, { stream: true });
      if (value.byteLength > room || p.bytesRead >= MAX_BODY_BYTES) {
        // Reaching exactly the limit also stops: one more read could only tell whether more follows.
        truncated = value.byteLength > room || !(await guard(() => reader.read())).done;
        break;
      }
    }
    if (decode) text += decoder.decode();
  } finally {
    reader.cancel().catch(() => {});
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
      ? `while reading the body of ${p.url} (${p.bytesRead} bytes read after ${p.response ? describeStatus(p.response) : "the answer"})`
      : `waiting for the response headers of ${p.method} ${p.url}${p.redirects ? ` (redirect ${p.redirects})` : ""}`;
  return { kind: "timeout", message: `timed out after ${timeoutMs} ms (timeout_ms) ${doing}` };
}

/** A thrown fetch or body error. workerd hides the cause; the message says what its wording can mean. */
function failureError(e: unknown, p: Progress): CheckError {
  const raw = e instanceof Error ? e.message : String(e);
  const where = p.phase === "body" ? `while reading the body of ${p.url} (after ${p.bytesRead} bytes)` : `${p.method} ${p.url}`;
  if (/network connection lost/i.test(raw))
    return {
      kind: "connection",
      message:
        p.phase === "body"
          ? `connection lost ${where}: ${raw} (the server closed or reset it before the body ended)`
          : `${where}: ${raw} (the port refused the connection, or the server reset or closed it before answering; the Workers runtime does not say which)`,
    };
  if (/internal error/i.test(raw))
    return {
      kind: "connection",
      message: `${where}: ${raw} (the host name did not resolve, the TLS handshake failed or the certificate is invalid; the Workers runtime does not say which)`,
    };
  if (e instanceof TypeError) return { kind: "other", message: `${where}: the request could not be made: ${raw}` };
  return { kind: "connection", message: `${where}: ${raw}` };
}
