// Discord webhook: a one-line `content` and one embed with the facts; mentions are never parsed, and
// names, targets and errors have their Markdown escaped (a monitor named "**x** [a](http://evil)" is shown
// as written, not as bold text and a masked link).
import { toRfc3339 } from "../../../../contract/index.ts";
import type { AlertEvent } from "../events.ts";
import { EMOJI, TONE, clipText, escapeMarkdown, facts, headline, type Tone } from "./format.ts";
import type { ChannelDef } from "./types.ts";

const COLOR: Record<Tone, number> = { bad: 0xd93025, good: 0x1e8e3e, warning: 0xf9ab00, info: 0x1a73e8 };

/** Discord's published limits, in characters: message content, embed title, fields, field value, footer, all of an embed's text. */
export const DISCORD_LIMITS = {
  content: 2000,
  title: 256,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  embed: 6000,
} as const;

const markdown = { escape: escapeMarkdown };

export function discordBody(event: AlertEvent) {
  const title = headline(event);
  return {
    content: clipText(`${EMOJI[event.type]} ${title}`, DISCORD_LIMITS.content, markdown),
    embeds: [
      {
        title: clipText(title, DISCORD_LIMITS.title, markdown),
        color: COLOR[TONE[event.type]],
        fields: facts(event)
          .slice(0, DISCORD_LIMITS.fields)
          .map((f) => ({ name: f.label, value: clipText(f.value, DISCORD_LIMITS.fieldValue, markdown), inline: f.value.length <= 40 })),
        // Footers are plain text to Discord.
        footer: { text: clipText(`${event.type} · ${event.id}`, DISCORD_LIMITS.footer) },
        timestamp: toRfc3339(event.timestamp),
      },
    ],
    // A monitor named "@everyone" must not ping anyone.
    allowed_mentions: { parse: [] },
  };
}

export const discord: ChannelDef<"discord"> = {
  kind: "discord",
  fields: {},
  signed: false,
  async build(event, channel) {
    return { url: channel.url, method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(discordBody(event)) };
  },
};
