// Who reads which error text: the public's fixed phrases, a viewer's view without a target's answer,
// and an editor's or admin's with it apart, clipped and marked untrusted; monitor views and
// notifications reshaped the same way.
import { describe, expect, it } from "vitest";
import type { CheckError } from "../../../contract/index.ts";
import {
  PUBLIC_PHRASES,
  UNTRUSTED_MAX,
  carriesTargetAnswer,
  errorView,
  publicPhrase,
  receiverAnswersApart,
  redactMonitorView,
  splitTargetAnswer,
  untrustedText,
} from "./redact.ts";

/** The tcp check's expect mismatch, worded as probe-agent/src/checks/tcp.ts words it. */
const mismatch = (answer: string, why = "before the server closed the connection") =>
  `db.internal:5432: expected "PONG" but received ${answer.length} bytes ${why}: ${
    answer.length > 200 ? `${JSON.stringify(answer.slice(0, 200))}…` : JSON.stringify(answer)
  }`;
const WORDS = (n: number, why = "before the server closed the connection") =>
  `db.internal:5432: expected "PONG" but received ${n} bytes ${why}`;

describe("public phrases", () => {
  it("are one fixed phrase per kind, whatever the message says", () => {
    for (const [kind, phrase] of Object.entries(PUBLIC_PHRASES)) {
      const e = { kind, message: "connect to 10.0.0.5 (db.internal) with token=abc: 'x'" } as CheckError;
      expect(errorView(e, "public"), kind).toEqual({ kind, message: kind === "status" ? "unexpected HTTP status" : phrase });
    }
  });

  it("add a status code number, from the result's http block or the check's 'got 503'", () => {
    const e: CheckError = { kind: "status", message: "GET https://db7.internal/: got 503 Service Unavailable, expected 2xx" };
    expect(publicPhrase(e)).toBe("unexpected HTTP status 503");
    expect(publicPhrase(e, 404)).toBe("unexpected HTTP status 404");
    expect(publicPhrase({ kind: "status", message: "port 8443 said no" })).toBe("unexpected HTTP status");
    expect(publicPhrase({ kind: "status", message: "got 9999" })).toBe("unexpected HTTP status");
  });
});

describe("a target's answer", () => {
  it("is split from the check's words, whatever the answer holds", () => {
    for (const answer of ['he said: "hi"', "\\", '": "', "x".repeat(300), "", 'ends with a quote"']) {
      const msg = mismatch(answer);
      const split = splitTargetAnswer(msg);
      expect(split, answer).not.toBeNull();
      expect(split!.words).toBe(WORDS(answer.length));
      expect(split!.answer).toBe(msg.slice(WORDS(answer.length).length + 2));
    }
    const why = `before the connection failed (read ECONNRESET: "x")`;
    expect(splitTargetAnswer(mismatch("hello", why))!.words).toBe(WORDS(5, why));
  });

  it("is recognised by kind and shape; other keyword failures are not answers", () => {
    expect(splitTargetAnswer('GET https://a/: keyword "x" was not found in the body')).toBeNull();
    expect(splitTargetAnswer("db.internal:5432: connect ECONNREFUSED")).toBeNull();
    expect(carriesTargetAnswer({ kind: "keyword", message: mismatch("hi") })).toBe(true);
    expect(carriesTargetAnswer({ kind: "keyword", message: "anything at all" }, "tcp")).toBe(true);
    expect(carriesTargetAnswer({ kind: "keyword", message: 'keyword "x" was not found' }, "http")).toBe(false);
    expect(carriesTargetAnswer({ kind: "timeout", message: mismatch("hi") }, "tcp")).toBe(false);
  });

  it("never reaches the public or a viewer", () => {
    const e: CheckError = { kind: "keyword", message: mismatch("SECRET banner") };
    expect(errorView(e, "public", { monitorKind: "tcp" })).toEqual({ kind: "keyword", message: "content check failed" });
    expect(errorView(e, "viewer", { monitorKind: "tcp" })).toEqual({
      kind: "keyword",
      message: `${WORDS(13)}; the target's answer is withheld`,
    });
    expect(errorView(e, "agent", { monitorKind: "tcp" })!.message).not.toContain("SECRET");
  });

  it("reaches editors and admins apart from the message, clipped and with controls escaped", () => {
    const e: CheckError = { kind: "keyword", message: mismatch("220 hi\u202e\u0007 " + "y".repeat(300)) };
    for (const role of ["editor", "admin"] as const) {
      const v = errorView(e, role, { monitorKind: "tcp" })!;
      expect(v.message).toBe(WORDS(309));
      expect(v.untrusted_target_answer!.startsWith('"220 hi\\u202e\\u0007 yyy')).toBe(true);
      expect(v.untrusted_target_answer!.length).toBe(UNTRUSTED_MAX);
      expect(v.untrusted_target_answer!.endsWith("…")).toBe(true);
    }
  });

  it("of a shape it does not know is withheld whole from viewers and marked whole for editors", () => {
    const e: CheckError = { kind: "keyword", message: "banner: SECRET" };
    expect(errorView(e, "viewer", { monitorKind: "tcp" })).toEqual({
      kind: "keyword",
      message: "the answer did not match tcp.expect; the target's answer is withheld",
    });
    expect(errorView(e, "editor", { monitorKind: "tcp" })).toEqual({
      kind: "keyword",
      message: "the answer did not match tcp.expect",
      untrusted_target_answer: "banner: SECRET",
    });
  });

  it("leaves every other error as the check wrote it for signed-in roles", () => {
    const e: CheckError = { kind: "refused", message: "connect ECONNREFUSED 10.0.0.5:5432" };
    for (const role of ["viewer", "editor", "admin"] as const) expect(errorView(e, role, { monitorKind: "tcp" })).toEqual(e);
    expect(errorView(null, "viewer")).toBeNull();
  });
});

