// The channel registry (kind → definition) and the channel schema the API validates with.
import { z } from "zod";
import { normalizeUrl } from "../../../../contract/target.ts";
import { MonitorId, PlainText, Slug } from "../../../../contract/index.ts";
import { EVENT_NAMES } from "../events.ts";
import { discord } from "./discord.ts";
import { email } from "./email.ts";
import { ntfy } from "./ntfy.ts";
import { opsgenie } from "./opsgenie.ts";
import { pagerduty } from "./pagerduty.ts";
import { slack } from "./slack.ts";
import { teams } from "./teams.ts";
import { telegram } from "./telegram.ts";
import { CHANNEL_KINDS, type ChannelDef, type ChannelKind } from "./types.ts";
import { webhook } from "./webhook.ts";

export { CHANNEL_KINDS, type Channel, type ChannelDef, type ChannelKind, type OutgoingRequest } from "./types.ts";

/** One entry per kind; a missing or mistyped entry fails to compile. */
export const CHANNELS: { readonly [K in ChannelKind]: ChannelDef<K> } = {
  webhook,
  slack,
  discord,
  teams,
  ntfy,
  pagerduty,
  opsgenie,
  telegram,
  email,
};

export function isChannelKind(kind: unknown): kind is ChannelKind {
  return typeof kind === "string" && Object.hasOwn(CHANNELS, kind);
}

const unique = <T>(list: T[]) => new Set(list).size === list.length;

/** What stands for the hidden part of a masked URL. */
const MASK = "…";

/**
 * A channel's URL as the API shows it after creation: scheme and host (never a user or password), then
 * "…" and the URL's last 4 characters, so a person can tell two channels apart; the last 4 only when
 * the hidden part is at least 12 characters long, so they give away at most a third of it.
 * "https://hooks.slack.com/services/T0/B0/abcd" → "https://hooks.slack.com/…abcd".
 */
export function maskUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return MASK; // validated at write time; nothing of an unreadable URL is shown
  }
  const hidden = u.pathname + u.search + u.hash;
  return `${u.protocol}//${u.host}/${MASK}${hidden.length >= 12 ? url.slice(-4) : ""}`;
}

const ChannelUrl = z
  .string()
  .max(2048, "must be at most 2048 characters")
  .refine((u) => !u.includes(MASK), "is a masked URL: send the full URL, or leave url out to keep the current one")
  .pipe(z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }))
  // Stored normalised (no whitespace or controls, IPv4 in its canonical form), so the egress policy judges what is sent.
  .transform((s, ctx) => {
    const n = normalizeUrl(s);
    if ("error" in n) {
      ctx.addIssue({ code: "custom", message: n.error });
      return z.NEVER;
    }
    return n.url;
  });

/** What every kind takes. The kind's own fields are added to it, and the result is strict. */
const COMMON = {
  id: Slug,
  name: PlainText(200).optional(),
  url: ChannelUrl,
  monitors: z.array(MonitorId).max(1000).refine(unique, "must not repeat a monitor").default([]),
  events: z
    .array(z.enum(EVENT_NAMES))
    .min(1, "must name at least one event (or leave it out for all)")
    .refine(unique, "must not repeat an event")
    .default([...EVENT_NAMES]),
  enabled: z.boolean().default(true),
};

function schemaFor<K extends ChannelKind>(kind: K) {
  const def: ChannelDef = CHANNELS[kind];
  const url = def.defaultUrl === undefined ? COMMON.url : COMMON.url.default(def.defaultUrl);
  return z.strictObject({ ...COMMON, url, kind: z.literal(kind), ...def.fields }).superRefine((c, ctx) => {
    // zod runs this even when a field failed (then c holds the raw input): a URL that does not parse was reported already.
    if (typeof c.url !== "string" || !URL.canParse(c.url)) return;
    const problem = def.checkUrl?.(new URL(c.url));
    if (problem) ctx.addIssue({ code: "custom", path: ["url"], message: problem });
  });
}

/** The channel schema of each kind, built from the registry. */
export const CHANNEL_SCHEMAS = Object.fromEntries(CHANNEL_KINDS.map((k) => [k, schemaFor(k)])) as {
  readonly [K in ChannelKind]: ReturnType<typeof schemaFor<K>>;
};

/** Input as validated: the common fields, the kind, and what that kind takes (e.g. a webhook's secret). */
export type ChannelInput = z.output<(typeof CHANNEL_SCHEMAS)[ChannelKind]> & { secret?: string };

/** Only the kind, read first so the rest is checked against that kind's schema. */
export const ChannelKindField = z.object({
  kind: z.enum(CHANNEL_KINDS, `must be one of ${CHANNEL_KINDS.map((k) => `"${k}"`).join(", ")}`),
});
