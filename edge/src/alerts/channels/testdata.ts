// Fixed alert events and the exact requests each channel kind must build for them (tests only).
import type { AlertEvent } from "../events.ts";
import { CHANNELS } from "./index.ts";
import type { ChannelKind } from "./types.ts";

/** The signing secret of Standard Webhooks' own example. */
export const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/** The key of the kinds that hold one (pagerduty's routing key, opsgenie's API key). */
export const KEY = "R0ut1ngK3y0f32charactersXXXXXXXX";
/** The secret a test channel of `kind` holds: the signing secret, a key, or none. */
export const secretFor = (kind: ChannelKind): string | null => (CHANNELS[kind].signed ? SECRET : CHANNELS[kind].credential ? KEY : null);
/** The options of a test channel of `kind` (a Telegram chat, an email's addresses). */
export const OPTIONS: Partial<Record<ChannelKind, Record<string, string>>> = {
  telegram: { chat_id: "-1001234567890" },
  email: { from: "uptime@example.net", to: "oncall@example.net" },
};
/** When the fixed requests are sent: webhook-timestamp 1764216061. */
export const SENT_AT = 1_764_216_061_234;

export const DOWN: AlertEvent = {
  id: "evt_inc_homepage_1764216000000_down",
  type: "monitor.down",
  timestamp: 1_764_216_060_000,
  monitor: { id: "homepage", name: "Homepage", group: "Public", kind: "http", status: "down", target: "https://example.com/" },
  incident: {
    id: "inc_homepage_1764216000000",
    monitor: "homepage",
    opened_at: 1_764_216_060_000,
    resolved_at: null,
    cause: "2 consecutive failures",
    first_error: { kind: "status", message: "HTTP 503" },
    last_error: { kind: "timeout", message: "no answer within 10000 ms" },
  },
  details: {},
};

/**
 * DOWN's request body for each kind, byte for byte. Discord and Teams escape Markdown: the text
 * "Homepage \(homepage\)" is "Homepage \\(homepage\\)" in their JSON.
 */
export const DOWN_BODIES: Record<ChannelKind, string> = {
  webhook:
    '{"id":"evt_inc_homepage_1764216000000_down","type":"monitor.down","timestamp":"2025-11-27T04:01:00.000Z",' +
    '"monitor":{"id":"homepage","name":"Homepage","group":"Public","kind":"http","status":"down","target":"https://example.com/"},' +
    '"incident":{"id":"inc_homepage_1764216000000","monitor":"homepage","opened_at":"2025-11-27T04:01:00.000Z","resolved_at":null,' +
    '"cause":"2 consecutive failures","first_error":{"kind":"status","message":"HTTP 503"},"last_error":{"kind":"timeout","message":"no answer within 10000 ms"}},' +
    '"details":{}}',
  slack:
    '{"text":"🔴 Homepage is down","blocks":[{"type":"header","text":{"type":"plain_text","text":"🔴 Homepage is down","emoji":true}},' +
    '{"type":"section","fields":[{"type":"mrkdwn","text":"*Monitor*\\nHomepage (homepage)"},{"type":"mrkdwn","text":"*Target*\\nhttps://example.com/"},' +
    '{"type":"mrkdwn","text":"*Cause*\\n2 consecutive failures"},{"type":"mrkdwn","text":"*Error*\\ntimeout: no answer within 10000 ms"},' +
    '{"type":"mrkdwn","text":"*Time*\\n2025-11-27T04:01:00.000Z"}]},' +
    '{"type":"context","elements":[{"type":"mrkdwn","text":"monitor.down · evt_inc_homepage_1764216000000_down"}]}]}',
  discord:
    '{"content":"🔴 Homepage is down","embeds":[{"title":"Homepage is down","color":14233637,"fields":[' +
    '{"name":"Monitor","value":"Homepage \\\\(homepage\\\\)","inline":true},{"name":"Target","value":"https://example.com/","inline":true},' +
    '{"name":"Cause","value":"2 consecutive failures","inline":true},{"name":"Error","value":"timeout: no answer within 10000 ms","inline":true},' +
    '{"name":"Time","value":"2025-11-27T04:01:00.000Z","inline":true}],' +
    '"footer":{"text":"monitor.down · evt_inc_homepage_1764216000000_down"},"timestamp":"2025-11-27T04:01:00.000Z"}],"allowed_mentions":{"parse":[]}}',
  teams:
    '{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","contentUrl":null,"content":{' +
    '"$schema":"http://adaptivecards.io/schemas/adaptive-card.json","type":"AdaptiveCard","version":"1.4","body":[' +
    '{"type":"TextBlock","text":"🔴 Homepage is down","weight":"Bolder","size":"Medium","color":"Attention","wrap":true},' +
    '{"type":"FactSet","facts":[{"title":"Monitor","value":"Homepage \\\\(homepage\\\\)"},{"title":"Target","value":"https://example.com/"},' +
    '{"title":"Cause","value":"2 consecutive failures"},{"title":"Error","value":"timeout: no answer within 10000 ms"},' +
    '{"title":"Time","value":"2025-11-27T04:01:00.000Z"}]},' +
    '{"type":"TextBlock","text":"monitor.down · evt\\\\_inc\\\\_homepage\\\\_1764216000000\\\\_down","isSubtle":true,"size":"Small","wrap":true}]}}]}',
  ntfy:
    "Monitor: Homepage (homepage)\nTarget: https://example.com/\nCause: 2 consecutive failures\n" +
    "Error: timeout: no answer within 10000 ms\nTime: 2025-11-27T04:01:00.000Z\nEvent: evt_inc_homepage_1764216000000_down",
  pagerduty:
    '{"routing_key":"R0ut1ngK3y0f32charactersXXXXXXXX","event_action":"trigger","dedup_key":"inc_homepage_1764216000000",' +
    '"payload":{"summary":"Homepage is down","source":"https://example.com/","severity":"critical","timestamp":"2025-11-27T04:01:00.000Z",' +
    '"component":"homepage","group":"Public","class":"monitor.down","custom_details":{"Monitor":"Homepage (homepage)","Target":"https://example.com/",' +
    '"Cause":"2 consecutive failures","Error":"timeout: no answer within 10000 ms","Time":"2025-11-27T04:01:00.000Z","Event":"evt_inc_homepage_1764216000000_down"}}}',
  opsgenie:
    '{"message":"Homepage is down","alias":"inc_homepage_1764216000000","description":"Monitor: Homepage (homepage)\\nTarget: https://example.com/\\n' +
    'Cause: 2 consecutive failures\\nError: timeout: no answer within 10000 ms\\nTime: 2025-11-27T04:01:00.000Z\\nEvent: evt_inc_homepage_1764216000000_down",' +
    '"tags":["uptime","monitor.down"],"details":{"monitor":"homepage","event":"evt_inc_homepage_1764216000000_down","type":"monitor.down"},' +
    '"entity":"homepage","source":"Infra Uptime Monitor","priority":"P1"}',
  telegram:
    '{"chat_id":"-1001234567890","text":"🔴 Homepage is down\\n\\nMonitor: Homepage (homepage)\\nTarget: https://example.com/\\n' +
    "Cause: 2 consecutive failures\\nError: timeout: no answer within 10000 ms\\nTime: 2025-11-27T04:01:00.000Z\\n" +
    'Event: evt_inc_homepage_1764216000000_down","link_preview_options":{"is_disabled":true}}',
  email:
    '{"from":"uptime@example.net","to":["oncall@example.net"],"subject":"🔴 Homepage is down","text":"Monitor: Homepage (homepage)\\n' +
    "Target: https://example.com/\\nCause: 2 consecutive failures\\nError: timeout: no answer within 10000 ms\\nTime: 2025-11-27T04:01:00.000Z\\n" +
    'Event: evt_inc_homepage_1764216000000_down"}',
};

