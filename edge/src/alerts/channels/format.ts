// The words and facts of an alert, shared by the chat formats (Slack, Discord, Teams, ntfy).
import { toRfc3339 } from "../../../../contract/index.ts";
import type { CheckError, Kind } from "../../../../contract/index.ts";
import { carriesTargetAnswer, splitTargetAnswer } from "../../api/redact.ts";
import type { AlertEvent, EventType } from "../events.ts";

export type Tone = "bad" | "good" | "warning" | "info";

export const TONE: Record<EventType, Tone> = {
  "monitor.down": "bad",
  "monitor.reminder": "bad",
  "monitor.up": "good",
  "monitor.degraded": "warning",
  "monitor.certificate": "warning",
  test: "info",
};

export const EMOJI: Record<EventType, string> = {
  "monitor.down": "🔴",
  "monitor.reminder": "🔁",
  "monitor.up": "✅",
  "monitor.degraded": "🟡",
  "monitor.certificate": "🔒",
  test: "🧪",
};

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

/** "1h 2m 3s", "4m 0s", "12s"; days when it gets that long. */
export function formatDuration(ms: number): string {
  let s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (d > 0) return `${d}d ${h}h ${m}m`;
  if (h > 0) return `${h}h ${m}m ${s}s`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

/**
 * "kind: message". A chat reaches people who could not read a target's answer in the API (viewers), so
 * an error quoting one (the tcp check's expect mismatch) keeps only the check's own words.
 */
function errorText(e: CheckError | null | undefined, monitorKind: Kind): string | null {
  if (!e) return null;
  if (!carriesTargetAnswer(e, monitorKind)) return `${e.kind}: ${e.message}`;
  const words = splitTargetAnswer(e.message)?.words ?? "the answer did not match tcp.expect";
  return `${e.kind}: ${words}; the target's answer is withheld`;
}

/**
 * Text made inert for Markdown as Discord and Teams (Adaptive Cards) read it: `\ * _ ~ \` | > # [ ] ( )`
 * backslash-escaped, list markers at a line's start escaped, `@everyone` and `@here` broken with a
 * zero-width space so they never mention, and `{{` broken so Adaptive Cards see no DATE()/TIME() function.
 */
export function escapeMarkdown(s: string): string {
  return s
    .replace(/[\\*_~`|>#[\]()]/g, "\\$&")
    .replace(/^(\s*)([-+]|\d+\.)(?=\s|$)/gm, (_, space: string, marker: string) =>
      marker.endsWith(".") ? `${space}${marker.slice(0, -1)}\\.` : `${space}\\${marker}`,
    )
    .replace(/@(everyone|here)\b/gi, "@\u200b$1")
    .replace(/\{\{/g, "{\u200b{");
}

/** What ends a clipped text. */
export const ELLIPSIS = "…";

/** Length as the chat services count it: UTF-16 code units (`string.length`), never fewer than they count. */
export const utf16Length = (s: string): number => s.length;
/** Length in UTF-8 bytes, what ntfy and HTTP bodies count. */
export const utf8Length = (s: string): number => new TextEncoder().encode(s).length;

const graphemes = new Intl.Segmenter("en", { granularity: "grapheme" });

/**
 * `escape(text)` at most `max` long by `measure`, else the escape of the longest prefix of whole graphemes
 * (user-perceived characters: an emoji with its skin tone or ZWJ parts, a flag, a letter with its
 * combining marks) that fits with "…" after it. Cut before escaping, so no escape is split. The one way
 * every channel shortens text: nothing it sends ends in half a character.
 */
export function clipText(
  text: string,
  max: number,
  { measure = utf16Length, escape = (s: string) => s }: { measure?: (s: string) => number; escape?: (s: string) => string } = {},
): string {
  const whole = escape(text);
  if (measure(whole) <= max) return whole;
  const ends = [0];
  for (const g of graphemes.segment(text)) ends.push(g.index + g.segment.length);
  const fits = (k: number) => measure(escape(text.slice(0, ends[k])) + ELLIPSIS) <= max;
  if (!fits(0)) return "";
  // The longest prefix that fits: escapes only grow with the text, so the test is monotonic.
  let lo = 0;
  let hi = ends.length - 2;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return escape(text.slice(0, ends[lo])) + ELLIPSIS;
}

/** One line saying what happened, without emoji. */
export function headline(event: AlertEvent): string {
  const name = event.monitor.name;
  switch (event.type) {
    case "monitor.down":
      return `${name} is down`;
    case "monitor.up":
      return `${name} is up again`;
    case "monitor.reminder":
      return `${name} is still down`;
    case "monitor.degraded":
      return `${name} is degraded`;
    case "monitor.certificate": {
      const days = num(event.details.days_left);
      return days === null ? `${name}: certificate expires soon` : `${name}: certificate expires in ${days} day${days === 1 ? "" : "s"}`;
    }
    case "test":
      return "Test notification from Infra Uptime Monitor";
  }
}

export type Fact = { label: string; value: string };

/** The facts worth a line each, in the order a person reads them; the time is always last. */
export function facts(event: AlertEvent): Fact[] {
  const out: Fact[] = [];
  const add = (label: string, value: string | null) => {
    if (value !== null) out.push({ label, value });
  };
  const m = event.monitor;
  const inc = event.incident;
  const d = event.details;
  if (event.type === "test") {
    add("Message", str(d.message));
    add("Time", toRfc3339(event.timestamp));
    return out;
  }
  add("Monitor", m.name === m.id ? m.id : `${m.name} (${m.id})`);
  add("Target", m.target);
  switch (event.type) {
    case "monitor.down":
      add("Cause", inc?.cause ?? null);
      add("Error", errorText(inc?.last_error ?? inc?.first_error, m.kind));
      break;
    case "monitor.up":
      if (inc) add("Down for", formatDuration((inc.resolved_at ?? event.timestamp) - inc.opened_at));
      add("Cause", inc?.cause ?? null);
      break;
    case "monitor.reminder":
      add("Reminder", num(d.reminder) === null ? null : `#${num(d.reminder)}`);
      if (inc) add("Down for", formatDuration(event.timestamp - inc.opened_at));
      add("Error", errorText(inc?.last_error ?? inc?.first_error, m.kind));
      break;
    case "monitor.degraded": {
      const latency = num(d.latency_ms);
      const threshold = num(d.threshold_ms);
      add("Latency", latency === null ? null : `${latency} ms${threshold === null ? "" : ` (threshold ${threshold} ms)`}`);
      break;
    }
    case "monitor.certificate": {
      const expires = num(d.expires_at);
      add("Expires", expires === null ? null : toRfc3339(expires));
      add("Issuer", str(d.issuer));
      break;
    }
  }
  add("Time", toRfc3339(event.timestamp));
  return out;
}
