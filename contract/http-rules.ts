// The HTTP check's rules that do not depend on the runtime, shared by the edge check (fetch) and the agent check (undici).
// Plain TypeScript on plain values: no node: imports (workerd), nothing Node's type stripping rejects (the agent).
import type { HttpOptions } from "./monitor.ts";
import type { CheckError, CheckResult } from "./result.ts";
import { clip } from "./text.ts";

/** Redirects followed at most; the 11th is an error, as in curl's and browsers' defaults of the same order. */
export const MAX_REDIRECTS = 10;
/** Bytes of a body read at most for keyword rules and byte counting; the rest is dropped unread. */
export const MAX_BODY_BYTES = 1024 * 1024;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const BODY_HEADERS = ["content-type", "content-length", "content-encoding", "content-language", "content-location"];
/** Credentials stay with the origin they were configured for (curl drops the same ones on a cross-origin redirect). */
const CREDENTIAL_HEADERS = ["authorization", "proxy-authorization", "cookie"];

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

/** Whether `status` is one of Cloudflare's origin errors, which judgeStatus reports as the failure it names, not as `status`. */
export const isCloudflareOriginError = (status: number): boolean => status in CLOUDFLARE_ORIGIN_ERRORS;

/** Reason phrases for when the answer carries none (HTTP/2 has none, undici does not report the server's). */
const REASONS: Record<number, string> = {
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
  206: "Partial Content",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  304: "Not Modified",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  413: "Content Too Large",
  418: "I'm a Teapot",
  429: "Too Many Requests",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** One HTTP answer (status line and headers), whichever client got it. */
export interface Answer {
  status: number;
  /** The reason phrase the server sent, or "" when the client does not say it. */
  reason: string;
  /** A response header by its lower-case name; null when absent. */
  header(name: string): string | null;
}

/** One request of a check: the first, or one a redirect led to. */
export interface Hop {
  url: URL;
  method: string;
  body: string | null;
}

/** A redirect to follow: the next request, and the request headers to drop before sending it. */
export interface Redirect extends Hop {
  dropHeaders: string[];
}

/** What a check knows so far; used to word the error of whatever went wrong. `R` is the client's own response. */
export interface Progress<R = unknown> {
  method: string;
  url: string;
  redirects: number;
  phase: "request" | "body";
  bytesRead: number;
  /** The current hop's response once its headers arrived, and the same as an Answer. */
  response: R | null;
  answer: Answer | null;
  contentLength: number | null;
  latency: number | null;
}

export interface BodyRead {
  text: string;
  truncated: boolean;
}

/** One read from a body: a ReadableStream reader's result or an async iterator's. */
export type BodyChunk = { done: true; value?: unknown } | { done?: false; value: Uint8Array };

/** The part of a check's result an HTTP check fills in. */
export type HttpOutcome = Pick<CheckResult, "ok" | "latency_ms" | "error" | "http">;

/** Thrown inside a check to end it with a given error; never escapes the check. */
export class Stop extends Error {
  error: CheckError;
  constructor(error: CheckError) {
    super(error.message);
    this.error = error;
  }
}

/** A failure of the network or the target (request or body read), as opposed to a bug in the check. */
export class NetworkFailure extends Error {
  original: unknown;
  constructor(original: unknown) {
    super(original instanceof Error ? original.message : String(original));
    this.original = original;
  }
}

export type Guard = <T>(call: () => Promise<T>) => Promise<T>;

/** The monitor's timeout_ms over a whole check: every hop and the body read share it. */
export interface Deadline {
  timeoutMs: number;
  /** Aborted when the time is up. */
  signal: AbortSignal;
  /** Every network call goes through this: bounded by the timeout, and its failures told apart from bugs. */
  guard: Guard;
  clear(): void;
}

export function startDeadline(timeoutMs: number): Deadline {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`timeout_ms ${timeoutMs} elapsed`)), timeoutMs);
  // Racing every await against this also bounds a call that ignores its signal.
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
  return { timeoutMs, signal: controller.signal, guard, clear: () => clearTimeout(timer) };
}

export function startProgress<R>(method: string, url: string): Progress<R> {
  return { method, url, redirects: 0, phase: "request", bytesRead: 0, response: null, answer: null, contentLength: null, latency: null };
}

/** Notes that a hop's request is going out: nothing is known of its answer yet. */
export function sending(p: Progress, hop: Hop): void {
  p.method = hop.method;
  p.url = hop.url.href;
  p.response = null;
  p.answer = null;
  p.latency = null;
}

