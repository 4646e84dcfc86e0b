// Slack incoming webhook: `text` (the notification line) plus Block Kit blocks.
import type { AlertEvent } from "../events.ts";
import { EMOJI, clipText, facts, headline } from "./format.ts";
import type { ChannelDef } from "./types.ts";

/** mrkdwn treats &, < and > as control characters. */
const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Slack's published limits, in characters: Block Kit's header and section fields, a text object, a message's `text`. */
export const SLACK_LIMITS = { text: 40_000, header: 150, fields: 10, field: 2000, textObject: 3000 } as const;

export function slackBody(event: AlertEvent) {
  const title = `${EMOJI[event.type]} ${headline(event)}`;
  return {
    text: clipText(title, SLACK_LIMITS.text, { escape }),
    blocks: [
      { type: "header", text: { type: "plain_text", text: clipText(title, SLACK_LIMITS.header), emoji: true } },
      {
        type: "section",
        fields: facts(event)
          .slice(0, SLACK_LIMITS.fields)
          .map((f) => {
            const label = `*${f.label}*\n`;
            return { type: "mrkdwn", text: label + clipText(f.value, SLACK_LIMITS.field - label.length, { escape }) };
          }),
      },
      {
        type: "context",
        elements: [{ type: "mrkdwn", text: clipText(`${event.type} · ${event.id}`, SLACK_LIMITS.textObject, { escape }) }],
      },
    ],
  };
}

export const slack: ChannelDef<"slack"> = {
  kind: "slack",
  fields: {},
  signed: false,
  async build(event, channel) {
    return { url: channel.url, method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(slackBody(event)) };
  },
};
