// Notification delivery: a durable D1 outbox, one row per (event, channel), sent on a retry
// schedule close to Standard Webhooks', with 410 disabling a channel and dead letters kept.
import { urlEgressProblem, type EgressPolicy } from "../../../contract/egress.ts";
import { toRfc3339 } from "../../../contract/index.ts";
import { parseRetryAfter } from "../../../contract/retry-after.ts";
import { workerEgress } from "../config/egress.ts";
import { disableChannel } from "../db/channels.ts";
import {
  claimDue,
  claimOne,
  countNotifications,
  deadLetterChannel,
  downFor,
  finish,
  incidentResolved,
  insertEvent,
  insertForChannel,
  insertForMatchingChannels,
  loadClaimed,
  nextDueAt,
  notificationIdFor,
  recordAttempt,
  releaseUntil,
  type ClaimedNotification,
  type NotificationCounts,
} from "../db/notifications.ts";
import type { Logger } from "../observability/log.ts";
import { CHANNELS, type Channel } from "./channels/index.ts";
import { eventName, type AlertEvent } from "./events.ts";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * Wait before each attempt, by attempt index: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h,
 * 10 h, 10 h (Standard Webhooks' schedule). After the 8th attempt fails the notification is dead.
 */
export const RETRY_SCHEDULE_MS = [0, 5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR] as const;
export const MAX_ATTEMPTS = RETRY_SCHEDULE_MS.length;
/** Each wait is stretched or shrunk by up to this fraction, so retries of many notifications spread out. */
export const JITTER = 0.1;
/** A receiver's Retry-After is honoured when longer than the schedule's wait, up to this. */
export const MAX_RETRY_AFTER_MS = 24 * HOUR;
export const REQUEST_TIMEOUT_MS = 10 * SECOND;
/** Workers allow 6 connections waiting for headers at once. */
const MAX_IN_FLIGHT = 6;
/** Notifications claimed per round; the claim lasts long enough for all of them to time out in turn. */
const CLAIM_BATCH = 12;
const USER_AGENT = "infra-uptime-monitor/0.1 (alert delivery)";

export type DeliveryDeps = {
  db: D1Database;
  fetch: typeof fetch;
  /** Epoch ms: schedules, claims and the webhook timestamp are read from it. */
  now: () => number;
  log: Logger;
  random?: () => number;
  timeoutMs?: number;
  /** deliverNow's wait for a retry due within its window (setTimeout by default). */
  sleep?: (ms: number) => Promise<void>;
  /** Where channels may be sent to; unset: the Worker's own policy (config/egress.ts). */
  egress?: EgressPolicy;
};

export type DeliveryReport = {
  /** Requests sent (each is one subrequest). */
  attempted: number;
  delivered: number;
  /** Failed attempts that will be retried. */
  retrying: number;
  dead: number;
  skipped: number;
  /** Held back without an attempt: a recovery waiting for its "down", or a channel that just failed. */
  waiting: number;
};

/** Deps for production: the runtime's fetch and clock. */
export function deliveryDeps(
  db: D1Database,
  log: Logger,
  fetcher: typeof fetch = (input, init) => fetch(input, init),
  now: () => number = Date.now,
): DeliveryDeps {
  return { db, log, fetch: fetcher, now };
}

const emptyReport = (): DeliveryReport => ({ attempted: 0, delivered: 0, retrying: 0, dead: 0, skipped: 0, waiting: 0 });

function addReport(into: DeliveryReport, r: DeliveryReport) {
  for (const k of Object.keys(into) as Array<keyof DeliveryReport>) into[k] += r[k];
}

/** The wait after `attemptsMade` attempts (≥ 1), with jitter; null when none is left. */
export function retryDelayMs(attemptsMade: number, random: () => number = Math.random): number | null {
  const base = RETRY_SCHEDULE_MS[attemptsMade];
  if (base === undefined) return null;
  return Math.round(base * (1 - JITTER + 2 * JITTER * random()));
}

/** When the next attempt goes, after `attemptsMade` attempts: the schedule, or Retry-After if longer. */
export function nextAttemptAt(now: number, attemptsMade: number, retryAfter: number | null, random?: () => number): number | null {
  const scheduled = retryDelayMs(attemptsMade, random);
  if (scheduled === null) return null;
  return now + Math.max(scheduled, Math.min(retryAfter ?? 0, MAX_RETRY_AFTER_MS));
}

/**
 * Records an event and queues one notification for each enabled channel that wants it (its
 * `monitors` empty or naming the monitor, its `events` naming the event). Keyed by (event id,
 * channel id): enqueueing the same event again adds nothing. Returns how many were added.
 */
export async function enqueue(db: D1Database, event: AlertEvent, now: number = Date.now()): Promise<number> {
  const name = eventName(event.type);
  if (name === null) throw new Error("test events are sent with sendTest, not enqueued");
  const [, inserted] = await db.batch([insertEvent(db, event, now), insertForMatchingChannels(db, event, name, now)]);
  return inserted!.meta.changes;
}

export function notificationCounts(db: D1Database): Promise<NotificationCounts> {
  return countNotifications(db);
}

type Outcome = keyof Omit<DeliveryReport, "attempted">;
type Attempt = { at: number; duration_ms: number; status: number | null; error: string | null };

/** The start of a response body, for the attempt's error; the rest is cancelled unread. */
async function bodySnippet(res: Response, max = 300): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  const text = new TextDecoder().decode(bytes.slice(0, max)).replace(/\s+/g, " ").trim();
  return size > max ? `${text}…` : text;
}

