// ntfy: POST to the topic URL, a plain-text body, and Title/Priority/Tags headers.
import type { AlertEvent, EventType } from "../events.ts";
import { facts, headline } from "./format.ts";
import type { ChannelDef } from "./types.ts";

/** ntfy priorities: 1 min … 3 default … 5 max (urgent). */
const PRIORITY: Record<EventType, number> = {
  "monitor.down": 5,
  "monitor.reminder": 4,
  "monitor.up": 3,
  "monitor.degraded": 3,
  "monitor.certificate": 3,
  test: 3,
};

/** Emoji short codes ntfy shows in front of the title, then the event name as a plain tag. */
const TAGS: Record<EventType, string> = {
  "monitor.down": "rotating_light,down",
  "monitor.reminder": "repeat,reminder",
  "monitor.up": "white_check_mark,up",
  "monitor.degraded": "warning,degraded",
  "monitor.certificate": "lock,certificate",
  test: "test_tube,test",
};

/** Header values must be bytes; ntfy decodes RFC 2047 encoded-words, so UTF-8 travels as one. */
export function headerText(text: string): string {
  const flat = text.replace(/[\r\n]+/g, " ");
  if (/^[\x20-\x7e]*$/.test(flat)) return flat;
  let bin = "";
  for (const b of new TextEncoder().encode(flat)) bin += String.fromCharCode(b);
  return `=?UTF-8?B?${btoa(bin)}?=`;
}

export function ntfyRequest(event: AlertEvent) {
  return {
    headers: {
      "content-type": "text/plain; charset=utf-8",
      title: headerText(headline(event)),
      priority: String(PRIORITY[event.type]),
      tags: TAGS[event.type],
    },
    body: [...facts(event).map((f) => `${f.label}: ${f.value}`), `Event: ${event.id}`].join("\n"),
  };
}

export const ntfy: ChannelDef<"ntfy"> = {
  kind: "ntfy",
  fields: {},
  signed: false,
  checkUrl: (url) => (url.pathname.replace(/\/+$/, "") === "" ? "must be the topic's URL, e.g. https://ntfy.sh/my-alerts" : null),
  async build(event, channel) {
    return { url: channel.url, method: "POST", ...ntfyRequest(event) };
  },
};