/** Notes a hop's answer, `latency` ms after the check started. */
export function answered<R>(p: Progress<R>, response: R, answer: Answer, latency: number): void {
  p.response = response;
  p.answer = answer;
  p.latency = Math.max(0, latency);
  p.contentLength = parseContentLength(answer.header("content-length"));
}

export function outcome(ok: boolean, p: Progress, error: CheckError | null): HttpOutcome {
  const out: HttpOutcome = { ok, latency_ms: p.latency, error };
  if (p.answer) out.http = { status: p.answer.status, content_length: p.contentLength ?? p.bytesRead };
  return out;
}

/**
 * The error a check ends with, from what its run threw: the timeout, a Stop, or a network failure
 * worded by the runtime's `describeFailure`. Anything else is a bug and is rethrown (runCheck reports it).
 */
export function endingError(e: unknown, deadline: Deadline, p: Progress, describeFailure: (original: unknown) => CheckError): CheckError {
  let error: CheckError;
  if (deadline.signal.aborted) error = timeoutError(deadline.timeoutMs, p);
  else if (e instanceof Stop) error = e.error;
  else if (e instanceof NetworkFailure) error = describeFailure(e.original);
  else throw e;
  return { kind: error.kind, message: clip(error.message) };
}

/** Whether `status` satisfies one of the expected codes ("200") or classes ("2xx"). */
export function statusMatches(expected: readonly string[], status: number): boolean {
  const code = String(status);
  return expected.some((e) => (e.endsWith("xx") ? e[0] === code[0] : e === code));
}

/** "2xx", "200 or 204", "200, 204 or 3xx". */
export function describeExpected(expected: readonly string[]): string {
  if (expected.length <= 1) return expected.join("");
  return `${expected.slice(0, -1).join(", ")} or ${expected.at(-1)}`;
}

/** "404 Not Found": the server's reason phrase, else the usual one, else the bare code. */
export function describeStatus(answer: Pick<Answer, "status" | "reason">): string {
  const reason = answer.reason || REASONS[answer.status] || "";
  return reason ? `${answer.status} ${reason}` : String(answer.status);
}

