// Who may read which error text. A check's error message is the check's own words, which name hosts,
// addresses and configuration, and sometimes a target's words: the tcp check's expect mismatch quotes
// the first bytes the target answered. So:
// - the public (PUBLIC_STATUS=true, no token) gets one fixed phrase per error kind, nothing written by a
//   check or a target (a status code number alone may be added to "unexpected HTTP status");
// - viewers get the check's words, without a target's answer;
// - editors and admins get the target's answer too, apart from the message, clipped and marked untrusted.
import type { CheckError, ErrorKind, Kind } from "../../../contract/index.ts";
import { clip } from "../../../contract/text.ts";
import type { Role } from "./context.ts";

/** Who reads a view: a role, or "public" for an anonymous caller of a public status page. */
export type Audience = "public" | Role;

/** The one phrase per error kind a public view may show. */
export const PUBLIC_PHRASES: Record<ErrorKind, string> = {
  timeout: "timed out",
  dns: "name did not resolve",
  refused: "connection refused",
  unreachable: "host unreachable",
  connection: "connection failed",
  tls: "TLS failed",
  status: "unexpected HTTP status",
  keyword: "content check failed",
  permission: "checker lacked permission",
  other: "check failed",
};

/** The longest target's answer an editor or admin is shown. */
export const UNTRUSTED_MAX = 120;

/** An error as a view shows it. `untrusted_target_answer` is text a target sent, for editors and admins only. */
export type ErrorView = { kind: ErrorKind; message: string; untrusted_target_answer?: string };

const mayReadTargetAnswers = (a: Audience) => a === "editor" || a === "admin";

/**
 * Text someone outside sent (a target's or a receiver's answer), fit to be shown as data: every control,
 * format (bidirectional overrides, zero-width) and line-separator character written as a \u escape, and
 * clipped to `max`.
 */
