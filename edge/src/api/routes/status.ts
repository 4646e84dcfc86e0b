// /api/v1/status (every monitor at a glance) and /api/v1/status/:id (one monitor's page): public with
// PUBLIC_STATUS=true, else viewer. Read-only, and never the monitors' configuration (see status.ts).
// With PUBLIC_STATUS=true a caller who sends a token is still authenticated, and sees what their role
// may see; only a caller without one gets the public view (api/redact.ts).
import { Hono, type Context } from "hono";
import { toRfc3339 } from "../../../../contract/index.ts";
import { isPublicCaller, viewerOrPublic } from "../auth.ts";
import type { AppEnv } from "../context.ts";
import { getMonitor, listMonitors } from "../../db/monitors.ts";
import { ApiError } from "../errors.ts";
import { createPointStore } from "../../points/index.ts";
import type { Audience } from "../redact.ts";
import { loadMonitorDetail, loadStatus } from "../../status/summary.ts";

const audienceOf = (c: Context<AppEnv>): Audience => (isPublicCaller(c) ? "public" : c.get("principal").role);

export const status = new Hono<AppEnv>();

status.get("/", viewerOrPublic(), async (c) => {
  const db = c.get("config").db;
  const now = Date.now();
  const monitors = await listMonitors(db);
  return c.json({ generated_at: toRfc3339(now), monitors: await loadStatus(db, monitors, now) });
});

status.get("/:id", viewerOrPublic(), async (c) => {
  const config = c.get("config");
  const m = await getMonitor(config.db, c.req.param("id"));
  if (!m) throw new ApiError("not_found", `no monitor with id "${c.req.param("id")}"`);
  return c.json(await loadMonitorDetail(config.db, createPointStore(config, fetch), m, Date.now(), audienceOf(c), config.resultMaxAheadMs));
});
