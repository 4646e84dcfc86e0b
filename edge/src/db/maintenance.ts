// Maintenance windows (table maintenance_windows): the window's spec is stored as JSON under its id.
import type { MaintenanceWindow } from "../alerts/maintenance.ts";

export async function loadMaintenance(db: D1Database): Promise<MaintenanceWindow[]> {
  const r = await db.prepare("SELECT spec FROM maintenance_windows ORDER BY id").all<{ spec: string }>();
  return r.results.map((x) => JSON.parse(x.spec) as MaintenanceWindow);
}

/** Stores a new window; false when its id is taken. */
export async function insertMaintenance(db: D1Database, w: MaintenanceWindow, now: number): Promise<boolean> {
  const r = await db
    .prepare("INSERT INTO maintenance_windows (id, spec, created_at, updated_at) VALUES (?1, ?2, ?3, ?3) ON CONFLICT (id) DO NOTHING")
    .bind(w.id, JSON.stringify(w), now)
    .run();
  return r.meta.changes > 0;
}

/** Replaces a window; false when there is none with its id. */
export async function updateMaintenance(db: D1Database, w: MaintenanceWindow, now: number): Promise<boolean> {
  const r = await db
    .prepare("UPDATE maintenance_windows SET spec = ?2, updated_at = ?3 WHERE id = ?1")
    .bind(w.id, JSON.stringify(w), now)
    .run();
  return r.meta.changes > 0;
}

export async function deleteMaintenance(db: D1Database, id: string): Promise<boolean> {
  const r = await db.prepare("DELETE FROM maintenance_windows WHERE id = ?").bind(id).run();
  return r.meta.changes > 0;
}
