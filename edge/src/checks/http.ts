// The edge HTTP check: one request (plus redirects) against a monitor's URL, judged by its `http` options.
// The loop and its rules are contract/http-check.ts, shared with the agent; this file is the fetch transport.
import { EgressRefused, isEgressRefused, urlEgressProblem } from "../../../contract/egress.ts";
import type { CheckError } from "../../../contract/index.ts";
import { runHttpCheck, type HttpResponse, type HttpTransport } from "../../../contract/http-check.ts";
import type { BodyChunk, Progress } from "../../../contract/http-rules.ts";
import { workerEgress } from "../config/egress.ts";
import type { CheckDeps, CheckFn } from "./types.ts";

/** Sent unless the monitor sets its own, so operators can recognise (and allow-list) the checks in their logs. */
export const USER_AGENT = "infra-uptime-monitor (edge http check)";

export const checkHttp: CheckFn<"http"> = (monitor, deps) => runHttpCheck(monitor, fetchTransport(deps), deps);

/** A fetch Response as the loop reads it; `cancel` drops what is left of its body. */
interface FetchResponse extends HttpResponse {
  cancel(): Promise<void> | void;
}

function fetchResponse(res: Response): FetchResponse {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return {
    answer: { status: res.status, reason: res.statusText, header: (name) => res.headers.get(name) },
    read(): Promise<BodyChunk> {
      if (!res.body) return Promise.resolve({ done: true }); // no body (HEAD, 204, 304): reads as empty
      reader ??= res.body.getReader();
      return reader.read();
    },
    // A body being read is cancelled through its reader (the stream is locked to it), without waiting.
    cancel: () => (reader ? void reader.cancel().catch(() => {}) : res.body?.cancel().catch(() => {})),
  };
}

/**
 * One check's fetch transport: redirects come back to the loop (redirect: "manual"); each body is cancelled when done with.
 * Every request, the first and each redirect hop, is checked against the egress policy before it is made.
 */
function fetchTransport(deps: CheckDeps): HttpTransport<FetchResponse> {
  let current: FetchResponse | null = null;
  const egress = deps.egress ?? workerEgress();
  return {
    userAgent: USER_AGENT,
    async send({ url, method, headers, body, signal }) {
      current = null;
      const refused = urlEgressProblem(url, egress);
      if (refused) throw new EgressRefused(refused);
      const res = fetchResponse(await deps.fetch(url.href, { method, headers, body, redirect: "manual", signal }));
      current = res;
      return res;
    },
    async discard(res) {
      if (current === res) current = null;
      await res.cancel();
    },
    end() {
      current?.cancel();
      current = null;
    },
    describeFailure,
  };
}

/** A thrown fetch or body error. workerd hides the cause; the message says what its wording can mean. */
function describeFailure(e: unknown, p: Progress): CheckError {
  if (isEgressRefused(e))
    return {
      kind: "other",
      message: `${p.method} ${p.url}${p.redirects ? ` (redirect ${p.redirects})` : ""}: ${e.message}; no request was made`,
    };
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
