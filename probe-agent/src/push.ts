// Delivery: pushes the outbox to POST /api/v1/results oldest first, removes what the edge acknowledged,
// retries with backoff + jitter (honouring Retry-After), and drops only what the edge refused. A refused
// token is read again at once, and a new one is tried without waiting out the backoff.
import { edgeFetch, type EdgeFetch, type EdgeResponse } from "./edge-client.ts";
import { MAX_BATCH_RESULTS } from "../../contract/index.ts";
import { parseRetryAfter } from "../../contract/retry-after.ts";
import { errorContext, type Logger } from "./log.ts";
import type { Entry, Outbox } from "./outbox.ts";
import { asTokenSource, type TokenSource } from "./token.ts";

/** The edge's cap on one request body. */
export const MAX_BATCH_BYTES = 1024 * 1024;

export type PushOptions = {
  outbox: Outbox;
  edgeUrl: string;
  /** The agent's token: a fixed one, or a source that may change it while the agent runs (AGENT_TOKEN_FILE). */
  token: string | TokenSource;
  version: string;
  logger: Logger;
  fetch?: EdgeFetch;
  /** Results per request (≤ 1,000). */
  batchSize?: number;
  maxBytes?: number;
  /** After a delivery that left less than a full batch, wait this long so results group into fewer requests. */
  lingerMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** The longest Retry-After honoured as given; longer ones are capped to this. */
  retryAfterMaxMs?: number;
  requestTimeoutMs?: number;
  random?: () => number;
  now?: () => number;
  /** A push that failed and will be retried: "network", "timeout" or "http_<status>". */
  onFailure?: (reason: string) => void;
  onDelivered?: (accepted: number, duplicates: number) => void;
};

/**
 * The failure reasons known ahead (onFailure): no answer, no answer in time, and the statuses that
 * make the agent retry (the edge's 5xx and 429, 408, 409; 401, 403 and 404 keep results too). Another
 * status answered with Retry-After is named the same way when it happens.
 */
export const PUSH_FAILURE_REASONS = [
  "network",
  "timeout",
  ...[401, 403, 404, 408, 409, 429, 500, 502, 503, 504].map((s) => `http_${s}`),
] as const;

/** What one push attempt did. */
export type Attempt =
  | { kind: "empty" }
  | { kind: "delivered"; count: number; accepted: number; duplicates: number }
  | { kind: "rejected"; count: number; status: number; reason: string }
  | { kind: "retry"; reason: string; retryAfterMs: number | null; status?: number };

/** Equal jitter: half the exponential step, plus a random part of the other half. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(step / 2 + random() * (step / 2));
}

/**
 * Which results of a refused batch the edge named: `issues[].path` like `results[3]…`, or a
 * monitor id of the batch given as a whole string anywhere in the body (e.g. `"monitors":["db"]`,
 * or quoted in a message). Empty when the body names none of them.
 */