async function send(
  deps: DeliveryDeps,
  n: ClaimedNotification,
  now: number,
): Promise<{ attempt: Attempt; retryAfter: number | null } | { buildError: string } | { refused: string }> {
  let req;
  try {
    req = await CHANNELS[n.channel.kind].build(n.event, n.channel, now);
  } catch (e) {
    return { buildError: e instanceof Error ? e.message : String(e) };
  }
  // Checked right before the request, not only when the channel was saved: the policy may have changed since.
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return { buildError: `the channel's URL ${JSON.stringify(req.url)} is not a URL` };
  }
  const refused = urlEgressProblem(url, deps.egress ?? workerEgress());
  if (refused) return { refused };
  const timeoutMs = deps.timeoutMs ?? REQUEST_TIMEOUT_MS;
  const started = Date.now();
  let status: number | null = null;
  let error: string | null = null;
  let retryAfter: number | null = null;
  try {
    const res = await deps.fetch(url.href, {
      method: req.method,
      headers: { "user-agent": USER_AGENT, ...req.headers },
      body: req.body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = res.status;
    if (res.status >= 200 && res.status < 300) await res.body?.cancel();
    else {
      const snippet = await bodySnippet(res);
      error = `HTTP ${res.status}${snippet ? `: ${snippet}` : ""}`;
      retryAfter = parseRetryAfter(res.headers.get("retry-after"), now, MAX_RETRY_AFTER_MS);
    }
  } catch (e) {
    const name = e instanceof Error ? e.name : "";
    error =
      name === "TimeoutError" || name === "AbortError"
        ? `no answer within ${timeoutMs} ms`
        : `request failed: ${e instanceof Error ? e.message : String(e)}`;
  }
  return { attempt: { at: now, duration_ms: Date.now() - started, status, error }, retryAfter };
}

type ProcessOptions = { maxAttempts: number; requireEnabled: boolean };

/**
 * One held notification: the ordering rules first (a recovery or reminder goes only after this
 * channel got the incident's "down"; a reminder only while the incident is open), then one attempt.
 * `channelFailedUntil` is set when an earlier attempt to the same channel failed in this round.
 */
async function processOne(
  deps: DeliveryDeps,
  claim: string,
  n: ClaimedNotification,
  opts: ProcessOptions,
  channelFailedUntil: number | null,
): Promise<{ outcome: Outcome; sent: boolean; failedUntil: number | null; gone?: true }> {
  const { db, log } = deps;
  const now = deps.now();
  const ev = n.event;
  const fields = { notification: n.id, event: ev.id, type: ev.type, channel: n.channel.id, monitor: ev.monitor.id };
  const end = async (status: "dead" | "skipped", reason: string) => {
    await finish(db, n.id, claim, status, reason, now).run();
    log.info(`notification ${status}`, { ...fields, reason });
    return { outcome: status, sent: false, failedUntil: null };
  };
  const wait = async (until: number) => {
    await releaseUntil(db, n.id, claim, until).run();
    return { outcome: "waiting" as const, sent: false, failedUntil: null };
  };

  if (opts.requireEnabled && !n.channel.enabled) return end("dead", `channel disabled: ${n.channel.disabled_reason ?? "by an admin"}`);
  if ((ev.type === "monitor.up" || ev.type === "monitor.reminder") && ev.incident) {
    if (ev.type === "monitor.reminder" && (ev.incident.resolved_at !== null || (await incidentResolved(db, ev.incident.id))))
      return end("skipped", "incident resolved");
    const down = await downFor(db, n.channel.id, ev.incident.id);
    if (!down || down.status === "dead" || down.status === "skipped") return end("skipped", "down not sent");
    // Held by another sender right now: look again shortly; else when the down is next tried.
    if (down.status === "pending") return wait(down.claimed_until > now ? now + 5 * SECOND : Math.max(down.next_attempt_at, now + SECOND));
  }
  // The channel just failed: do not pile more requests on it; try again when the failed one does.
  if (channelFailedUntil !== null) return wait(channelFailedUntil);

  const sent = await send(deps, n, now);
  if ("buildError" in sent) return end("dead", `could not build the request: ${sent.buildError}`);
  if ("refused" in sent) return end("dead", `not sent: ${sent.refused}; no request was made`);
  const { attempt, retryAfter } = sent;
  const made = n.attempts + 1;
  const stmts = recordAttempt(db, n.id, attempt);
  const logged = { ...fields, attempt: made, status: attempt.status, error: attempt.error, duration_ms: attempt.duration_ms };

  if (attempt.status !== null && attempt.status >= 200 && attempt.status < 300) {
    await db.batch([...stmts, finish(db, n.id, claim, "delivered", null, now)]);
    log.info("notification delivered", logged);
    return { outcome: "delivered", sent: true, failedUntil: null };
  }
  if (attempt.status === 410) {
    const reason = `the receiver answered 410 Gone on ${toRfc3339(now)}`;
    await db.batch([
      ...stmts,
      finish(db, n.id, claim, "dead", "channel disabled: receiver answered 410 Gone", now),
      disableChannel(db, n.channel.id, reason, now),
      deadLetterChannel(db, n.channel.id, "channel disabled: receiver answered 410 Gone", now),
    ]);
    log.warn("channel disabled", { ...logged, reason });
    return { outcome: "dead", sent: true, failedUntil: null, gone: true };
  }
  if (attempt.status !== null && CHANNELS[n.channel.kind].permanent?.includes(attempt.status)) {
    // Worded as a single attempt's end, so the API shows the receiver's answer apart from it (redact.ts).
    const reason = `${attempt.error} (not retried)`;
    await db.batch([...stmts, finish(db, n.id, claim, "dead", reason, now)]);
    log.warn("notification dead-lettered", { ...logged, reason });
    return { outcome: "dead", sent: true, failedUntil: null };
  }
  const next = made < opts.maxAttempts ? nextAttemptAt(now, made, retryAfter, deps.random) : null;
  if (next === null) {
    const reason = opts.maxAttempts === 1 ? `${attempt.error} (not retried)` : `gave up after ${made} attempts; last: ${attempt.error}`;
    await db.batch([...stmts, finish(db, n.id, claim, "dead", reason, now)]);
    log.warn("notification dead-lettered", { ...logged, reason });
    return { outcome: "dead", sent: true, failedUntil: null };
  }
  await db.batch([...stmts, releaseUntil(db, n.id, claim, next)]);
  log.warn("notification attempt failed", { ...logged, next_attempt_at: toRfc3339(next) });
  return { outcome: "retrying", sent: true, failedUntil: next };
}

/** Sends what `claim` holds: channels side by side (at most 6 at once), each channel's in event order. */
async function processClaimed(
  deps: DeliveryDeps,
  claim: string,
  rows: ClaimedNotification[],
  opts: ProcessOptions,
): Promise<DeliveryReport> {
  const report = emptyReport();
  const byChannel = new Map<string, ClaimedNotification[]>();
  for (const r of rows) {
    const list = byChannel.get(r.channel.id);
    if (list) list.push(r);
    else byChannel.set(r.channel.id, [r]);
  }
  const queues = [...byChannel.values()];
  const worker = async () => {
    for (let list = queues.shift(); list; list = queues.shift()) {
      let failedUntil: number | null = null;
      for (const n of list) {
        let r;
        try {
          r = await processOne(deps, claim, n, opts, failedUntil);
        } catch (e) {
          // A D1 hiccup: the claim lapses and the notification is tried again later.
          deps.log.error("notification delivery failed", { notification: n.id, channel: n.channel.id, error: e });
          continue;
        }
        report[r.outcome] += 1;
        if (r.sent) report.attempted += 1;
        // 410: the channel is disabled and the rest of its notifications already dead-lettered.
        if (r.gone) {
          report.dead += list.length - list.indexOf(n) - 1;
          break;
        }
        failedUntil ??= r.failedUntil;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(MAX_IN_FLIGHT, queues.length) }, worker));
  return report;
}

/**
 * Sends due notifications, at most `maxRequests` requests (each one subrequest). Rows are claimed
 * before sending, so overlapping callers (a cron tick and a waitUntil) never send one twice; a
 * sender that dies mid-request leaves its claim to lapse and the notification is sent again with
 * the same webhook-id, which receivers deduplicate on.
 */
export async function deliverDue(deps: DeliveryDeps, maxRequests: number): Promise<DeliveryReport> {
  const report = emptyReport();
  let left = Math.floor(maxRequests);
  const timeoutMs = deps.timeoutMs ?? REQUEST_TIMEOUT_MS;
  // Every row a round handles leaves the due set (sent, ended, or released to a later time), so
  // rounds end; the bound is a guard, not the plan.
  for (let round = 0; round < 50 && left > 0; round++) {
    const now = deps.now();
    const claim = crypto.randomUUID();
    const batch = Math.min(left, CLAIM_BATCH);
    if ((await claimDue(deps.db, now, batch, claim, now + batch * (timeoutMs + 5 * SECOND))) === 0) break;
    const r = await processClaimed(deps, claim, await loadClaimed(deps.db, claim), { maxAttempts: MAX_ATTEMPTS, requireEnabled: true });
    addReport(report, r);
    left -= r.attempted;
  }
  return report;
}

/**
 * For `ctx.waitUntil` right after enqueueing: sends what is due now and, when a first attempt
 * fails, waits for retries due within `maxWaitMs` (the 5 s step cannot wait for the next
 * minute's tick) and sends again. Bounded by `maxRequests` and a few rounds.
 */
export async function deliverNow(deps: DeliveryDeps, opts: { maxRequests?: number; maxWaitMs?: number } = {}): Promise<DeliveryReport> {
  const report = emptyReport();
  let left = opts.maxRequests ?? 10;
  let waitLeft = opts.maxWaitMs ?? 15 * SECOND;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let round = 0; round < 4 && left > 0; round++) {
    const r = await deliverDue(deps, left);
    addReport(report, r);
    left -= r.attempted;
    const next = await nextDueAt(deps.db);
    if (next === null || left <= 0) break;
    const wait = next - deps.now();
    if (wait > waitLeft) break;
    if (wait > 0) {
      await sleep(wait);
      waitLeft -= wait;
    }
  }
  return report;
}

