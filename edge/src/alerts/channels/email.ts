// Email through an HTTP mail API (a Worker cannot rely on SMTP): JSON {from, to, subject, text} POSTed with a bearer key.
import { z } from "zod";
import type { AlertEvent } from "../events.ts";
import { ChannelKey } from "./credential.ts";
import { EMOJI, clipText, facts, headline } from "./format.ts";
import type { ChannelDef } from "./types.ts";

/** Subject one header line (RFC 5322 allows 998; kept far shorter for mail clients); text well under any API's body limit. */
export const EMAIL_LIMITS = { subject: 200, text: 100_000 } as const;

const Address = z
  .string()
  .max(254, "must be at most 254 characters")
  .regex(/^[^\s<>@",;]+@[^\s<>@",;]+\.[^\s<>@",;]+$/, "must be one email address, e.g. oncall@example.com");

/** The subject: the headline with its emoji. */
export const emailSubject = (event: AlertEvent): string => clipText(`${EMOJI[event.type]} ${headline(event)}`, EMAIL_LIMITS.subject);

/** The plain-text body: one "Label: value" line per fact and the event id. */
export function emailText(event: AlertEvent): string {
  const lines = [...facts(event), { label: "Event", value: event.id }].map((f) => `${f.label}: ${f.value}`);
  return clipText(lines.join("\n"), EMAIL_LIMITS.text);
}

export function emailBody(event: AlertEvent, from: string, to: string) {
  return { from, to: [to], subject: emailSubject(event), text: emailText(event) };
}

export const email: ChannelDef<"email"> = {
  kind: "email",
  fields: { secret: ChannelKey.optional(), from: Address, to: Address },
  options: ["from", "to"],
  signed: false,
  credential: "the mail API's key, sent as `Authorization: Bearer <key>`",
  // 400 and 422: the message is invalid; 401 and 403: the key is wrong or may not send from `from`.
  permanent: [400, 401, 403, 422],
  async build(event, channel) {
    if (!channel.secret) throw new Error(`email channel "${channel.id}" has no API key`);
    const { from, to } = channel.options;
    if (!from || !to) throw new Error(`email channel "${channel.id}" has no from or to address`);
    return {
      url: channel.url,
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${channel.secret}` },
      body: JSON.stringify(emailBody(event, from, to)),
    };
  },
};