export function namedResults(body: unknown, batch: readonly Entry[]): Set<number> {
  const out = new Set<number>();
  const strings: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === "string") strings.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(body);
  const issues = (body as { error?: { issues?: unknown } } | null)?.error?.issues;
  if (Array.isArray(issues))
    for (const issue of issues) {
      const m = /^results\[(\d+)\]/.exec(String((issue as { path?: unknown })?.path ?? ""));
      if (m && Number(m[1]) < batch.length) out.add(Number(m[1]));
    }
  const named = new Set<string>();
  for (const s of strings) {
    named.add(s);
    for (const q of s.matchAll(/["'`“]([^"'`”]+)["'`”]/g)) named.add(q[1]!);
  }
  batch.forEach((e, i) => {
    if (named.has(e.monitor)) out.add(i);
  });
  return out;
}

export class Pusher {
  private readonly o: Required<Omit<PushOptions, "onFailure" | "onDelivered">> & Pick<PushOptions, "onFailure" | "onDelivered">;
  private readonly tokens: TokenSource;
  private failures = 0;
  /** Results per request now: batchSize, or less after the edge answered 413. */
  private batchCap: number;
  /** Below the smallest batch the edge found too large. */
  private ceiling: number;
  private stopped = true;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  /** Ends the backoff after a refused token when a new token arrives (the file's timer found it). */
  private tokenWake: (() => void) | null = null;
  private stopWaiter: (() => void) | null = null;
  private loopAbort = new AbortController();
  lastSuccessAt: number | null = null;
  lastError: string | null = null;

  constructor(options: PushOptions) {
    this.o = {
      fetch: edgeFetch(),
      batchSize: 500,
      maxBytes: MAX_BATCH_BYTES,
      lingerMs: 1000,
      backoffBaseMs: 1000,
      backoffMaxMs: 60_000,
      retryAfterMaxMs: 15 * 60_000,
      requestTimeoutMs: 30_000,
      random: Math.random,
      now: Date.now,
      ...definedOnly(options),
    } as Pusher["o"];
    this.tokens = asTokenSource(options.token);
    this.tokens.onChange(() => this.tokenWake?.());
    this.o.batchSize = Math.max(1, Math.min(MAX_BATCH_RESULTS, this.o.batchSize));
    this.batchCap = this.o.batchSize;
    this.ceiling = this.o.batchSize;
  }

  /** Consecutive failed attempts (0 after a success). */
  consecutiveFailures(): number {
    return this.failures;
  }

  /** Sends the oldest batch once and acts on the answer. */
  async pushOnce(signal?: AbortSignal): Promise<Attempt> {
    const batch = this.o.outbox.peek(this.batchCap, this.o.maxBytes - 256);
    if (batch.length === 0) return { kind: "empty" };
    const backlog = this.o.outbox.depth();
    const body = `{"version":${JSON.stringify(this.o.version)},"backlog":${backlog},"results":[${batch.map((e) => e.json).join(",")}]}`;
    const token = this.tokens.current();
    const started = performance.now();
    const controller = new AbortController();
    const timeout = setTimeout(
      () => controller.abort(new Error(`no answer within ${this.o.requestTimeoutMs} ms`)),
      this.o.requestTimeoutMs,
    );
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    let res: EdgeResponse;
    let text: string;
    try {
      res = await this.o.fetch(`${this.o.edgeUrl}/api/v1/results`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          // The answer is a few bytes of JSON: decompressing it cost more than it saves.
          "accept-encoding": "identity",
          "user-agent": `uptime-probe-agent/${this.o.version}`,
        },
        body,
        signal: controller.signal,
      });
      text = await res.text();
    } catch (e) {
      // Cut short by our caller (stop, or the end of a flush): not the edge's fault, nothing to count.
      if (signal?.aborted) return { kind: "retry", reason: "aborted", retryAfterMs: null };
      return this.failed(controller.signal.aborted ? "timeout" : "network", null, { ...errorContext(e), results: batch.length });
    } finally {
      clearTimeout(timeout);
      signal?.removeEventListener("abort", onAbort);
    }
    const duration_ms = Math.round(performance.now() - started);
    const status = res.status;
    if (status >= 200 && status < 300) {
      const ack = safeJson(text) as { accepted?: unknown; duplicates?: unknown } | null;
      const accepted = typeof ack?.accepted === "number" ? ack.accepted : batch.length;
      const duplicates = typeof ack?.duplicates === "number" ? ack.duplicates : 0;
      this.o.outbox.remove(batch);
      this.failures = 0;
      this.lastSuccessAt = this.o.now();
      this.lastError = null;
      this.o.onDelivered?.(accepted, duplicates);
      this.o.logger.debug(
        { results: batch.length, accepted, duplicates, backlog: this.o.outbox.depth(), duration_ms },
        "results delivered",
      );
      // Grow back after a 413 made batches smaller, but stay below the size the edge refused.
      if (this.batchCap < this.ceiling) this.batchCap = Math.min(this.ceiling, this.batchCap * 2);
      return { kind: "delivered", count: batch.length, accepted, duplicates };
    }
    const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"), this.o.now(), this.o.retryAfterMaxMs);
    const body4xx = safeJson(text);
    const summary = errorSummary(body4xx, text);
    // 409 is the edge storing the same batch from a concurrent request; any answer that carries
    // Retry-After asks for the batch again later. Neither refuses the results.
    if (status >= 500 || status === 408 || status === 409 || status === 429 || retryAfterMs !== null)
      return this.failed(`http_${status}`, retryAfterMs, { status, results: batch.length, duration_ms, edge_error: summary });
    if (status === 413 && batch.length > 1) {
      this.ceiling = Math.min(this.ceiling, batch.length - 1);
      this.batchCap = Math.max(1, Math.floor(batch.length / 2));
      this.o.logger.warn(
        { status, results: batch.length, next_batch: this.batchCap },
        "the edge found the batch too large; sending smaller batches",
      );
      return { kind: "retry", reason: "http_413", retryAfterMs: 0, status };
    }
    const named = namedResults(body4xx, batch);
    // 401, 404 and a 403 that names none of the results say the agent or EDGE_URL is wrong, not the
    // results: dropping them would empty the outbox over a configuration mistake, so keep retrying.
    if (status === 401 || status === 404 || (status === 403 && named.size === 0)) {
      // The token may have been rotated (a Secret updated, read again only every few seconds): read it now. When it
      // changed since this attempt, the refusal was for the old one, and the batch goes again at once.
      if (status !== 404) await this.tokens.reload("refused");
      if (this.tokens.current() !== token) {
        this.o.logger.info({ status, results: batch.length }, "the edge refused the previous agent token; sending again with the new one");
        return this.failed(`http_${status}`, 0, { status, results: batch.length, token_changed: true });
      }
      this.o.logger.error(
        { status, edge_error: summary, url: `${this.o.edgeUrl}/api/v1/results` },
        status === 401
          ? "the edge refused the agent token (AGENT_TOKEN or AGENT_TOKEN_FILE); results are kept"
          : "the edge refused the push; check EDGE_URL and the agent token; results are kept",
      );
      return this.failed(`http_${status}`, retryAfterMs, { status, results: batch.length });
    }
    // The batch is refused. Drop the results the answer names; when it names none, the whole batch.
    // The rest of a partly named batch stays first in the outbox and goes out again at once.
    const refused = named.size > 0 ? batch.filter((_, i) => named.has(i)) : batch;
    const reason = `HTTP ${status}: ${summary}`;
    this.o.outbox.reject(refused, reason);
    this.failures = 0;
    this.o.logger.error(
      {
        status,
        dropped: refused.length,
        kept: batch.length - refused.length,
        monitors: [...new Set(refused.map((e) => e.monitor))],
        ids: refused.slice(0, 20).map((e) => e.id),
        edge_error: body4xx ?? text.slice(0, 2000),
      },
      "the edge refused results; they are dropped",
    );
    return { kind: "rejected", count: refused.length, status, reason };
  }

  private failed(reason: string, retryAfterMs: number | null, context: Record<string, unknown>): Attempt {
    this.failures++;
    this.lastError = reason;
    this.o.onFailure?.(reason);
    this.o.logger.warn({ reason, attempt: this.failures, backlog: this.o.outbox.depth(), ...context }, "push failed; will retry");
    const out: Attempt = { kind: "retry", reason, retryAfterMs };
    if (typeof context.status === "number") out.status = context.status;
    return out;
  }

  /** How long to wait before the next attempt after a retryable failure. */
  delayFor(attempt: Extract<Attempt, { kind: "retry" }>): number {
    if (attempt.retryAfterMs !== null) {
      // Never earlier than the edge asked (parseRetryAfter capped it to retryAfterMaxMs); a little later, so that agents do not come back together.
      const asked = attempt.retryAfterMs;
      return Math.round(asked + this.o.random() * Math.min(1000, asked * 0.1));
    }
    return backoffMs(Math.max(1, this.failures), this.o.backoffBaseMs, this.o.backoffMaxMs, this.o.random);
  }

  /** Tells the loop that new results are waiting. */
  notify(): void {
    this.wake?.();
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    this.loopAbort = new AbortController();
    while (!this.stopped) {
      let attempt: Attempt;
      try {
        attempt = await this.pushOnce(this.loopAbort.signal);
      } catch (e) {
        // The outbox itself failed (disk): keep the loop alive and try again later.
        this.o.logger.error({ err: e }, "push loop error");
        attempt = { kind: "retry", reason: "outbox", retryAfterMs: null };
        this.failures++;
      }
      if (this.stopped) break;
      switch (attempt.kind) {
        case "empty":
          await this.sleep(5000, true);
          break;
        case "delivered":
          if (this.o.outbox.depth() < this.batchCap) await this.sleep(this.o.lingerMs, false);
          break;
        case "rejected":
          break;
        case "retry":
          // After a refused token, a new token ends the wait: the Secret was updated, the results can go.
          await this.sleep(this.delayFor(attempt), false, attempt.status === 401 || attempt.status === 403);
          break;
      }
    }
  }

  /**
   * Waits `ms`; `wakeable` sleeps also end when new results arrive (notify), `onNewToken` ones when the token
   * changes — all end on stop.
   */
  private sleep(ms: number, wakeable: boolean, onNewToken = false): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        this.tokenWake = null;
        this.stopWaiter = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      if (wakeable) this.wake = done;
      if (onNewToken) this.tokenWake = done;
      this.stopWaiter = done;
    });
  }

  /**
   * Ends the loop. A request in flight is abandoned (its results stay in the outbox; if the
   * edge did store them, sending them again is recognised as duplicates).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopWaiter?.();
    this.loopAbort.abort(new Error("the push loop is stopping"));
    await this.loop;
    this.loop = null;
  }

  /**
   * Pushes until the outbox is empty or `timeoutMs` has passed, ignoring any backoff in
   * progress (shutdown: one bounded last effort). Returns what is left.
   */
  async flush(timeoutMs: number): Promise<{ remaining: number; attempts: number }> {
    const deadline = performance.now() + timeoutMs;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error("flush time is up")), timeoutMs);
    let attempts = 0;
    try {
      while (performance.now() < deadline) {
        const a = await this.pushOnce(controller.signal);
        attempts++;
        if (a.kind === "empty") break;
        if (a.kind === "retry") {
          const wait = a.reason === "http_413" ? 0 : this.delayFor(a);
          if (performance.now() + wait >= deadline) break;
          await new Promise((r) => setTimeout(r, wait));
        }
      }
    } finally {
      clearTimeout(timer);
    }
    return { remaining: this.o.outbox.depth(), attempts };
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The edge's error as one line: `code: message` from the API's error shape, else the start of the body. */
function errorSummary(body: unknown, text: string): string {
  const err = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (err && (err.code || err.message)) return [err.code, err.message].filter(Boolean).join(": ");
  return text.slice(0, 200) || "(empty body)";
}
