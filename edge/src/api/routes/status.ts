// /api/v1/status (every monitor at a glance) and /api/v1/status/:id (one monitor's page): public with
// PUBLIC_STATUS=true, else viewer. Read-only, and never the monitors' configuration (see status.ts).
// With PUBLIC_STATUS=true a caller who sends a token is still authenticated, and sees what their role
// may see; only a caller without one gets the public view (api/redact.ts).
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { toRfc3339 } from "../../../../contract/index.ts";
import { requireRole } from "../auth.ts";
import type { AppEnv, Principal } from "../context.ts";
import { getMonitor, listMonitors } from "../../db/monitors.ts";
import { ApiError } from "../errors.ts";
import { createPointStore } from "../../points/index.ts";
import type { Audience } from "../redact.ts";
import { loadMonitorDetail, loadStatus } from "../../status/summary.ts";

/** The principal of an anonymous caller of a public status page. */
const PUBLIC: Principal = { tokenId: null, name: "public", role: "viewer" };

/** Public without a token when PUBLIC_STATUS is on; otherwise, or with a token, at least a viewer. */
function viewerOrAnonymousPublic(): MiddlewareHandler<AppEnv> {
  const viewer = requireRole("viewer");
  return async function statusAccess(c, next) {
    if (c.get("config").publicStatus && c.req.header("authorization") === undefined) {
      c.set("principal", PUBLIC);
      return next();
    }
    return viewer(c, next);
  };
}

const audienceOf = (c: Context<AppEnv>): Audience => (c.get("principal") === PUBLIC ? "public" : c.get("principal").role);

export const status = new Hono<AppEnv>();

status.get("/", viewerOrAnonymousPublic(), async (c) => {
  const db = c.get("config").db;
  const now = Date.now();
  const monitors = await listMonitors(db);
  return c.json({ generated_at: toRfc3339(now), monitors: await loadStatus(db, monitors, now) });
});

status.get("/:id", viewerOrAnonymousPublic(), async (c) => {
  const config = c.get("config");
  const m = await getMonitor(config.db, c.req.param("id"));
  if (!m) throw new ApiError("not_found", `no monitor with id "${c.req.param("id")}"`);
  return c.json(await loadMonitorDetail(config.db, createPointStore(config, fetch), m, Date.now(), audienceOf(c), config.resultMaxAheadMs));
});
