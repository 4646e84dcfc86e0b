// The edge HTTP check: one request (plus redirects) against a monitor's URL, judged by its `http` options.
// The rules (redirects, judgements, wording, the timeout) are contract/http-rules.ts, shared with the agent; this file is fetch.
import type { CheckError, HttpOptions } from "../../../contract/index.ts";
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
  type BodyRead,
  type Deadline,
  type Hop,
  type Progress,
} from "../../../contract/http-rules.ts";
import type { CheckDeps, CheckFn, CheckOutcome } from "./types.ts";

export { MAX_BODY_BYTES, MAX_REDIRECTS, statusMatches } from "../../../contract/http-rules.ts";

/** Sent unless the monitor sets its own, so operators can recognise (and allow-list) the checks in their logs. */
export const USER_AGENT = "infra-uptime-monitor (edge http check)";

export const checkHttp: CheckFn<"http"> = async (monitor, deps) => {
  const progress = startProgress<Response>(monitor.http.method, monitor.target);
  const deadline = startDeadline(monitor.timeout_ms);
  try {
    return await run(monitor.target, monitor.http, deps, progress, deadline);
  } catch (e) {
    return outcome(false, progress, endingError(e, deadline, progress, (original) => failureError(original, progress)));
  } finally {
    deadline.clear();
    progress.response?.body?.cancel().catch(() => {});
  }
};

const answerOf = (res: Response): Answer => ({ status: res.status, reason: res.statusText, header: (name) => res.headers.get(name) });

async function run(target: string, opts: HttpOptions, deps: CheckDeps, p: Progress<Response>, deadline: Deadline): Promise<CheckOutcome> {
  const headers = new Headers(opts.headers);
  if (!headers.has("user-agent")) headers.set("user-agent", USER_AGENT);
  let hop: Hop = firstHop(target, opts);

  const start = deps.now();
  let res: Response;
  let answer: Answer;
  for (;;) {
    sending(p, hop);
    const { url, method, body } = hop;
    res = await deadline.guard(() => deps.fetch(url.href, { method, headers, body, redirect: "manual", signal: deadline.signal }));
    answer = answerOf(res);
    answered(p, res, answer, deps.now() - start);

    const redirect = redirectFrom(target, opts, hop, p.redirects, answer);
    if (!redirect) break;
    await res.body?.cancel().catch(() => {});
    for (const h of redirect.dropHeaders) headers.delete(h);
    hop = redirect;
    p.redirects++;
  }

  const where = describeRequest(target, hop, p.redirects);
  const statusError = judgeStatus(opts, answer, where);
  const needs = bodyNeeds(opts, statusError, p.contentLength);
  const read = needs.read ? await readBody(res, needs.decode, p, deadline) : null;
  if (!read) await res.body?.cancel().catch(() => {});

  const error = statusError ?? (read ? judgeKeywords(opts, read, where) : null);
  return outcome(error === null, p, error);
}

/** Reads at most MAX_BODY_BYTES of the body, decoding it only when `decode`; cancels the rest. */
async function readBody(res: Response, decode: boolean, p: Progress, deadline: Deadline): Promise<BodyRead> {
  const reader = res.body?.getReader();
  if (!reader) return readLimited(async () => ({ done: true }), decode, p); // no body (HEAD, 204, 304): reads as empty
  try {
    return await readLimited(() => deadline.guard(() => reader.read()), decode, p);
  } finally {
    reader.cancel().catch(() => {});
  }
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
