// /badge/:id/status.svg, /badge/:id/uptime.svg?window=30d and /badge/:id/shields.json (shields.io endpoint).
// Same access as the status page: public with PUBLIC_STATUS=true, else a status token or above.
import { Hono, type Context } from "hono";
import { z } from "zod";
import { statusOrPublic } from "../auth.ts";
import { badgeSvg, shieldsEndpoint, statusBadge, uptimeBadge, type Badge } from "../../status/badge.ts";
import { validate } from "../body.ts";
import type { AppEnv } from "../context.ts";
import { getMonitor } from "../../db/monitors.ts";
import { ApiError } from "../errors.ts";
import { WINDOWS, loadMonitorSummary } from "../../status/summary.ts";

// Unlike the API, badges ignore unknown query parameters: embedders append cache busters (?v=2).
const Window = z.enum(Object.keys(WINDOWS) as [keyof typeof WINDOWS]);
const WindowQuery = z.object({ window: Window.default("30d") });
const ShieldsQuery = z.object({ window: Window.optional() });

export const badges = new Hono<AppEnv>();

async function monitorOr404(c: Context<AppEnv>) {
  const m = await getMonitor(c.get("config").db, c.req.param("id")!);
  if (!m) throw new ApiError("not_found", `no monitor with id "${c.req.param("id")}"`);
  return m;
}

async function uptimeOf(c: Context<AppEnv>, window: keyof typeof WINDOWS): Promise<Badge> {
  const summary = await loadMonitorSummary(c.get("config").db, await monitorOr404(c), Date.now());
  return uptimeBadge(window, summary.uptime[window]);
}

// Public badges may sit in caches (README images) for a minute; private ones must not be kept.
const cacheControl = (c: Context<AppEnv>) => (c.get("config").publicStatus ? "public, max-age=60" : "private, no-store");

function svg(c: Context<AppEnv>, b: Badge) {
  return c.body(badgeSvg(b), 200, { "content-type": "image/svg+xml; charset=utf-8", "cache-control": cacheControl(c) });
}

badges.get("/:id/status.svg", statusOrPublic(), async (c) => {
  return svg(c, statusBadge((await monitorOr404(c)).state.status));
});

badges.get("/:id/uptime.svg", statusOrPublic(), async (c) => {
  const q = validate(WindowQuery, c.req.query(), "query");
  return svg(c, await uptimeOf(c, q.window));
});

/** The monitor's status; with `?window=`, its uptime over that window instead. */
badges.get("/:id/shields.json", statusOrPublic(), async (c) => {
  const q = validate(ShieldsQuery, c.req.query(), "query");
  const b = q.window ? await uptimeOf(c, q.window) : statusBadge((await monitorOr404(c)).state.status);
  c.header("cache-control", cacheControl(c));
  return c.json(shieldsEndpoint(b));
});
