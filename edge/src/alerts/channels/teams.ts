// Microsoft Teams incoming webhook (Workflows "post to a channel when a webhook request is
// received"): a message with one Adaptive Card 1.4 attachment. Adaptive Cards rather than the
// legacy MessageCard, which only the retired Office 365 connectors render. TextBlocks and FactSet
// values render Markdown, so every text that is not ours has it escaped.
import type { AlertEvent } from "../events.ts";
import { EMOJI, TONE, clipText, escapeMarkdown, facts, headline, utf8Length, type Tone } from "./format.ts";
import type { ChannelDef } from "./types.ts";

const COLOR: Record<Tone, string> = { bad: "Attention", good: "Good", warning: "Warning", info: "Accent" };

/**
 * Teams refuses a message over about 28 KB (Microsoft's documented limit for webhooks and Workflows).
 * Adaptive Cards set no length per text, so each fact value is clipped to 4 KiB as it is written in the
 * JSON (escapes and all): a card with every fact at its longest stays well under the limit.
 */
export const TEAMS_LIMITS = { message: 28_000, fact: 4096 } as const;

const factValue = { escape: escapeMarkdown, measure: (s: string) => utf8Length(JSON.stringify(s)) - 2 };

export function teamsBody(event: AlertEvent) {
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body: [
            {
              type: "TextBlock",
              text: `${EMOJI[event.type]} ${escapeMarkdown(headline(event))}`,
              weight: "Bolder",
              size: "Medium",
              color: COLOR[TONE[event.type]],
              wrap: true,
            },
            {
              type: "FactSet",
              facts: facts(event).map((f) => ({ title: f.label, value: clipText(f.value, TEAMS_LIMITS.fact, factValue) })),
            },
            { type: "TextBlock", text: escapeMarkdown(`${event.type} · ${event.id}`), isSubtle: true, size: "Small", wrap: true },
          ],
        },
      },
    ],
  };
}

export const teams: ChannelDef<"teams"> = {
  kind: "teams",
  fields: {},
  signed: false,
  async build(event, channel) {
    return { url: channel.url, method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(teamsBody(event)) };
  },
};