/** The event POST /api/v1/channels/:id/test sends: type "test", about no real monitor. */
export function testEvent(channel: Channel, now: number): AlertEvent {
  const tag = crypto.getRandomValues(new Uint8Array(6)).reduce((s, b) => s + b.toString(16).padStart(2, "0"), "");
  return {
    id: `evt_test_${now}_${tag}`,
    type: "test",
    timestamp: now,
    monitor: { id: "example", name: "Example monitor", group: null, kind: "http", status: "up", target: "https://example.com/" },
    incident: null,
    details: {
      message: `This is a test of the channel "${channel.name}". If you can read it, alerts reach you here.`,
      channel: channel.id,
    },
  };
}

/**
 * Sends a test event to one channel through the outbox, once (a test is not retried), whether or
 * not the channel is enabled. Returns the notification's id; its row says how the attempt went.
 */
export async function sendTest(deps: DeliveryDeps, channel: Channel): Promise<{ id: number; report: DeliveryReport }> {
  const now = deps.now();
  const event = testEvent(channel, now);
  await deps.db.batch([insertEvent(deps.db, event, now), insertForChannel(deps.db, event.id, channel.id, now)]);
  const id = (await notificationIdFor(deps.db, event.id, channel.id))!;
  const claim = crypto.randomUUID();
  if (!(await claimOne(deps.db, id, now, claim, now + (deps.timeoutMs ?? REQUEST_TIMEOUT_MS) + 5 * SECOND)))
    return { id, report: emptyReport() };
  const report = await processClaimed(deps, claim, await loadClaimed(deps.db, claim), { maxAttempts: 1, requireEnabled: false });
  return { id, report };
}
