// Retry-After (RFC 9110 §10.2.3), read once for the edge's alert delivery and the agent's result pushes.
// Plain TypeScript on plain values: no node: imports (workerd), nothing Node's type stripping rejects (the agent).

const SECOND = 1000;
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAY = "(?:mon|tue|wed|thu|fri|sat|sun)";
const LONG_DAY = "(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)";
const MONTH = "(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)";
const TIME = "(\\d{2}):(\\d{2}):(\\d{2})";
/** IMF-fixdate, the form senders must use: "Sun, 06 Nov 1994 08:49:37 GMT". */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`, "i");
/** The obsolete RFC 850 form, with a two-digit year: "Sunday, 06-Nov-94 08:49:37 GMT". */
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`, "i");
/** The obsolete asctime() form, always GMT though it says no zone: "Sun Nov  6 08:49:37 1994". */
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ((?:\\d| )\\d) ${TIME} (\\d{4})$`, "i");

/**
 * An HTTP-date (RFC 9110 §5.6.7: IMF-fixdate, or the obsolete RFC 850 and asctime forms, which
 * recipients must accept) as epoch ms; null when `value` is none of them or names no real time
 * (31 Feb, 25:00). `now` places RFC 850's two-digit years: one that would be more than 50 years
 * ahead is taken as the most recent past year with those digits, as the RFC says.
 */
export function parseHttpDate(value: string, now: number): number | null {
  let day: string, month: string, year: number, time: string[];
  let m: RegExpExecArray | null;
  if ((m = IMF_FIXDATE.exec(value))) {
    [day, month, year, time] = [m[1]!, m[2]!, Number(m[3]), m.slice(4, 7)];
  } else if ((m = RFC850_DATE.exec(value))) {
    const thisYear = new Date(now).getUTCFullYear();
    year = Math.floor(thisYear / 100) * 100 + Number(m[3]);
    if (year > thisYear + 50) year -= 100;
    [day, month, time] = [m[1]!, m[2]!, m.slice(4, 7)];
  } else if ((m = ASCTIME_DATE.exec(value))) {
    [month, day, time, year] = [m[1]!, m[2]!, m.slice(3, 6), Number(m[6])];
  } else return null;
  const monthIndex = MONTHS.indexOf(month.toLowerCase());
  const d = Number(day.trim());
  const [h, min, s] = time.map(Number) as [number, number, number];
  const date = new Date(0);
  // Days in the month: day 0 of the next month is its last day.
  date.setUTCFullYear(year, monthIndex + 1, 0);
  // 60 is a leap second (time-of-day allows it); the Date carries it into the next minute.
  if (d < 1 || d > date.getUTCDate() || h > 23 || min > 59 || s > 60) return null;
  date.setUTCFullYear(year, monthIndex, d);
  date.setUTCHours(h, min, s, 0);
  return date.getTime();
}

/**
 * A Retry-After field value as a wait in ms from `now`, at most `maxMs`: delay-seconds (digits only)
 * or an HTTP-date (a date already past waits 0). Null when absent or not one of those forms
 * ("soon", "-5", "1.5", "5 min", an ISO date): the caller then waits as it would without one.
 * Huge delays (however many digits) come back as `maxMs`, each caller's own bound.
 */
export function parseRetryAfter(value: string | null, now: number, maxMs: number): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Math.min(Number(v) * SECOND, maxMs);
  const at = parseHttpDate(v, now);
  return at === null ? null : Math.min(Math.max(0, at - now), maxMs);
}