describe("untrustedText", () => {
  it("escapes controls, format characters, separators and lone surrogates, then clips", () => {
    expect(untrustedText("a\nb\u200bc\u2028d\ud800e\u{e0001}f")).toBe("a\\u000ab\\u200bc\\u2028d\\ud800e\\u{e0001}f");
    expect(untrustedText("é😀")).toBe("é😀");
    expect(untrustedText("x".repeat(200))).toHaveLength(UNTRUSTED_MAX);
  });
});

describe("redactMonitorView", () => {
  const view = (kind: "tcp" | "http", last_error: CheckError | null) => ({
    id: "db",
    kind,
    target: "db.internal:5432",
    tcp: { send: "PING", expect: "PONG", expect_regex: false },
    created_at: "2025-01-01T00:00:00.000Z",
    state: { status: "down", since: null, last_error, consecutive_failures: 3 },
  });

  it("withholds a tcp target's answer from viewers, and marks it for editors and admins", () => {
    const v = view("tcp", { kind: "keyword", message: mismatch("SECRET") });
    const forViewer = redactMonitorView(v, "viewer");
    expect(forViewer.state.last_error).toEqual({ kind: "keyword", message: `${WORDS(6)}; the target's answer is withheld` });
    expect(JSON.stringify(forViewer)).not.toContain("SECRET");
    expect(redactMonitorView(v, "editor").state.last_error).toEqual({
      kind: "keyword",
      message: WORDS(6),
      untrusted_target_answer: '"SECRET"',
    });
    // Everything else passes through, unchanged and uncopied where it need not be.
    const { state: _s, ...rest } = redactMonitorView(v, "admin");
    const { state: _t, ...orig } = v;
    expect(rest).toEqual(orig);
    expect(redactMonitorView(v, "admin").state).toMatchObject({ status: "down", consecutive_failures: 3 });
    expect(v.state.last_error!.message).toContain("SECRET"); // the input is not changed
  });

  it("keeps other errors and no error as they are", () => {
    const e: CheckError = { kind: "timeout", message: "no answer within 5000 ms from 10.0.0.5" };
    expect(redactMonitorView(view("http", e), "viewer").state.last_error).toEqual(e);
    expect(redactMonitorView(view("tcp", null), "viewer").state.last_error).toBeNull();
  });
});

describe("receiverAnswersApart", () => {
  it("moves a receiver's answer out of the error and the reason", () => {
    const n = {
      id: 1,
      status: "dead",
      reason: "HTTP 500: <b>oops</b> (not retried)",
      attempts: [
        { n: 1, status: 500, error: "HTTP 500: <b>oops</b>" },
        { n: 2, status: null, error: "no answer within 10000 ms" },
        { n: 3, status: 204, error: null },
      ],
    };
    expect(receiverAnswersApart(n)).toEqual({
      id: 1,
      status: "dead",
      reason: "HTTP 500 (not retried)",
      attempts: [
        { n: 1, status: 500, error: "HTTP 500", untrusted_receiver_answer: "<b>oops</b>" },
        { n: 2, status: null, error: "no answer within 10000 ms" },
        { n: 3, status: 204, error: null },
      ],
    });
    expect(receiverAnswersApart({ reason: "gave up after 8 attempts; last: HTTP 503: busy", attempts: [] }).reason).toBe(
      "gave up after 8 attempts; last: HTTP 503",
    );
    expect(receiverAnswersApart({ reason: "channel disabled: receiver answered 410 Gone", attempts: [] }).reason).toBe(
      "channel disabled: receiver answered 410 Gone",
    );
  });
});
