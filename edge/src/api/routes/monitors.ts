// /api/v1/monitors: list, create, read, change and delete monitors.
import { Hono } from "hono";
import { Monitor, MonitorId, mergePatch } from "../../../../contract/index.ts";
import { requireRole } from "../auth.ts";
import { limitBody, readBody, readPatch, validate } from "../body.ts";
import type { AppEnv } from "../context.ts";
import {
  deleteMonitor,
  getMonitor,
  initialState,
  insertMonitor,
  listMonitors,
  monitorView,
  targetLoads,
  updateMonitor,
} from "../../db/monitors.ts";
import { countOf } from "../../db/counts.ts";
import { requireHostBudget, requireRoom } from "../limits.ts";
import { redactMonitorView } from "../redact.ts";
import { ApiError } from "../errors.ts";

export const monitors = new Hono<AppEnv>();

const notFound = (id: string) => new ApiError("not_found", `no monitor with id "${id}"`);

monitors.get("/", requireRole("viewer"), async (c) => {
  const all = await listMonitors(c.get("config").db);
  const role = c.get("principal").role;
  return c.json({ monitors: all.map((m) => redactMonitorView(monitorView(m), role)) });
});

// Writes build their answer before they commit: a write either answers its view or changes nothing.
monitors.post("/", requireRole("editor"), limitBody(), async (c) => {
  const spec = await readBody(c, Monitor, "monitor");
  const { db, caps } = c.get("config");
  requireRoom("monitors", await countOf(db, "monitors"), caps.monitors, "MAX_MONITORS");
  requireHostBudget(spec, await targetLoads(db, spec.id), caps);
  const now = Date.now();
  const view = monitorView({ spec, created_at: now, updated_at: now, state: initialState(spec, now) });
  if (!(await insertMonitor(db, spec, now)))
    throw new ApiError("conflict", `a monitor with id "${spec.id}" already exists`, [{ path: "id", message: "is already taken" }]);
  c.get("log").info("monitor created", { monitor: spec.id, kind: spec.kind, runner: spec.runner });
  return c.json(redactMonitorView(view, c.get("principal").role), 201, { location: `/api/v1/monitors/${encodeURIComponent(spec.id)}` });
});

monitors.get("/:id", requireRole("viewer"), async (c) => {
  const id = c.req.param("id");
  const m = await getMonitor(c.get("config").db, id);
  if (!m) throw notFound(id);
  return c.json(redactMonitorView(monitorView(m), c.get("principal").role));
});

monitors.patch("/:id", requireRole("editor"), limitBody(), async (c) => {
  const id = c.req.param("id");
  const patch = await readPatch(c);
  const db = c.get("config").db;
  const current = await getMonitor(db, id);
  if (!current) throw notFound(id);
  if ("id" in patch && patch.id !== id)
    throw new ApiError("invalid_input", "a monitor's id cannot be changed; create a new monitor instead", [
      { path: "id", message: "cannot be changed" },
    ]);
  const spec = validate(Monitor, mergePatch(current.spec, patch), "monitor");
  requireHostBudget(spec, await targetLoads(db, spec.id), c.get("config").caps);
  const now = Date.now();
  // Pausing or resuming resets the state (updateMonitor), so the answer shows the state stored.
  const state = await updateMonitor(db, spec, now);
  if (!state) throw notFound(id);
  const view = monitorView({ ...current, spec, updated_at: now, state });
  c.get("log").info("monitor updated", { monitor: id, fields: Object.keys(patch) });
  return c.json(redactMonitorView(view, c.get("principal").role));
});

monitors.delete("/:id", requireRole("editor"), async (c) => {
  const id = c.req.param("id");
  if (!MonitorId.safeParse(id).success || !(await deleteMonitor(c.get("config").db, id))) throw notFound(id);
  c.get("log").info("monitor deleted", { monitor: id });
  return c.body(null, 204);
});
