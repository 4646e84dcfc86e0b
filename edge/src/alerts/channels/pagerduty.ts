// PagerDuty Events API v2: trigger on down (and reminders, which PagerDuty folds into the open alert), resolve on up, by one dedup_key per incident.
import { toRfc3339 } from "../../../../contract/index.ts";
import type { AlertEvent, EventType } from "../events.ts";
import { ChannelKey } from "./credential.ts";
import { clipText, facts, headline } from "./format.ts";
import type { ChannelDef } from "./types.ts";

/** The Events API's limits: summary 1,024 characters, dedup_key 255; source, component, group and class kept as short. */
export const PAGERDUTY_LIMITS = { summary: 1024, dedupKey: 255, field: 255 } as const;

const SEVERITY: Record<Exclude<EventType, "monitor.up">, "critical" | "error" | "warning" | "info"> = {
  "monitor.down": "critical",
  "monitor.reminder": "critical",
  "monitor.degraded": "warning",
  "monitor.certificate": "warning",
  test: "info",
};

/** One key per incident, so the recovery resolves the alert the down opened; an event without an incident is its own. */
export const dedupKey = (event: AlertEvent): string => clipText(event.incident?.id ?? event.id, PAGERDUTY_LIMITS.dedupKey);

/** The Events v2 body: a resolve names only the key; a trigger carries the summary and the facts. */
export function pagerdutyBody(event: AlertEvent, routingKey: string) {
  const dedup_key = dedupKey(event);
  if (event.type === "monitor.up") return { routing_key: routingKey, event_action: "resolve", dedup_key };
  const m = event.monitor;
  const short = (s: string) => clipText(s, PAGERDUTY_LIMITS.field);
  return {
    routing_key: routingKey,
    event_action: "trigger",
    dedup_key,
    payload: {
      summary: clipText(headline(event), PAGERDUTY_LIMITS.summary),
      source: short(m.target || m.id),
      severity: SEVERITY[event.type],
      timestamp: toRfc3339(event.timestamp),
      component: short(m.id),
      ...(m.group ? { group: short(m.group) } : {}),
      class: event.type,
      custom_details: Object.fromEntries([...facts(event).map((f) => [f.label, f.value]), ["Event", event.id]]),
    },
  };
}

export const pagerduty: ChannelDef<"pagerduty"> = {
  kind: "pagerduty",
  fields: { secret: ChannelKey.optional() },
  signed: false,
  credential: "the routing key of the service's Events API v2 integration",
  defaultUrl: "https://events.pagerduty.com/v2/enqueue",
  // 400: the event is invalid and stays so. 429 and 5xx are retried.
  permanent: [400],
  async build(event, channel) {
    if (!channel.secret) throw new Error(`pagerduty channel "${channel.id}" has no routing key`);
    return {
      url: channel.url,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(pagerdutyBody(event, channel.secret)),
    };
  },
};