/** DOWN's headers for each kind (the webhook's signature is for SECRET at SENT_AT). */
export const DOWN_HEADERS: Record<ChannelKind, Record<string, string>> = {
  webhook: {
    "content-type": "application/json",
    "webhook-id": "evt_inc_homepage_1764216000000_down",
    "webhook-timestamp": "1764216061",
    "webhook-signature": "v1,VIi9PUIYyvcrltnygm9RiETHufp9D2AUS5H/tiPgcTg=",
  },
  slack: { "content-type": "application/json" },
  discord: { "content-type": "application/json" },
  teams: { "content-type": "application/json" },
  ntfy: { "content-type": "text/plain; charset=utf-8", title: "Homepage is down", priority: "5", tags: "rotating_light,down" },
  pagerduty: { "content-type": "application/json" },
  opsgenie: { "content-type": "application/json", authorization: `GenieKey ${KEY}` },
  telegram: { "content-type": "application/json" },
  email: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
};

/**
 * A Standard Webhooks verifier written from the spec, apart from signing.ts: the signed content
 * is `id.timestamp.body`, the key the base64 after `whsec_`, the header a space-separated list of
 * `v1,<base64>`; the timestamp must be within `toleranceS` of `nowS`. True if one signature matches.
 */
export async function verifyWebhook(
  secret: string,
  headers: Record<string, string>,
  body: string,
  nowS: number,
  toleranceS = 300,
): Promise<boolean> {
  const id = headers["webhook-id"];
  const ts = headers["webhook-timestamp"];
  const sigs = headers["webhook-signature"];
  if (!id || !ts || !sigs || !/^\d+$/.test(ts) || Math.abs(nowS - Number(ts)) > toleranceS) return false;
  const bytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey("raw", bytes(secret.replace(/^whsec_/, "")), { name: "HMAC", hash: "SHA-256" }, false, [
    "verify",
  ]);
  const content = new TextEncoder().encode(`${id}.${ts}.${body}`);
  for (const entry of sigs.split(" ")) {
    const [version, sig] = entry.split(",");
    if (version === "v1" && sig && (await crypto.subtle.verify("HMAC", key, bytes(sig), content))) return true;
  }
  return false;
}
