// Generic webhook: the alert event as JSON (docs/alerting.md, Channels), signed the Standard Webhooks way.
import { toRfc3339 } from "../../../../contract/index.ts";
import type { AlertEvent } from "../events.ts";
import { signingSecrets } from "../secret-rotation.ts";
import { WebhookSecret, signatureHeaders } from "../signing.ts";
import type { ChannelDef } from "./types.ts";

/** Numbers under keys ending in `_at` are epoch ms; on the wire every time is RFC 3339. */
function wireDetails(details: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details)) out[k] = k.endsWith("_at") && typeof v === "number" ? toRfc3339(v) : v;
  return out;
}

/**
 * `{"id","type","timestamp","monitor","incident","details"}`: the original spec's body plus `details`, the
 * event's own facts (reminder number, latency, days left), so a receiver need not call back.
 */
export function webhookBody(event: AlertEvent) {
  const m = event.monitor;
  const inc = event.incident;
  return {
    id: event.id,
    type: event.type,
    timestamp: toRfc3339(event.timestamp),
    monitor: { id: m.id, name: m.name, group: m.group, kind: m.kind, status: m.status, target: m.target },
    incident: inc && {
      id: inc.id,
      monitor: inc.monitor,
      opened_at: toRfc3339(inc.opened_at),
      resolved_at: toRfc3339(inc.resolved_at),
      cause: inc.cause,
      first_error: inc.first_error,
      last_error: inc.last_error,
    },
    details: wireDetails(event.details),
  };
}

export const webhook: ChannelDef<"webhook"> = {
  kind: "webhook",
  fields: { secret: WebhookSecret.optional() },
  signed: true,
  async build(event, channel, now) {
    const secrets = signingSecrets(channel, now);
    if (!secrets) throw new Error(`webhook channel "${channel.id}" has no signing secret`);
    const body = JSON.stringify(webhookBody(event));
    return {
      url: channel.url,
      method: "POST",
      headers: { "content-type": "application/json", ...(await signatureHeaders(secrets, event.id, now, body)) },
      body,
    };
  },
};
