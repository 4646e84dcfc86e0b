// Reminders while a monitor stays down: pure selection of what is due, and the tick's step that sends them.
import type { MonitorSpec } from "../../../contract/index.ts";
import { claimReminder, listIncidents, type IncidentRow } from "../db/alerting.ts";
import { loadMaintenance } from "../db/maintenance.ts";
import { specsByIds, getMonitor } from "../db/monitors.ts";
import type { Logger } from "../observability/log.ts";
import type { AlertEvent } from "./events.ts";
import { inMaintenance, type MaintenanceWindow } from "./maintenance.ts";

export type DueReminder = { incident: IncidentRow; spec: MonitorSpec; number: number };

/** Open incidents whose reminder interval has passed since the last reminder (or the opening). */
export function dueReminders(
  open: IncidentRow[],
  specs: Map<string, MonitorSpec>,
  now: number,
  defaultEveryMs: number,
  windows: readonly MaintenanceWindow[],
): DueReminder[] {
  const out: DueReminder[] = [];
  for (const incident of open) {
    const spec = specs.get(incident.monitor);
    if (!spec || !spec.enabled) continue;
    const every = spec.remind_every_s === null ? defaultEveryMs : spec.remind_every_s * 1000;
    if (every <= 0) continue;
    if (now < (incident.last_reminder_at ?? incident.opened_at) + every) continue;
    if (inMaintenance(windows, spec.id, now)) continue;
    out.push({ incident, spec, number: incident.reminders_sent + 1 });
  }
  return out;
}

/** Sends the reminders due now; each is claimed in D1 first, so overlapping ticks send it once. */
export async function sendReminders(
  db: D1Database,
  log: Logger,
  now: number,
  defaultEveryMs: number,
  notify?: (events: AlertEvent[]) => Promise<void>,
): Promise<number> {
  const open = await listIncidents(db, { status: "open", limit: 500 });
  if (!open.length) return 0;
  const [specs, windows] = await Promise.all([specsByIds(db, [...new Set(open.map((i) => i.monitor))]), loadMaintenance(db)]);
  const events: AlertEvent[] = [];
  for (const due of dueReminders(open, specs, now, defaultEveryMs, windows)) {
    if (!(await claimReminder(db, due.incident.id, due.number, now))) continue;
    const m = await getMonitor(db, due.spec.id);
    const { id, monitor, opened_at, resolved_at, cause, first_error, last_error } = due.incident;
    events.push({
      id: `evt_${id}_reminder_${due.number}`,
      type: "monitor.reminder",
      timestamp: now,
      monitor: {
        id: due.spec.id,
        name: due.spec.name,
        group: due.spec.group,
        kind: due.spec.kind,
        status: m?.state.status ?? "down",
        target: due.spec.target,
      },
      incident: { id, monitor, opened_at, resolved_at, cause, first_error, last_error },
      details: { reminder: due.number, down_for_s: Math.round((now - opened_at) / 1000) },
    });
  }
  for (const e of events) log.info("alert event", { event: e.id, type: e.type, monitor: e.monitor.id });
  if (events.length && notify) await notify(events);
  return events.length;
}
