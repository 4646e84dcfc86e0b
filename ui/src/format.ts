// Pure formatting of the figures the pages show; the browser test checks the page against these.
import type { Days, Status } from "./types.ts";

/** Uptime as a percentage that never rounds up to a better figure: 0.99996 is "99.99%", only 1 is "100%". */
export function pct(uptime: number | null): string {
  if (uptime === null) return "no data";
  if (uptime >= 1) return "100%";
  return `${(Math.floor(uptime * 10000) / 100).toFixed(2)}%`;
}

export function ms(latency: number | null): string {
  if (latency === null) return "—";
  if (latency >= 1000) return `${(latency / 1000).toFixed(2)} s`;
  if (latency >= 100) return `${Math.round(latency)} ms`;
  return `${latency.toFixed(1)} ms`;
}

/** "45 s", "12 min", "3 h 5 min", "4 d 2 h". */
export function duration(msec: number): string {
  const s = Math.max(0, Math.round(msec / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

export function ago(iso: string | null, now: number): string {
  if (!iso) return "never";
  const t = Date.parse(iso);
  return t > now ? "just now" : `${duration(now - t)} ago`;
}

export const STATUS_TEXT: Record<Status, string> = {
  up: "Up",
  down: "Down",
  pending: "Pending",
  paused: "Paused",
  maintenance: "Maintenance",
};
/** A shape for each status, so colour is never the only sign. */
export const STATUS_ICON: Record<Status, string> = { up: "✓", down: "✕", pending: "…", paused: "⏸", maintenance: "⚒" };

export type DayLevel = "none" | "ok" | "minor" | "major" | "bad";

/** How a day's bar is drawn: "none" for a day without checks (never as up), else by its uptime. */
export function dayLevel(checks: number, up: number): DayLevel {
  if (checks === 0) return "none";
  const u = up / checks;
  return u >= 0.999 ? "ok" : u >= 0.99 ? "minor" : u >= 0.95 ? "major" : "bad";
}

/** The UTC date (YYYY-MM-DD) of day `i` of `days`. */
export function dayDate(days: Days, i: number): string {
  return new Date(Date.parse(`${days.from}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10);
}

/** The text a day's tooltip and focus line show. */
export function dayText(days: Days, i: number): string {
  const checks = days.checks[i] ?? 0;
  const up = days.up[i] ?? 0;
  const date = dayDate(days, i);
  if (checks === 0) return `${date}: no data (no checks)`;
  return `${date}: ${pct(up / checks)} up, ${up} of ${checks} check${checks === 1 ? "" : "s"} passed`;
}
