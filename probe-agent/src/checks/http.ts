// The agent's HTTP check: the edge check's options and messages, run with undici so private addresses work and failures are told apart.
// The rules (redirects, judgements, wording, the timeout) are contract/http-rules.ts, shared with the edge; this file is undici.
import type { Dispatcher } from "undici";
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
import type { AgentCheckDeps, HttpConnection } from "./deps.ts";
import { describeSocketError, errorCode } from "./tcp.ts";
import type { CheckFn, CheckOutcome } from "./types.ts";

export { MAX_BODY_BYTES, MAX_REDIRECTS, statusMatches } from "../../../contract/http-rules.ts";

/** Sent unless the monitor sets its own, so operators can recognise (and allow-list) the checks in their logs. */
export const USER_AGENT = "infra-uptime-monitor (agent http check)";

/** One response header as a string (undici gives repeated headers as arrays). */
function header(res: Dispatcher.ResponseData, name: string): string | null {
  const v = res.headers[name];
  if (v === undefined) return null;
  return Array.isArray(v) ? (v[0] ?? null) : String(v);
}

/** undici does not report the server's reason phrase: messages use the usual one. */
const answerOf = (res: Dispatcher.ResponseData): Answer => ({ status: res.statusCode, reason: "", header: (name) => header(res, name) });

/** A rest of a body beyond this is not drained: the connection is cut instead. */
const DRAIN_LIMIT_BYTES = 64 * 1024;
/** How long a body that has not ended may keep its connection open after the check. */
const DRAIN_MS = 5000;

/** One request's connection and, once it answered, its response. */
type Exchange = { conn: HttpConnection; res: Dispatcher.ResponseData | null };

/**
 * Ends an exchange: the rest of the body (if any) is drained, then the connection closed. Small
 * rests are drained rather than destroyed: destroying a body unread, like letting undici close the
 * socket, builds an error whose stack trace Node formats, a large share of the CPU of a check.
 */
function release(x: Exchange, drain = true): void {
  const body = x.res?.body;
  if (!drain || !body || body.destroyed || body.readableEnded) return x.conn.close();
  body.on("error", () => {});
  const cut = setTimeout(() => x.conn.close(), DRAIN_MS);
  body
    .dump({ limit: DRAIN_LIMIT_BYTES })
    .catch(() => {})
    .finally(() => {
      clearTimeout(cut);
      x.conn.close();
    });
}

export const checkHttp: CheckFn<"http", AgentCheckDeps> = async (monitor, deps) => {
  const progress = startProgress<Dispatcher.ResponseData>(monitor.http.method, monitor.target);
  const deadline = startDeadline(monitor.timeout_ms);
  const exchanges: Exchange[] = [];
  try {
    return await run(monitor.target, monitor.http, deps, progress, deadline, exchanges);
  } catch (e) {
    return outcome(false, progress, endingError(e, deadline, progress, (original) => failureError(original, progress)));
  } finally {
    deadline.clear();
    // After a timeout nothing is drained: closing the connection is what ends the request.
    for (const x of exchanges) release(x, !deadline.signal.aborted);
  }
};

async function run(
  target: string,
  opts: HttpOptions,
  deps: AgentCheckDeps,
  p: Progress<Dispatcher.ResponseData>,
  deadline: Deadline,
  exchanges: Exchange[],
): Promise<CheckOutcome> {
  // Header names are case-insensitive: kept lower-cased so that deleting one on a redirect removes it whatever its spelling.
  const headers = new Map(Object.entries(opts.headers).map(([k, v]) => [k.toLowerCase(), v]));
  if (!headers.has("user-agent")) headers.set("user-agent", USER_AGENT);
  let hop: Hop = firstHop(target, opts);

  const start = deps.now();
  let res: Dispatcher.ResponseData;
  let answer: Answer;
  for (;;) {
    sending(p, hop);
    const { url, body } = hop;
    const method = hop.method as Dispatcher.HttpMethod;
    const hopHeaders = Object.fromEntries(headers);
    // A fresh connection for every request, so a check measures (and can fail) the connect as a client would.
    const x: Exchange = { conn: deps.httpConnection(url.origin), res: null };
    exchanges.push(x);
    // No abort signal: at the deadline the guard gives up and release() closes the connection, which ends the request.
    res = await deadline.guard(() => x.conn.dispatcher.request({ path: `${url.pathname}${url.search}`, method, headers: hopHeaders, body }));
    x.res = res;
    answer = answerOf(res);
    answered(p, res, answer, deps.now() - start);

    const redirect = redirectFrom(target, opts, hop, p.redirects, answer);
    if (!redirect) break;
    release(exchanges.pop()!);
    for (const h of redirect.dropHeaders) headers.delete(h);
    hop = redirect;
    p.redirects++;
  }

  const where = describeRequest(target, hop, p.redirects);
  const statusError = judgeStatus(opts, answer, where);
  const needs = bodyNeeds(opts, statusError, p.contentLength);
  const read = needs.read ? await readBody(res, needs.decode, p, deadline) : null;

  const error = statusError ?? (read ? judgeKeywords(opts, read, where) : null);
  return outcome(error === null, p, error);
}

/** Reads at most MAX_BODY_BYTES of the body, decoding it only when `decode`; the rest is left to release(). */
async function readBody(res: Dispatcher.ResponseData, decode: boolean, p: Progress, deadline: Deadline): Promise<BodyRead> {
  const chunks = res.body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return await readLimited(() => deadline.guard(() => chunks.next()), decode, p);
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
