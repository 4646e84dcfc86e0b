// /api/v1/status: every monitor at a glance (public with PUBLIC_STATUS=true, else viewer).
import { Hono } from "hono";
import { toRfc3339 } from "../../../contract/index.ts";
import { viewerOrPublic } from "../auth.ts";
import type { AppEnv } from "../context.ts";
import { listMonitors } from "../db/monitors.ts";
import { loadStatus } from "../status.ts";

export const status = new Hono<AppEnv>();

status.get("/", viewerOrPublic(), async (c) => {
  const db = c.get("config").db;
  const now = Date.now();
  const monitors = await listMonitors(db);
  return c.json({ generated_at: toRfc3339(now), monitors: await loadStatus(db, monitors, now) });
});
