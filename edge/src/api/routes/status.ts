// /api/v1/status (every monitor at a glance) and /api/v1/status/:id (one monitor's page): public with
// PUBLIC_STATUS=true, else a status token or above. Read-only, and never the monitors' configuration (see status.ts).
// With PUBLIC_STATUS=true a caller who sends a token is still authenticated, and sees what their role
// may see; a caller without one, or with a status token, gets the public view (api/redact.ts).
import { Hono, type Context } from "hono";
import { z } from "zod";
import { seesPublicView, statusOrPublic } from "../auth.ts";
import type { AppEnv } from "../context.ts";
import { validate } from "../body.ts";
import { getMonitor } from "../../db/monitors.ts";
import { ApiError } from "../errors.ts";
import { createPointStore } from "../../points/index.ts";
import type { Audience } from "../redact.ts";
import { MAX_LIMIT, decodeCursor, loadMonitorDetail, loadStatus, type StatusQuery } from "../../status/summary.ts";

const audienceOf = (c: Context<AppEnv>): Audience => (seesPublicView(c) ? "public" : c.get("principal").role);

export const status = new Hono<AppEnv>();

/**
 * `limit` (1..1000): a page of that many monitors, `next_cursor` pointing at the next; `cursor`: the
 * page after the one that returned it; `days=none` leaves out the 90 daily buckets. Unknown
 * parameters are ignored (as they always were here: callers add cache busters).
 */
const ListQuery = z
  .object({
    limit: z
      .string()
      .regex(/^\d+$/, "must be a whole number")
      .transform(Number)
      .refine((n) => n >= 1 && n <= MAX_LIMIT, `must be between 1 and ${MAX_LIMIT}`)
      .optional(),
    cursor: z
      .string()
      .transform((v, ctx) => {
        const key = decodeCursor(v);
        if (key) return key;
        ctx.addIssue({ code: "custom", message: "must be a next_cursor this API returned" });
        return z.NEVER;
      })
      .optional(),
    days: z.enum(["arrays", "none"], { error: 'must be "arrays" or "none"' }).optional(),
  })
  .transform((q): StatusQuery => ({ limit: q.limit ?? null, after: q.cursor ?? null, days: q.days !== "none" }));

status.get("/", statusOrPublic(), async (c) => {
  const q = validate(ListQuery, c.req.query(), "query");
  return c.json(await loadStatus(c.get("config").db, Date.now(), q));
});

status.get("/:id", statusOrPublic(), async (c) => {
  const config = c.get("config");
  const m = await getMonitor(config.db, c.req.param("id"));
  if (!m) throw new ApiError("not_found", `no monitor with id "${c.req.param("id")}"`);
  return c.json(await loadMonitorDetail(config.db, createPointStore(config, fetch), m, Date.now(), audienceOf(c), config.resultMaxAheadMs));
});
