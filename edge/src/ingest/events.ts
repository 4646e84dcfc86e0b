// Alert events from what the rules noticed: stable ids, the monitor as it is now, the incident as stored.
import type { MonitorSpec } from "../../../contract/index.ts";
import type { AlertEvent, IncidentView } from "../alerts/events.ts";
import type { Happening } from "../alerts/rules.ts";
import type { IncidentRow } from "../db/alerting.ts";
import type { MonitorState } from "../alerts/state.ts";

function incidentView(row: IncidentRow): IncidentView {
  const { id, monitor, opened_at, resolved_at, cause, first_error, last_error } = row;
  return { id, monitor, opened_at, resolved_at, cause, first_error, last_error };
}

/** Turns what the rules noticed into events with stable ids. */
export function toEvents(
  spec: MonitorSpec,
  state: MonitorState,
  happenings: Happening[],
  incidents: Map<string, IncidentRow>,
): AlertEvent[] {
  const monitor = { id: spec.id, name: spec.name, group: spec.group, kind: spec.kind, status: state.status, target: spec.target };
  return happenings.map((h): AlertEvent => {
    switch (h.type) {
      case "down":
      case "up": {
        const row = incidents.get(h.incident);
        const incident: IncidentView = row
          ? incidentView(row)
          : {
              id: h.incident,
              monitor: spec.id,
              opened_at: h.at,
              resolved_at: h.type === "up" ? h.at : null,
              cause: h.type === "down" ? h.cause : "",
              first_error: h.type === "down" ? h.error : null,
              last_error: null,
            };
        return { id: `evt_${h.incident}_${h.type}`, type: `monitor.${h.type}`, timestamp: h.at, monitor, incident, details: {} };
      }
      case "degraded":
        return {
          id: `evt_degraded_${spec.id}_${h.at}`,
          type: "monitor.degraded",
          timestamp: h.at,
          monitor,
          incident: null,
          details: { latency_ms: h.latency_ms, threshold_ms: h.threshold_ms, checks: h.checks },
        };
      case "certificate":
        return {
          id: `evt_certificate_${spec.id}_${h.expires_at}`,
          type: "monitor.certificate",
          timestamp: h.at,
          monitor,
          incident: null,
          details: {
            days_left: h.days_left,
            expires_at: new Date(h.expires_at).toISOString(),
            issuer: h.issuer,
            warning_days: h.warning_days,
          },
        };
    }
  });
}
