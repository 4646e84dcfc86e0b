// The agent's HTTP check: the edge check's options and messages, run with undici so private addresses work and failures are told apart.
// The loop and its rules are contract/http-check.ts, shared with the edge; this file is the undici transport.
import type { Dispatcher } from "undici";
import { isEgressRefused, urlPort } from "../../../contract/egress.ts";
import type { CheckError } from "../../../contract/index.ts";
import { runHttpCheck, type HttpResponse, type HttpTransport } from "../../../contract/http-check.ts";
import type { Answer, BodyChunk, Progress } from "../../../contract/http-rules.ts";
import type { AgentCheckDeps, HttpConnection } from "./deps.ts";
import { refusedHost } from "./egress.ts";
import { describeSocketError, errorCode } from "./socket-errors.ts";
import type { CheckFn } from "./types.ts";

/** Sent unless the monitor sets its own, so operators can recognise (and allow-list) the checks in their logs. */
export const USER_AGENT = "infra-uptime-monitor (agent http check)";

export const checkHttp: CheckFn<"http", AgentCheckDeps> = (monitor, deps) => runHttpCheck(monitor, undiciTransport(deps), deps);

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

/** An undici response as the loop reads it, with the exchange it came on. */
interface UndiciResponse extends HttpResponse {
  readonly exchange: Exchange;
}

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

/**
 * One check's undici transport: a fresh connection for every request, so a check measures (and can
 * fail) the connect as a client would; each is closed by the agent once the check is done with it.
 * Every request (each redirect hop too) is checked against the egress policy: the URL's host and port
 * here, the addresses a name resolves to by the connection's lookup (deps.ts), which connects to them.
 */
function undiciTransport(deps: AgentCheckDeps): HttpTransport<UndiciResponse> {
  const exchanges: Exchange[] = [];
  return {
    userAgent: USER_AGENT,
    async send({ url, method, headers, body }) {
      const refused = refusedHost(url.hostname, urlPort(url), deps);
      if (refused) throw refused;
      const x: Exchange = { conn: deps.httpConnection(url.origin), res: null };
      exchanges.push(x);
      // No abort signal: at the deadline the loop gives up and end() closes the connection, which ends the request.
      const res = await x.conn.dispatcher.request({
        path: `${url.pathname}${url.search}`,
        method: method as Dispatcher.HttpMethod,
        headers,
        body,
      });
      x.res = res;
      let chunks: AsyncIterator<Buffer> | undefined;
      return {
        exchange: x,
        answer: answerOf(res),
        // Reads stop at the loop's limit; the rest is left to release().
        read: () => (chunks ??= res.body[Symbol.asyncIterator]() as AsyncIterator<Buffer>).next() as Promise<BodyChunk>,
      };
    },
    discard({ exchange }) {
      const i = exchanges.indexOf(exchange);
      if (i >= 0) exchanges.splice(i, 1);
      release(exchange);
    },
    end(timedOut) {
      // After a timeout nothing is drained: closing the connection is what ends the request.
      for (const x of exchanges) release(x, !timedOut);
      exchanges.length = 0;
    },
    describeFailure,
  };
}

/** A thrown request or body error, worded by what Node and undici say it was. */
function describeFailure(e: unknown, p: Progress): CheckError {
  if (isEgressRefused(e))
    return {
      kind: "other",
      message: `${p.method} ${p.url}${p.redirects ? ` (redirect ${p.redirects})` : ""}: ${e.message}; nothing was sent`,
    };
  const raw = e instanceof Error ? e.message : String(e);
  const code = errorCode(e);
  if (p.phase === "body")
    return {
      kind: "connection",
      message: `connection lost while reading the body of ${p.url} (after ${p.bytesRead} bytes): ${raw}${code ? ` (${code})` : ""}`,
    };
  const where = `${p.method} ${p.url}`;
  if (code === "UND_ERR_SOCKET" || code === "ECONNRESET")
    return { kind: "connection", message: `${where}: the server closed or reset the connection before answering (${raw})` };
  if (code?.startsWith("HPE_") || (e instanceof Error && e.name === "HTTPParserError"))
    return { kind: "connection", message: `${where}: the answer is not valid HTTP: ${raw}${code ? ` (${code})` : ""}` };
  if (code === "UND_ERR_INVALID_ARG" || (e instanceof TypeError && code === undefined))
    return { kind: "other", message: `${where}: the request could not be made: ${raw}` };
  return describeSocketError(e, where);
}
