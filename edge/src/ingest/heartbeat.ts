// Heartbeat monitors: what a ping URL's suffix means, the result a ping becomes, and when the tick calls a
// silent job missed. Pure; the ping route (api/routes/ping.ts) and the tick (scheduler/tick.ts) use it.
import { MAX_RESULT_MS, toRfc3339, type MonitorSpec } from "../../../contract/index.ts";
import { newResultId } from "../../../contract/ids.ts";
import { clip, MAX_MESSAGE } from "../../../contract/text.ts";
import type { HeartbeatMemory, Member } from "../db/packs.ts";
import type { StoredResult } from "../points/store.ts";

/** The most of a ping's body read; a larger body is refused (413). Of it, the first MAX_MESSAGE characters are kept. */
export const MAX_PING_BODY = 10 * 1024;

export type PingEvent = "success" | "fail" | "start";

/**
 * The event a ping URL's suffix names: none → success; `start`; `fail`; an exit status 0-255 (0 success, any
 * other a failure, as healthchecks.io reads it). Anything else: an error message for a 400.
 */
export function pingEvent(suffix: string | undefined): { event: PingEvent; status: number | null } | { error: string } {
  if (suffix === undefined || suffix === "") return { event: "success", status: null };
  if (suffix === "start" || suffix === "fail") return { event: suffix, status: null };
  if (/^\d{1,3}$/.test(suffix) && Number(suffix) <= 255) {
    const status = Number(suffix);
    return { event: status === 0 ? "success" : "fail", status };
  }
  return {
    error: `"${clip(suffix, 40)}" is not a ping: add nothing (success), /start, /fail or an exit status 0-255 to the ping URL`,
  };
}

/** A ping's body as text: invalid UTF-8 replaced, trimmed, its first MAX_MESSAGE characters; null when empty. */
export function pingMessage(body: Uint8Array): string | null {
  const text = new TextDecoder().decode(body).trim();
  // Controls other than line breaks and tabs would only garble logs and pages.
  const clean = text.replace(/[^\P{Cc}\t\n\r]/gu, "\ufffd");
  return clean === "" ? null : clip(clean, MAX_MESSAGE);
}

const grace = (spec: MonitorSpec): number => (spec.kind === "heartbeat" ? spec.heartbeat.grace_s : 0);

/**
 * The result an end ping (success or fail) becomes. Its duration (latency_ms) is the run's, from a `/start` that came
 * within the last period + grace before it; a run longer than a result may report keeps only `started_at`.
 */
export function pingResult(
  spec: MonitorSpec,
  hb: HeartbeatMemory | undefined,
  ping: { event: "success" | "fail"; status: number | null; message: string | null; ts: number },
): StoredResult {
  const window = (spec.interval_s + grace(spec)) * 1000;
  const start = hb?.start ?? null;
  const startedAt = start !== null && start <= ping.ts && ping.ts - start <= window && start > (hb?.last ?? -1) ? start : null;
  const duration = startedAt === null ? null : ping.ts - startedAt;
  const ok = ping.event === "success";
  const failure = ping.status === null ? "the job reported a failure (/fail)" : `the job exited with status ${ping.status}`;
  return {
    id: newResultId(ping.ts),
    monitor: spec.id,
    ts: ping.ts,
    ok,
    latency_ms: duration !== null && duration <= MAX_RESULT_MS ? duration : null,
    location: "edge",
    agent: null,
    error: ok ? null : { kind: "other", message: ping.message ? clip(`${failure}: ${ping.message}`) : failure },
    heartbeat: { event: ping.event, started_at: startedAt, message: ping.message },
    kind: "heartbeat",
    target: "",
  };
}

/** The memory after a recorded heartbeat result (an end ping or a missed deadline). */
export function afterResult(hb: HeartbeatMemory | undefined, r: StoredResult): HeartbeatMemory {
  const m: HeartbeatMemory = { last: hb?.last ?? null, start: hb?.start ?? null, missed: hb?.missed ?? null };
  const event = r.heartbeat?.event;
  if (event === "missed") m.missed = Math.max(m.missed ?? 0, r.ts);
  else if (event === "success" || event === "fail") {
    m.last = Math.max(m.last ?? 0, r.ts);
    if (m.start !== null && m.start <= r.ts) m.start = null; // that run ended
  }
  return m;
}

/** The memory after a `/start` ping. */
export const afterStart = (hb: HeartbeatMemory | undefined, ts: number): HeartbeatMemory => ({
  last: hb?.last ?? null,
  start: Math.max(hb?.start ?? 0, ts),
  missed: hb?.missed ?? null,
});

/**
 * Whether the tick at `now` records a missed deadline for this member, and why. Never before the job's first ping
 * (pending, as healthchecks.io's "new"); a `/start` without its end ping is missed `grace_s` after it; otherwise the
 * last end ping is missed `interval_s + grace_s` after it. Then at most one more per period while it stays silent.
 */
export function missedDeadline(
  spec: MonitorSpec,
  m: Member | undefined,
  now: number,
): { reason: string; started_at: number | null } | null {
  if (spec.kind !== "heartbeat" || !m?.on || !m.hb) return null;
  const { last, start, missed } = m.hb;
  const g = spec.heartbeat.grace_s * 1000;
  const period = spec.interval_s * 1000;
  const running = start !== null && start > (last ?? -1);
  const from = running ? start : last;
  if (from === null) return null;
  const deadline = running ? from + g : from + period + g;
  if (now < deadline) return null;
  if (missed !== null && missed >= deadline && now < missed + period) return null;
  const at = toRfc3339(from)!;
  const reason = running
    ? `the job started at ${at} and sent no end ping within its grace of ${spec.heartbeat.grace_s} s`
    : `no ping since ${at}; expected one every ${spec.interval_s} s, with a grace of ${spec.heartbeat.grace_s} s`;
  return { reason, started_at: running ? start : null };
}

/** The failed result a missed deadline becomes: error kind `timeout`, the reason as its message. */
export function missedResult(spec: MonitorSpec, why: { reason: string; started_at: number | null }, ts: number): StoredResult {
  return {
    id: newResultId(ts),
    monitor: spec.id,
    ts,
    ok: false,
    latency_ms: null,
    location: "edge",
    agent: null,
    error: { kind: "timeout", message: why.reason },
    heartbeat: { event: "missed", started_at: why.started_at, message: null },
    kind: "heartbeat",
    target: "",
  };
}