export function parseContentLength(v: string | null): number | null {
  if (v === null || !/^\s*\d+\s*$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

/** The check's first request; a Stop when the options give a body to a method that cannot carry one. */
export function firstHop(target: string, opts: HttpOptions): Hop {
  const method: string = opts.method;
  if (opts.body !== null && (method === "GET" || method === "HEAD"))
    throw new Stop({
      kind: "other",
      message: `${method} ${target}: a ${method} request cannot carry a body; set http.method to POST, PUT or PATCH, or remove http.body`,
    });
  return { url: new URL(target), method, body: opts.body };
}

/**
 * Where an answer leads: null when it is the one to judge, else the redirect to follow.
 * A Stop when the redirect cannot be followed (too many, invalid Location, not http(s)).
 */
export function redirectFrom(target: string, opts: HttpOptions, hop: Hop, redirects: number, answer: Answer): Redirect | null {
  const location = answer.header("location");
  if (!opts.follow_redirects || !REDIRECT_STATUSES.has(answer.status) || location === null) return null;
  const { url, method } = hop;
  if (redirects === MAX_REDIRECTS) {
    const loop = new URL(location, url).href === url.href ? " (it redirects to itself)" : "";
    throw new Stop({
      kind: "other",
      message: `too many redirects: ${target} was still redirecting after ${MAX_REDIRECTS} hops (the limit); ${url.href} answered ${describeStatus(answer)} to ${location}${loop}`,
    });
  }
  let next: URL;
  try {
    next = new URL(location, url);
  } catch {
    throw new Stop({
      kind: "other",
      message: `${method} ${url.href} answered ${describeStatus(answer)} with an invalid Location header: ${JSON.stringify(location)}`,
    });
  }
  if (next.protocol !== "http:" && next.protocol !== "https:")
    throw new Stop({ kind: "other", message: `${method} ${url.href} redirects to ${next.href}, which is not an http(s) URL` });

  const redirect: Redirect = { url: next, method, body: hop.body, dropHeaders: [] };
  // Method rewriting as browsers do (fetch spec, HTTP redirect fetch step 12).
  if ((answer.status === 303 && method !== "HEAD") || ((answer.status === 301 || answer.status === 302) && method === "POST")) {
    redirect.method = "GET";
    redirect.body = null;
    redirect.dropHeaders.push(...BODY_HEADERS);
  }
  if (next.origin !== new URL(target).origin) redirect.dropHeaders.push(...CREDENTIAL_HEADERS);
  return redirect;
}

/** The final request as messages name it: "GET https://b/ (after 2 redirects from https://a/)". */
export function describeRequest(target: string, hop: Hop, redirects: number): string {
  const request = `${hop.method} ${hop.url.href}`;
  return redirects > 0 ? `${request} (after ${redirects} redirect${redirects > 1 ? "s" : ""} from ${target})` : request;
}

/** The body is read only when a rule needs its text, or to count its bytes when no Content-Length says it. */
export function bodyNeeds(
  opts: HttpOptions,
  statusError: CheckError | null,
  contentLength: number | null,
): { read: boolean; decode: boolean } {
  const decode = statusError === null && (opts.keyword !== null || opts.keyword_absent !== null);
  return { read: decode || contentLength === null, decode };
}

export function judgeStatus(opts: HttpOptions, answer: Answer, where: string): CheckError | null {
  const expected = opts.expected_status;
  const { status } = answer;
  const cf = CLOUDFLARE_ORIGIN_ERRORS[status];
  // Only an exact "52x" in expected_status opts out: a "5xx" class is about the origin's own answers.
  if (cf && !expected.includes(String(status))) {
    const ray = answer.header("cf-ray");
    return { kind: cf.kind, message: `${where}: got ${status} from Cloudflare: ${cf.meaning}${ray ? ` [cf-ray ${ray}]` : ""}` };
  }
  if (statusMatches(expected, status)) return null;
  const location = REDIRECT_STATUSES.has(status) ? answer.header("location") : null;
  return {
    kind: "status",
    message: `${where}: got ${describeStatus(answer)}${location !== null ? ` (Location: ${location})` : ""}, expected ${describeExpected(expected)}`,
  };
}

/**
 * Reads at most MAX_BODY_BYTES through `next`, decoding them only when `decode`.
 * The caller owns the body: it releases whatever is left unread.
 */
export async function readLimited(next: () => Promise<BodyChunk>, decode: boolean, p: Progress): Promise<BodyRead> {
  p.phase = "body";
  p.bytesRead = 0;
  const decoder = new TextDecoder();
  let text = "";
  let truncated = false;
  for (;;) {
    const { done, value } = await next();
    if (done) break;
    const room = MAX_BODY_BYTES - p.bytesRead;
    const chunk = value.byteLength > room ? value.subarray(0, room) : value;
    p.bytesRead += chunk.byteLength;
    if (decode) text += decoder.decode(chunk, { stream: true });
    if (value.byteLength > room || p.bytesRead >= MAX_BODY_BYTES) {
      // Reaching exactly the limit also stops: one more read could only tell whether more follows.
      truncated = value.byteLength > room || !(await next()).done;
      break;
    }
  }
  if (decode) text += decoder.decode();
  return { text, truncated };
}

export function judgeKeywords(opts: HttpOptions, body: BodyRead, where: string): CheckError | null {
  const problems: string[] = [];
  const limit = body.truncated ? ` (the body was truncated: only its first ${MAX_BODY_BYTES} bytes were read)` : "";
  // Case-sensitive, like a plain substring search: "Error" and "error" are different keywords.
  if (opts.keyword !== null && !body.text.includes(opts.keyword))
    problems.push(`keyword ${JSON.stringify(opts.keyword)} was not found in the body${limit}`);
  if (opts.keyword_absent !== null && body.text.includes(opts.keyword_absent))
    problems.push(`keyword_absent ${JSON.stringify(opts.keyword_absent)} was found in the body`);
  return problems.length ? { kind: "keyword", message: `${where}: ${problems.join("; ")}` } : null;
}

export function timeoutError(timeoutMs: number, p: Progress): CheckError {
  const doing =
    p.phase === "body"
      ? `while reading the body of ${p.url} (${p.bytesRead} bytes read after ${p.answer ? describeStatus(p.answer) : "the answer"})`
      : `waiting for the response headers of ${p.method} ${p.url}${p.redirects ? ` (redirect ${p.redirects})` : ""}`;
  return { kind: "timeout", message: `timed out after ${timeoutMs} ms (timeout_ms) ${doing}` };
}
