// The HTTP check's loop, once for the edge (fetch) and the agent (undici): request → redirects → body → judgement.
// Only the transport differs: it sends one request, hands back its answer and body, and words what it threw.
// Plain TypeScript on plain values: no node: imports (workerd), nothing Node's type stripping rejects (the agent).
import {
  answered,
  bodyNeeds,
  describeRequest,
  endingError,
  firstHop,
  judgeKeywords,
  judgeStatus,
  outcome,
  readLimited,
  redirectFrom,
  sending,
  startDeadline,
  startProgress,
  type Answer,
  type BodyChunk,
  type Deadline,
  type Hop,
  type HttpOutcome,
  type Progress,
} from "./http-rules.ts";
import type { HttpOptions, MonitorSpec } from "./monitor.ts";
import type { CheckError } from "./result.ts";

/** What the loop needs of an http monitor. */
export type HttpMonitor = Pick<Extract<MonitorSpec, { kind: "http" }>, "target" | "timeout_ms" | "http">;

/** One request of a check, as the transport sends it. */
export interface HttpRequest {
  url: URL;
  method: string;
  /** Lower-case names; the monitor's headers, the User-Agent, minus what a redirect dropped. */
  headers: Record<string, string>;
  body: string | null;
  /** Aborted at the check's deadline. A transport may ignore it: the loop stops waiting anyway, and `end` follows. */
  signal: AbortSignal;
}

/** One answered request: its status line and headers, and its body to read. */
export interface HttpResponse {
  readonly answer: Answer;
  /** The next piece of the body; `{ done: true }` at its end, or at once when there is none (HEAD, 204, 304). */
  read(): Promise<BodyChunk>;
}

/**
 * How one check reaches the network: made for each check, so it can keep what it opened. The edge's
 * wraps fetch (redirect: "manual"); the agent's opens its own undici connection per request.
 */
export interface HttpTransport<R extends HttpResponse = HttpResponse> {
  /** Sent as User-Agent unless the monitor sets its own. */
  readonly userAgent: string;
  /** Sends one request; resolves at its response headers. Whatever it throws is a network failure (see `describeFailure`). */
  send(request: HttpRequest): Promise<R>;
  /**
   * The check is done with a response: a redirect hop's, or the final one's once its body was read
   * (or was not needed). What is left of its body is dropped; awaited before the next request.
   */
  discard(response: R): Promise<void> | void;
  /** The check is over, however it ended (`timedOut`: timeout_ms elapsed); releases whatever is still open. */
  end(timedOut: boolean): void;
  /** Words a failure that sending or reading threw, by what the runtime says it was. */
  describeFailure(error: unknown, progress: Progress): CheckError;
}

export interface HttpCheckDeps {
  /** Monotonic clock in ms: latencies only. */
  now(): number;
}

/**
 * Runs a monitor's HTTP check through `transport`: follows redirects (at most MAX_REDIRECTS, with
 * the browsers' method and body rules), times the answer's headers over every hop, reads at most
 * MAX_BODY_BYTES of the body when a rule or the byte count needs it, and judges status and keywords,
 * all within timeout_ms. Failures are outcomes; only a bug throws.
 */
export async function runHttpCheck<R extends HttpResponse>(
  monitor: HttpMonitor,
  transport: HttpTransport<R>,
  deps: HttpCheckDeps,
): Promise<HttpOutcome> {
  const progress = startProgress<R>(monitor.http.method, monitor.target);
  const deadline = startDeadline(monitor.timeout_ms);
  try {
    return await run(monitor.target, monitor.http, transport, deps, progress, deadline);
  } catch (e) {
    return outcome(
      false,
      progress,
      endingError(e, deadline, progress, (original) => transport.describeFailure(original, progress)),
    );
  } finally {
    deadline.clear();
    // After a timeout the transport releases at once what it holds: closing is what ends a request.
    transport.end(deadline.signal.aborted);
  }
}

/**
 * The monitor's headers with names lower-cased, so that deleting one on a redirect removes it
 * whatever its spelling; names repeated in another case are combined, as Headers does.
 */
function requestHeaders(opts: HttpOptions, userAgent: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const [k, v] of Object.entries(opts.headers)) {
    const name = k.toLowerCase();
    const before = headers.get(name);
    headers.set(name, before === undefined ? v : `${before}, ${v}`);
  }
  if (!headers.has("user-agent")) headers.set("user-agent", userAgent);
  return headers;
}

async function run<R extends HttpResponse>(
  target: string,
  opts: HttpOptions,
  transport: HttpTransport<R>,
  deps: HttpCheckDeps,
  p: Progress<R>,
  deadline: Deadline,
): Promise<HttpOutcome> {
  const headers = requestHeaders(opts, transport.userAgent);
  let hop: Hop = firstHop(target, opts);

  const start = deps.now();
  let res: R;
  for (;;) {
    sending(p, hop);
    const request: HttpRequest = {
      url: hop.url,
      method: hop.method,
      headers: Object.fromEntries(headers),
      body: hop.body,
      signal: deadline.signal,
    };
    res = await deadline.guard(() => transport.send(request));
    answered(p, res, res.answer, deps.now() - start);

    const redirect = redirectFrom(target, opts, hop, p.redirects, res.answer);
    if (!redirect) break;
    await transport.discard(res);
    for (const h of redirect.dropHeaders) headers.delete(h);
    hop = redirect;
    p.redirects++;
  }

  const where = describeRequest(target, hop, p.redirects);
  const statusError = judgeStatus(opts, res.answer, where);
  const needs = bodyNeeds(opts, statusError, p.contentLength);
  const body = res;
  const read = needs.read ? await readLimited(() => deadline.guard(() => body.read()), needs.decode, p) : null;
  await transport.discard(res);

  const keywordError = read ? judgeKeywords(opts, read, where) : null;
  const error = statusError ?? keywordError;
  const out = outcome(error === null, p, error);
  // Telegraf's response_string_match: said only when a keyword rule was judged on the body.
  if (read && needs.decode && out.http) out.http.keyword_matched = keywordError === null;
  return out;
}