export function untrustedText(s: string, max = UNTRUSTED_MAX): string {
  const visible = s.replace(/[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu, (c) => {
    const cp = c.codePointAt(0)!;
    return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, "0")}`;
  });
  return clip(visible, max);
}

/**
 * The tcp check's expect mismatch split into the check's words and the target's answer:
 * `<host:port>: expected <rule> but received <n> bytes <why>: "<first 200 characters, JSON-quoted>"[…]`
 * (probe-agent/src/checks/tcp.ts). Null when the message does not have that shape.
 */
export function splitTargetAnswer(message: string): { words: string; answer: string } | null {
  const body = message.endsWith("…") ? message.slice(0, -1) : message;
  if (!body.endsWith('"') || body.length < 2) return null;
  // The answer is JSON-quoted, so every quote inside it is escaped: the opening quote is the nearest
  // unescaped one before the closing quote.
  for (let i = body.length - 2; i >= 0; i--) {
    if (body[i] !== '"') continue;
    let slashes = 0;
    for (let j = i - 1; j >= 0 && body[j] === "\\"; j--) slashes++;
    if (slashes % 2 === 1) continue;
    const words = body.slice(0, i);
    if (!words.endsWith(": ") || !/ but received \d+ bytes/.test(words)) return null;
    return { words: words.slice(0, -2), answer: message.slice(i) };
  }
  return null;
}

/**
 * Whether an error may quote a target: a `keyword` failure of a tcp monitor (its expect mismatch), or
 * any `keyword` failure shaped like one when the monitor's kind is not known.
 */
export function carriesTargetAnswer(error: CheckError, monitorKind?: Kind): boolean {
  return error.kind === "keyword" && (monitorKind === "tcp" || splitTargetAnswer(error.message) !== null);
}

/** The status code of a `status` failure: the result's http block, else the check's "got 503" wording. */
function statusCode(error: CheckError, httpStatus: number | null | undefined): number | null {
  if (typeof httpStatus === "number" && httpStatus >= 100 && httpStatus <= 599) return httpStatus;
  const m = /\bgot ([1-5]\d\d)\b/.exec(error.message);
  return m ? Number(m[1]) : null;
}

/** The phrase a public view shows for an error. */
export function publicPhrase(error: CheckError, httpStatus?: number | null): string {
  if (error.kind !== "status") return PUBLIC_PHRASES[error.kind] ?? PUBLIC_PHRASES.other;
  const code = statusCode(error, httpStatus);
  return code === null ? PUBLIC_PHRASES.status : `${PUBLIC_PHRASES.status} ${code}`;
}

/**
 * An error as `audience` may read it. `monitorKind` is the kind of the monitor that failed (a tcp
 * monitor's `keyword` failure quotes its target); `httpStatus` the result's status code, if it has one.
 */
export function errorView(
  error: CheckError | null,
  audience: Audience,
  opts: { monitorKind?: Kind; httpStatus?: number | null } = {},
): ErrorView | null {
  if (!error) return null;
  // A status token (wall displays) reads what the public reads.
  if (audience === "public" || audience === "status") return { kind: error.kind, message: publicPhrase(error, opts.httpStatus) };
  if (!carriesTargetAnswer(error, opts.monitorKind)) return { kind: error.kind, message: error.message };
  const split = splitTargetAnswer(error.message);
  const words = split?.words ?? "the answer did not match tcp.expect";
  if (!mayReadTargetAnswers(audience)) return { kind: error.kind, message: `${words}; the target's answer is withheld` };
  return { kind: error.kind, message: words, untrusted_target_answer: untrustedText(split?.answer ?? error.message) };
}

/**
 * The monitors API's view of one monitor (db/monitors.ts monitorView) for a caller with `role`: the
 * state's last error as that role may read it. Everything else is passed through unchanged.
 */
export function redactMonitorView<V extends Configured & { kind: Kind; state: { last_error: CheckError | null } }>(
  view: V,
  role: Role,
): RedactedView<V> {
  const state = { ...view.state, last_error: errorView(view.state.last_error, role, { monitorKind: view.kind }) };
  return { ...(mayReadSecrets(role) ? view : hideSecrets(view)), state } as RedactedView<V>;
}

/** What a viewer is not shown of a monitor's configuration: it may hold credentials (an Authorization header, a login body, a tcp greeting). */
export const HIDDEN = "***";
const mayReadSecrets = (role: Role) => role === "editor" || role === "admin";

type Configured = { http?: { headers?: Record<string, string>; body?: string | null }; tcp?: { send?: string | null } };

/** The view with header values, request bodies and tcp payloads replaced by "***", and `redacted` naming each field hidden. */
function hideSecrets<V extends Configured>(view: V): V & { redacted: string[] } {
  const redacted: string[] = [];
  const out: Configured & Record<string, unknown> = { ...view };
  if (view.http) {
    const headers = Object.fromEntries(
      Object.keys(view.http.headers ?? {}).map((name) => {
        redacted.push(`http.headers.${name}`);
        return [name, HIDDEN];
      }),
    );
    const body = view.http.body == null ? view.http.body : HIDDEN;
    if (view.http.body != null) redacted.push("http.body");
    out.http = { ...view.http, headers, body };
  }
  if (view.tcp?.send != null) {
    out.tcp = { ...view.tcp, send: HIDDEN };
    redacted.push("tcp.send");
  }
  return { ...(out as V), redacted };
}

/** A monitor view with its last error as a role may read it. */
export type RedactedView<V extends { state: object }> = Omit<V, "state"> & {
  state: Omit<V["state"], "last_error"> & { last_error: ErrorView | null };
};

/**
 * A notification as the API shows it, with a receiver's answer apart: delivery records a failed
 * attempt as `HTTP <status>: <the first 300 bytes the receiver answered>`, which is the receiver's
 * text, not ours. The error and the reason keep `HTTP <status>`; the answer moves to
 * `untrusted_receiver_answer`, clipped and with controls escaped.
 */
export function receiverAnswersApart<N extends { reason: string | null; attempts: Array<{ error: string | null }> }>(
  n: N,
): Omit<N, "attempts"> & { attempts: Array<N["attempts"][number] & { untrusted_receiver_answer?: string }> } {
  const attempts = n.attempts.map((a) => {
    const m = a.error === null ? null : /^(HTTP \d{3}): ([\s\S]+)$/.exec(a.error);
    return m ? { ...a, error: m[1]!, untrusted_receiver_answer: untrustedText(m[2]!) } : a;
  });
  // The reason repeats the last attempt's error: "<error> (not retried)", "gave up after 8 attempts; last: <error>".
  const reason = n.reason?.replace(/((?:^|last: )HTTP \d{3}): [\s\S]+?((?: \(not retried\))?)$/, "$1$2") ?? null;
  return { ...n, reason, attempts };
}

/**
 * A request path as logs may keep it: a heartbeat's ping key is its credential (api/routes/ping.ts), so
 * `/ping/<key>/fail` is logged as `/ping/:key/fail`. Every other path is kept as it is.
 */
export function loggedPath(path: string): string {
  return path.startsWith("/ping/") ? path.replace(/^\/ping\/[^/]*/, "/ping/:key") : path;
}
