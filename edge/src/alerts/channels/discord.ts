// Discord webhook: a one-line `content` and one embed with the facts; mentions are never parsed, and
// names, targets and errors have their Markdown escaped (a monitor named "**x** [a](http://evil)" is shown
// as written, not as bold text and a masked link).
import { toRfc3339 } from "../../../../contract/index.ts";
import type { AlertEvent } from "../events.ts";
import { EMOJI, TONE, clipEscaped, facts, headline, type Tone } from "./format.ts";
import type { ChannelDef } from "./types.ts";

const COLOR: Record<Tone, number> = { bad: 0xd93025, good: 0x1e8e3e, warning: 0xf9ab00, info: 0x1a73e8 };

export function discordBody(event: AlertEvent) {
  const title = headline(event);
  return {
    content: clipEscaped(`${EMOJI[event.type]} ${title}`, 2000),
    embeds: [
      {
        title: clipEscaped(title, 256),
        color: COLOR[TONE[event.type]],
        // Discord allows 25 fields, values up to 1024 characters.
        fields: facts(event)
          .slice(0, 25)
          .map((f) => ({ name: f.label, value: clipEscaped(f.value, 1024), inline: f.value.length <= 40 })),
        // Footers are plain text to Discord.
        footer: { text: `${event.type} · ${event.id}` },
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
