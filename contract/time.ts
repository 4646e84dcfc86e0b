// Timestamps: the API accepts epoch milliseconds or RFC 3339 and normalises to epoch ms.
import { z } from "zod";

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Epoch milliseconds (integer) or an RFC 3339 string, parsed to epoch ms. */
export const Timestamp = z.union([
  z.number().int("must be an integer number of milliseconds").nonnegative(),
  z
    .string()
    .regex(RFC3339, "must be epoch milliseconds or an RFC 3339 timestamp")
    .transform((s, ctx) => {
      const ms = Date.parse(s);
      if (Number.isNaN(ms)) {
        ctx.addIssue({ code: "custom", message: "is not a valid RFC 3339 timestamp" });
        return z.NEVER;
      }
      return ms;
    }),
]);

/** Parses a query-string time (digits = epoch ms, otherwise RFC 3339); undefined if invalid. */
export function parseTimeParam(value: string): number | undefined {
  if (/^\d+$/.test(value)) return Number(value);
  const r = Timestamp.safeParse(value);
  return r.success ? r.data : undefined;
}

export const toRfc3339 = (ms: number | null | undefined): string | null => (ms == null ? null : new Date(ms).toISOString());
