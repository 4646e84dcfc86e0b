// ntfy: POST to the topic URL, a plain-text body, and Title/Priority/Tags headers.
import type { AlertEvent, EventType } from "../events.ts";
import { type Fact, clipText, facts, headline, utf8Length } from "./format.ts";
import type { ChannelDef } from "./types.ts";

/**
 * ntfy's limits. The server reads a body up to its message size limit (4,096 bytes by default) and sends
 * one that fills it as an attachment, which a server without attachment storage refuses (400): so the
 * body stays below it, in UTF-8 bytes. The title is a header: one RFC 5322 line at most (998
 * characters, far below the 8 KB a proxy's header buffer usually holds), in RFC 2047 encoded-words of
 * at most 75 characters each.
 */
export const NTFY_LIMITS = { body: 4095, title: 998, encodedWord: 75 } as const;

/** Facts shortened first when the body is too long: the ones whose length the monitor's owner and its target decide. */
const SHORTEN_FIRST = ["Target", "Error"];

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

const ENCODED_WORD_OVERHEAD = "=?UTF-8?B??=".length;

/**
 * Header values must be bytes; ntfy decodes RFC 2047 encoded-words, so UTF-8 travels as base64 words
 * of whole characters, each at most 75 characters long and separated by spaces (which decoders drop
 * between words).
 */
function encodeHeader(flat: string): string {
  if (/^[\x20-\x7e]*$/.test(flat)) return flat;
  const maxBytes = Math.floor((NTFY_LIMITS.encodedWord - ENCODED_WORD_OVERHEAD) / 4) * 3;
  const words: string[] = [];
  let bin = "";
  const flush = () => {
    if (bin) words.push(`=?UTF-8?B?${btoa(bin)}?=`);
    bin = "";
  };
  for (const ch of flat) {
    let bytes = "";
    for (const b of new TextEncoder().encode(ch)) bytes += String.fromCharCode(b);
    if (bin.length + bytes.length > maxBytes) flush();
    bin += bytes;
  }
  flush();
  return words.join(" ");
}

/** A header value for `text` on one line, clipped (by whole graphemes) so the encoded value fits NTFY_LIMITS.title. */
export function headerText(text: string): string {
  const flat = text.replace(/[\r\n]+/g, " ");
  return encodeHeader(clipText(flat, NTFY_LIMITS.title, { measure: (s) => encodeHeader(s).length }));
}

const render = (lines: Fact[]) => lines.map((f) => `${f.label}: ${f.value}`).join("\n");

/**
 * `lines` with the values of those labelled `labels` clipped to one common size, the largest that lets
 * the whole body fit `max` bytes (short values stay whole, long ones share what is left).
 */
function shorten(lines: Fact[], labels: readonly string[], max: number): Fact[] {
  const chosen = (f: Fact) => labels.includes(f.label);
  let room = max - utf8Length(render(lines.map((f) => (chosen(f) ? { ...f, value: "" } : f))));
  const sizes = lines
    .filter(chosen)
    .map((f) => utf8Length(f.value))
    .sort((a, b) => a - b);
  let cap = Number.POSITIVE_INFINITY;
  for (const [i, size] of sizes.entries()) {
    const share = Math.floor(room / (sizes.length - i));
    if (size > share) {
      cap = Math.max(0, share);
      break;
    }
    room -= size;
  }
  return lines.map((f) => (chosen(f) ? { ...f, value: clipText(f.value, cap, { measure: utf8Length }) } : f));
}

/** The body: one "Label: value" line per fact and the event id, below NTFY_LIMITS.body bytes (target and error shortened first, then every value). */
export function ntfyBody(event: AlertEvent): string {
  let lines: Fact[] = [...facts(event), { label: "Event", value: event.id }];
  for (const labels of [SHORTEN_FIRST, lines.map((f) => f.label)]) {
    if (utf8Length(render(lines)) <= NTFY_LIMITS.body) break;
    lines = shorten(lines, labels, NTFY_LIMITS.body);
  }
  return render(lines);
}

export function ntfyRequest(event: AlertEvent) {
  return {
    headers: {
      "content-type": "text/plain; charset=utf-8",
      title: headerText(headline(event)),
      priority: String(PRIORITY[event.type]),
      tags: TAGS[event.type],
    },
    body: ntfyBody(event),
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
