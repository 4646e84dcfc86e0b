// The agent's TCP check: connect to host:port, optionally send bytes and expect an answer.
import { isIP } from "node:net";
import type { CheckError } from "../../../contract/index.ts";
import { compileLinear } from "../../../contract/regex.ts";
import { parseHostPort } from "../../../contract/target.ts";
import { clip } from "../../../contract/text.ts";
import type { AgentCheckDeps } from "./deps.ts";
import { checkedLookup, refusalError, refusedHost } from "./egress.ts";
import { describeSocketError, rawMessage } from "./socket-errors.ts";
import type { CheckFn, CheckOutcome } from "./types.ts";

/**
 * Bytes read at most while waiting for `tcp.expect`; a match must come within them. A regular
 * expression large enough that matching this much would cost more than contract/regex.ts's
 * MATCH_BUDGET reads fewer (its `maxText`, at least 1 KiB).
 */
export const MAX_EXPECT_BYTES = 64 * 1024;
/** How much of what was received a mismatch message shows. */
const PREVIEW_CHARS = 200;

/** `limit`: the most bytes this rule reads, MAX_EXPECT_BYTES or fewer for a large regular expression. */
type Matcher = { describe: string; limit: number; test: (received: Buffer) => boolean };

/** Compiled expect rules by pattern, so a regex compiles once, not at every check. */
const matchers = new Map<string, Matcher | string>();

/** The matcher for `tcp.expect`, or a message saying why the pattern is invalid. */
function matcherFor(expect: string, regex: boolean): Matcher | string {
  const key = `${regex ? "r" : "s"}:${expect}`;
  let m = matchers.get(key);
  if (m !== undefined) return m;
  if (regex) {
    // Linear time (RE2), never a backtracking RegExp: an editor's pattern cannot freeze the event loop.
    // A match costs program size × text length, so a large program reads less than MAX_EXPECT_BYTES
    // (its maxText: UTF-8 never decodes to more UTF-16 code units than it has bytes).
    const re = compileLinear(expect);
    m = re.ok
      ? {
          describe: `/${expect}/ (tcp.expect, a regular expression)`,
          limit: Math.min(MAX_EXPECT_BYTES, re.maxText),
          test: (b) => re.test(b.toString("utf8")),
        }
      : `tcp.expect ${JSON.stringify(expect)} is not a valid regular expression: ${re.error}`;
  } else {
    const needle = Buffer.from(expect, "utf8");
    m = { describe: JSON.stringify(expect), limit: MAX_EXPECT_BYTES, test: (b) => b.includes(needle) };
  }
  if (matchers.size >= 1000) matchers.clear(); // monitors come and go; a bounded cache is enough
  matchers.set(key, m);
  return m;
}

function preview(received: Buffer): string {
  const text = received.toString("utf8");
  return text.length > PREVIEW_CHARS ? `${JSON.stringify(text.slice(0, PREVIEW_CHARS))}…` : JSON.stringify(text);
}

export const checkTcp: CheckFn<"tcp", AgentCheckDeps> = async (monitor, deps) => {
  const hp = parseHostPort(monitor.target);
  if (typeof hp === "string")
    return { ok: false, latency_ms: null, error: { kind: "other", message: `tcp target ${monitor.target} ${hp}` } };
  const { host, port } = hp;
  const where = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  const opts = monitor.tcp;
  const timeoutMs = monitor.timeout_ms;
  const matcher = opts.expect === null ? null : matcherFor(opts.expect, opts.expect_regex);
  // Telegraf's string_found: written whenever an expect string is set, true only when it was received.
  const detail = (found: boolean) => (opts.expect === null ? { port } : { port, expect_found: found });
  if (typeof matcher === "string")
    return { ok: false, latency_ms: null, error: { kind: "other", message: clip(matcher) }, tcp: detail(false) };

  return new Promise<CheckOutcome>((resolve) => {
    let phase: "resolve" | "connect" | "send" | "expect" = isIP(host) ? "connect" : "resolve";
    let latency: number | null = null;
    let received = Buffer.alloc(0);
    let done = false;

    const finish = (error: CheckError | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({
        ok: error === null,
        latency_ms: latency,
        error: error && { kind: error.kind, message: clip(error.message) },
        tcp: detail(error === null),
      });
    };
    const mismatch = (why: string): CheckError => ({
      kind: "keyword",
      message: `${where}: expected ${(matcher as Matcher).describe} but received ${received.length} bytes ${why}: ${preview(received)}`,
    });

    // The egress policy (egress.ts): an address is checked here, a name's addresses by the lookup, which hands them to the socket.
    const refused = refusedHost(host, port, deps);
    if (refused) return resolve({ ok: false, latency_ms: null, error: refusalError(where, refused), tcp: detail(false) });
    const start = deps.now();
    const socket = deps.connect({ host, port, lookup: checkedLookup(deps, port) });
    const timer = setTimeout(() => {
      if (phase === "resolve")
        return finish({ kind: "dns", message: `${where}: the host name did not resolve within ${timeoutMs} ms (timeout_ms)` });
      if (phase === "connect")
        return finish({
          kind: "timeout",
          message: `${where}: no answer to the connection attempt within ${timeoutMs} ms (timeout_ms): the host is down or a firewall drops the packets`,
        });
      if (phase === "send")
        return finish({ kind: "timeout", message: `${where}: connected, but could not send tcp.send within ${timeoutMs} ms (timeout_ms)` });
      if (received.length > 0) return finish(mismatch(`and then nothing more within ${timeoutMs} ms (timeout_ms)`));
      return finish({
        kind: "timeout",
        message: `${where}: connected in ${latency?.toFixed(1)} ms but received nothing within ${timeoutMs} ms (timeout_ms); expected ${(matcher as Matcher).describe}`,
      });
    }, timeoutMs);

    socket.once("lookup", (err) => {
      if (!err) phase = "connect";
    });
    socket.once("connect", () => {
      latency = Math.max(0, deps.now() - start);
      if (matcher) {
        phase = "expect";
        if (opts.send !== null) socket.write(opts.send);
      } else if (opts.send !== null) {
        phase = "send";
        socket.end(opts.send, () => finish(null));
      } else finish(null);
    });
    socket.on("data", (chunk: Buffer) => {
      if (phase !== "expect" || !matcher) return;
      const room = matcher.limit - received.length;
      received = Buffer.concat([received, chunk.byteLength > room ? chunk.subarray(0, room) : chunk]);
      if (matcher.test(received)) finish(null);
      else if (received.length >= matcher.limit)
        finish(
          mismatch(
            matcher.limit === MAX_EXPECT_BYTES
              ? `(the first ${MAX_EXPECT_BYTES} bytes, the most read)`
              : `(the first ${matcher.limit} bytes, the most read for a regular expression this large)`,
          ),
        );
    });
    socket.on("end", () => {
      if (phase === "expect") finish(mismatch("before the server closed the connection"));
    });
    socket.on("error", (e) => {
      if (phase === "expect" && received.length > 0) return finish(mismatch(`before the connection failed (${rawMessage(e)})`));
      finish(describeSocketError(e, where));
    });
    // Errors and ends are handled above; this catches a close that came with neither.
    socket.on("close", () => {
      if (phase === "expect") finish(mismatch("before the connection closed"));
      else
        finish({
          kind: "connection",
          message: `${where}: the connection closed unexpectedly (while ${phase === "send" ? "sending tcp.send" : "connecting"})`,
        });
    });
  });
};
