// Telegram Bot API: sendMessage to a chat, plain text (no parse_mode, so nothing needs escaping), link previews off.
import type { AlertEvent } from "../events.ts";
import { z } from "zod";
import { ChannelKey } from "./credential.ts";
import { EMOJI, type Fact, clipText, facts, headline } from "./format.ts";
import type { ChannelDef } from "./types.ts";

/** sendMessage's text is at most 4,096 characters; target and error get at most 1,000 each so every other line stays whole. */
export const TELEGRAM_LIMITS = { text: 4096, longFact: 1000 } as const;

const LONG = ["Target", "Error"];

/** The message: the headline with its emoji, a blank line, then one "Label: value" line per fact and the event id. */
export function telegramText(event: AlertEvent): string {
  const lines: Fact[] = [...facts(event), { label: "Event", value: event.id }];
  const body = lines.map((f) => `${f.label}: ${LONG.includes(f.label) ? clipText(f.value, TELEGRAM_LIMITS.longFact) : f.value}`);
  return clipText([`${EMOJI[event.type]} ${headline(event)}`, "", ...body].join("\n"), TELEGRAM_LIMITS.text);
}

export function telegramBody(event: AlertEvent, chatId: string) {
  return { chat_id: chatId, text: telegramText(event), link_preview_options: { is_disabled: true } };
}

export const telegram: ChannelDef<"telegram"> = {
  kind: "telegram",
  fields: {
    secret: ChannelKey.optional(),
    chat_id: z
      .string()
      .regex(/^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$/, "must be a chat's numeric id (e.g. -1001234567890) or a channel's @username"),
  },
  options: ["chat_id"],
  signed: false,
  credential: "the bot's token, as BotFather gives it",
  defaultUrl: "https://api.telegram.org",
  checkUrl: (url) => (url.search || url.hash ? "must be the Bot API's base URL, without a query or fragment" : null),
  // 400 (chat not found, bad request), 401 (bad token), 403 (the bot was blocked or removed): retrying changes none.
  permanent: [400, 401, 403],
  async build(event, channel) {
    if (!channel.secret) throw new Error(`telegram channel "${channel.id}" has no bot token`);
    const chatId = channel.options.chat_id;
    if (!chatId) throw new Error(`telegram channel "${channel.id}" has no chat_id`);
    return {
      url: `${channel.url.replace(/\/+$/, "")}/bot${channel.secret}/sendMessage`,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(telegramBody(event, chatId)),
    };
  },
};
