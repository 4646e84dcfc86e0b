// Opsgenie Alert API: create an alert on down (reminders fold into it by alias), close it by alias on up.
import type { AlertEvent, EventType } from "../events.ts";
import { ChannelKey } from "./credential.ts";
import { clipText, facts, headline } from "./format.ts";
import type { ChannelDef } from "./types.ts";

/** The Alert API's limits: message 130 characters, alias 512, description 15,000, entity 512, source 100, note 25,000. */
export const OPSGENIE_LIMITS = { message: 130, alias: 512, description: 15000, entity: 512, source: 100, note: 25000 } as const;

const PRIORITY: Record<Exclude<EventType, "monitor.up">, string> = {
  "monitor.down": "P1",
  "monitor.reminder": "P1",
  "monitor.degraded": "P3",
  "monitor.certificate": "P3",
  test: "P5",
};

const SOURCE = "Infra Uptime Monitor";

/** One alias per incident, so the recovery closes the alert the down created; an event without an incident is its own. */
export const alias = (event: AlertEvent): string => clipText(event.incident?.id ?? event.id, OPSGENIE_LIMITS.alias);

const describe = (event: AlertEvent) =>
  [...facts(event), { label: "Event", value: event.id }].map((f) => `${f.label}: ${f.value}`).join("\n");

/** Create: `POST {base}/v2/alerts`. */
export function opsgenieCreateBody(event: AlertEvent) {
  const m = event.monitor;
  return {
    message: clipText(headline(event), OPSGENIE_LIMITS.message),
    alias: alias(event),
    description: clipText(describe(event), OPSGENIE_LIMITS.description),
    tags: ["uptime", event.type],
    details: { monitor: m.id, event: event.id, type: event.type },
    entity: clipText(m.id, OPSGENIE_LIMITS.entity),
    source: SOURCE,
    priority: PRIORITY[event.type as Exclude<EventType, "monitor.up">] ?? "P3",
  };
}

/** Close: `POST {base}/v2/alerts/{alias}/close?identifierType=alias`. */
export function opsgenieCloseBody(event: AlertEvent) {
  return { source: SOURCE, note: clipText(describe(event), OPSGENIE_LIMITS.note) };
}

export const opsgenie: ChannelDef<"opsgenie"> = {
  kind: "opsgenie",
  fields: { secret: ChannelKey.optional() },
  signed: false,
  credential: "the API key of an Opsgenie API integration",
  defaultUrl: "https://api.opsgenie.com",
  checkUrl: (url) => (url.search || url.hash ? "must be the API's base URL, without a query or fragment" : null),
  // 400 and 422: the request is invalid; 401 and 403: the key is wrong or lacks the right. Retrying changes none of them.
  permanent: [400, 401, 403, 422],
  async build(event, channel) {
    if (!channel.secret) throw new Error(`opsgenie channel "${channel.id}" has no API key`);
    const base = channel.url.replace(/\/+$/, "");
    const close = event.type === "monitor.up";
    return {
      url: close ? `${base}/v2/alerts/${encodeURIComponent(alias(event))}/close?identifierType=alias` : `${base}/v2/alerts`,
      method: "POST",
      headers: { "content-type": "application/json", authorization: `GenieKey ${channel.secret}` },
      body: JSON.stringify(close ? opsgenieCloseBody(event) : opsgenieCreateBody(event)),
    };
  },
};
