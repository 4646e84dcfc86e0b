// Slack incoming webhook: `text` (the notification line) plus Block Kit blocks.
import type { AlertEvent } from "../events.ts";
import { clip } from "../../../../contract/text.ts";
import { EMOJI, facts, headline } from "./format.ts";
import type { ChannelDef } from "./types.ts";

/** mrkdwn treats &, < and > as control characters. */
const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function slackBody(event: AlertEvent) {
  const title = `${EMOJI[event.type]} ${headline(event)}`;
  return {
    text: escape(title),
    blocks: [
      { type: "header", text: { type: "plain_text", text: clip(title, 150), emoji: true } },
      // Slack allows 10 fields per section, 2000 characters each.
      {
        type: "section",
        fields: facts(event)
          .slice(0, 10)
          .map((f) => ({ type: "mrkdwn", text: clip(`*${f.label}*\n${escape(f.value)}`, 2000) })),
      },
      { type: "context", elements: [{ type: "mrkdwn", text: escape(`${event.type} · ${event.id}`) }] },
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
