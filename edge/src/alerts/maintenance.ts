// Maintenance windows: one-off or weekly in a time zone. Pure: whether an instant falls in a window.
import { z } from "zod";
import { MonitorId, PlainText, Slug, Timestamp, timeRangeProblem } from "../../../contract/index.ts";

/** A one-off window may have started up to a year ago and may end up to five years ahead: anything else is a typo or an attack. */
export const WINDOW_PAST_MS = 366 * 86_400_000;
export const WINDOW_AHEAD_MS = 5 * 366 * 86_400_000;

export const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const Common = {
  id: Slug,
  name: PlainText(200),
  /** Monitors it covers; empty = every monitor. */
  monitors: z.array(MonitorId).max(1000).default([]),
};

export const MaintenanceWindow = z.discriminatedUnion("kind", [
  z.strictObject({ ...Common, kind: z.literal("once"), starts_at: Timestamp, ends_at: Timestamp }).superRefine((w, ctx) => {
    const now = Date.now();
    for (const key of ["starts_at", "ends_at"] as const) {
      const p = timeRangeProblem(w[key], now, WINDOW_PAST_MS, WINDOW_AHEAD_MS);
      if (p) ctx.addIssue({ code: "custom", path: [key], message: p });
    }
    if (w.ends_at <= w.starts_at) ctx.addIssue({ code: "custom", path: ["ends_at"], message: "must be after starts_at" });
  }),
  z.strictObject({
    ...Common,
    kind: z.literal("weekly"),
    days: z.array(z.enum(WEEKDAYS)).min(1).max(7),
    start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be "HH:MM" (24 h)'),
    duration_min: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60),
    time_zone: z.string().refine(validTimeZone, "is not a known IANA time zone (e.g. Europe/Berlin)").default("UTC"),
  }),
]);
export type MaintenanceWindow = z.output<typeof MaintenanceWindow>;

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Weekday (0 = Sunday) and minutes since local midnight of `ts` in `tz`. */
function localTime(ts: number, tz: string): { day: number; minute: number } {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: tz, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    formatters.set(tz, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(ts)).map((p) => [p.type, p.value]));
  const day = WEEKDAYS.indexOf(String(parts.weekday).toLowerCase().slice(0, 3) as (typeof WEEKDAYS)[number]);
  return { day, minute: Number(parts.hour) * 60 + Number(parts.minute) };
}

/** Whether `ts` is inside window `w` (weekly windows may run past midnight into the next day). */
export function activeAt(w: MaintenanceWindow, ts: number): boolean {
  if (w.kind === "once") return ts >= w.starts_at && ts < w.ends_at;
  const { day, minute } = localTime(ts, w.time_zone);
  const [h, m] = w.start.split(":").map(Number) as [number, number];
  const start = h * 60 + m;
  // Minutes since the start of the most recent listed day's window, looking back up to 7 days.
  for (let back = 0; back < 8; back++) {
    const d = (day - back + 7 * 8) % 7;
    if (!w.days.includes(WEEKDAYS[d]!)) continue;
    const since = back * 1440 + minute - start;
    if (since >= 0 && since < w.duration_min) return true;
  }
  return false;
}

/** Whether `monitor` is in any of `windows` at `ts`. */
export function inMaintenance(windows: readonly MaintenanceWindow[], monitor: string, ts: number): boolean {
  return windows.some((w) => (w.monitors.length === 0 || w.monitors.includes(monitor)) && activeAt(w, ts));
}
