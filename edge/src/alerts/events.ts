// Alert events: what the rules produce and the channels deliver. Each has a stable id, so a
// receiver can deduplicate and the notification outbox stores one delivery per (event, channel).
import type { CheckError, Kind, MonitorStatus } from "../../../contract/index.ts";

/** Event names as channels list them in `events`. */
export const EVENT_NAMES = ["down", "up", "degraded", "certificate", "reminder"] as const;
export type EventName = (typeof EVENT_NAMES)[number];

/** `type` on the wire: `monitor.<name>`, or `test` for POST /api/v1/channels/:id/test. */
export type EventType = `monitor.${EventName}` | "test";

export type IncidentView = {
  id: string;
  monitor: string;
  opened_at: number;
  resolved_at: number | null;
  /** What opened it, e.g. "2 consecutive failures" or "2 of 3 locations down". */
  cause: string;
  first_error: CheckError | null;
  last_error: CheckError | null;
};

export type AlertEvent = {
  /** Stable: the same occurrence always has the same id (e.g. `evt_<incident>_down`). */
  id: string;
  type: EventType;
  /** Epoch ms of the occurrence. */
  timestamp: number;
  monitor: { id: string; name: string; group: string | null; kind: Kind; status: MonitorStatus; target: string };
  incident: IncidentView | null;
  /** Type-specific facts: reminder number, latency for degraded, days_left for certificate. */
  details: Record<string, unknown>;
};

/** The event name a type belongs to, for a channel's `events` filter (null for test events). */
export function eventName(type: EventType): EventName | null {
  return type === "test" ? null : (type.slice("monitor.".length) as EventName);
}
