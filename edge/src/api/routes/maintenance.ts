// /api/v1/maintenance: one-off and weekly maintenance windows (viewer reads, editor writes).
import { Hono } from "hono";
import { toRfc3339 } from "../../../../contract/index.ts";
import { MaintenanceWindow, activeAt } from "../../alerts/maintenance.ts";
import { requireRole } from "../auth.ts";
import { limitBody, readBody } from "../body.ts";
import type { AppEnv } from "../context.ts";
import { deleteMaintenance, insertMaintenance, loadMaintenance, updateMaintenance } from "../../db/maintenance.ts";
import { ApiError } from "../errors.ts";
import { countOf } from "../../db/counts.ts";
import { requireRoom } from "../limits.ts";

export const maintenance = new Hono<AppEnv>();

function view(w: MaintenanceWindow, now: number) {
  const base = { ...w, active: activeAt(w, now) };
  return w.kind === "once" ? { ...base, starts_at: toRfc3339(w.starts_at), ends_at: toRfc3339(w.ends_at) } : base;
}

maintenance.get("/", requireRole("viewer"), async (c) => {
  const now = Date.now();
  return c.json({ maintenance: (await loadMaintenance(c.get("config").db)).map((w) => view(w, now)) });
});

maintenance.get("/:id", requireRole("viewer"), async (c) => {
  const id = c.req.param("id");
  const w = (await loadMaintenance(c.get("config").db)).find((x) => x.id === id);
  if (!w) throw new ApiError("not_found", `no maintenance window with id "${id}"`);
  return c.json(view(w, Date.now()));
});

maintenance.post("/", requireRole("editor"), limitBody(), async (c) => {
  const w = await readBody(c, MaintenanceWindow, "maintenance window");
  const { caps } = c.get("config");
  requireRoom("maintenance windows", await countOf(c.get("config").db, "maintenance"), caps.maintenance, "MAX_MAINTENANCE_WINDOWS");
  const now = Date.now();
  if (!(await insertMaintenance(c.get("config").db, w, now)))
    throw new ApiError("conflict", `a maintenance window with id "${w.id}" already exists`, [{ path: "id", message: "is already taken" }]);
  c.get("log").info("maintenance window created", { maintenance: w.id, kind: w.kind, monitors: w.monitors });
  return c.json(view(w, now), 201);
});

maintenance.put("/:id", requireRole("editor"), limitBody(), async (c) => {
  const id = c.req.param("id");
  const w = await readBody(c, MaintenanceWindow, "maintenance window");
  if (w.id !== id)
    throw new ApiError("invalid_input", "the id in the body must match the path", [{ path: "id", message: `must be "${id}"` }]);
  const now = Date.now();
  if (!(await updateMaintenance(c.get("config").db, w, now))) throw new ApiError("not_found", `no maintenance window with id "${id}"`);
  return c.json(view(w, now));
});

maintenance.delete("/:id", requireRole("editor"), async (c) => {
  const id = c.req.param("id");
  if (!(await deleteMaintenance(c.get("config").db, id))) throw new ApiError("not_found", `no maintenance window with id "${id}"`);
  return c.body(null, 204);
});
