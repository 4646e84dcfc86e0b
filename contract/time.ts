// Timestamps: the API accepts epoch milliseconds or RFC 3339 and normalises to epoch ms.
import { z } from "zod";

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** The last millisecond of year 9999: every time the product keeps formats as RFC 3339, so formatting cannot throw. */
export const MAX_TIME = 253_402_300_799_999;

const inRange = (ms: number) => ms >= 0 && ms <= MAX_TIME;

/** Epoch milliseconds (integer) or an RFC 3339 string, parsed to epoch ms; between 1970 and the end of year 9999. */
export const Timestamp = z.union([
  z.number().int("must be an integer number of milliseconds").nonnegative().max(MAX_TIME, "must not be past the year 9999"),
  z
    .string()
    .regex(RFC3339, "must be epoch milliseconds or an RFC 3339 timestamp")
    .transform((s, ctx) => {
      const ms = Date.parse(s);
      if (Number.isNaN(ms) || !inRange(ms)) {
        ctx.addIssue({ code: "custom", message: "is not a valid RFC 3339 timestamp between 1970 and 9999" });
        return z.NEVER;
      }
      return ms;
    }),
]);

/** Parses a query-string time (digits = epoch ms, otherwise RFC 3339); undefined if invalid. */
export function parseTimeParam(value: string): number | undefined {
  if (/^\d+$/.test(value)) return inRange(Number(value)) ? Number(value) : undefined;
  const r = Timestamp.safeParse(value);
  return r.success ? r.data : undefined;
}

/** RFC 3339 in UTC; null for no time, and for a value no Date can hold (so formatting a stored time never throws). */
export const toRfc3339 = (ms: number | null | undefined): string | null => {
  if (ms == null || !Number.isFinite(ms)) return null;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
};

/**
 * Why `ms` is outside [now - pastMs, now + futureMs], naming the allowed range, or null. Every time
 * that enters (results, windows, queries) is held to a range around now that fits what it means.
 */
export function timeRangeProblem(ms: number, now: number, pastMs: number, futureMs: number): string | null {
  const lo = now - pastMs;
  const hi = now + futureMs;
  if (ms >= lo && ms <= hi) return null;
  return `must be between ${toRfc3339(lo)} and ${toRfc3339(hi)} (${ms < lo ? "too old" : "too far ahead"})`;
}

/**
 * `grace_s` of a rotation: whole seconds from 0 (replace at once) to `max`, `def` when omitted. The hints
 * follow the bounds in their messages (e.g. " (0 replaces the secret at once)", " (7 days)").
 */
export const GraceSeconds = (max: number, def: number, hints: { min?: string; max: string }) =>
  z
    .number("must be a number of seconds")
    .int("must be a whole number of seconds")
    .min(0, `must be at least 0${hints.min ?? ""}`)
    .max(max, `must be at most ${max}${hints.max}`)
    .default(def);
