// What an alert channel is: a stored destination, and per kind a pure builder of the request it gets.
import type { z } from "zod";
import type { AlertEvent, EventName } from "../events.ts";

/** Every channel kind, listed once; the registry in index.ts must have exactly these. */
export const CHANNEL_KINDS = ["webhook", "slack", "discord", "teams", "ntfy", "pagerduty", "opsgenie", "telegram", "email"] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/**
 * A channel as stored. `secret` is set for kinds that sign (webhook) or hold a key apart from the URL (pagerduty,
 * opsgenie), and never leaves through the API.
 */
export type Channel = {
  id: string;
  name: string;
  kind: ChannelKind;
  url: string;
  secret: string | null;
  /**
   * A secret rotation: `previous` is the secret `secret` replaced, signed with too until `until` (epoch ms).
   * Null when there is none; one whose `until` has passed is over and ignored (alerts/secret-rotation.ts).
   */
  rotation: { previous: string; until: number } | null;
  /** The kind's own settings that are not secret (a Telegram chat id, an email's addresses): shown by the API. */
  options: Record<string, string>;
  /** Monitor ids; empty = every monitor. */
  monitors: string[];
  events: EventName[];
  enabled: boolean;
  disabled_reason: string | null;
  created_at: number;
  updated_at: number;
};

/** The HTTP request a notification is: built by a channel, sent by delivery. */
export type OutgoingRequest = { url: string; method: "POST"; headers: Record<string, string>; body: string };

export interface ChannelDef<K extends ChannelKind = ChannelKind> {
  kind: K;
  /** Fields this kind takes besides the common ones; the channel schema is strict, so others are refused. */
  fields: z.ZodRawShape;
  /** Signs its requests: a secret is generated on creation when none is given, and shown that once. */
  signed: boolean;
  /** What the channel's `secret` is when the kind needs a key besides its URL (e.g. "the integration's routing key"); required on creation. */
  credential?: string;
  /** Which of `fields` are options (stored in `Channel.options` and shown by the API). */
  options?: readonly string[];
  /** The URL when none is given: the service's public API. */
  defaultUrl?: string;
  /** Answers that retrying cannot change (the receiver refused the request itself): dead-lettered at once. */
  permanent?: readonly number[];
  /** A problem with the URL for this kind (e.g. ntfy needs a topic), or null. */
  checkUrl?: (url: URL) => string | null;
  /**
   * The request for `event`, deterministic in its arguments (`now`, epoch ms, is when it is sent).
   * Async only because signing uses Web Crypto.
   */
  build(event: AlertEvent, channel: Channel, now: number): Promise<OutgoingRequest>;
}
