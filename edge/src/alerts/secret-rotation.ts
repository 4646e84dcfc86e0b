// Webhook secret rotation the Standard Webhooks way: for a grace period a channel signs with its new secret and the one it replaced.
import { z } from "zod";
import { GraceSeconds } from "../../../contract/index.ts";
import type { Channel } from "./channels/types.ts";
import { WebhookSecret } from "./signing.ts";

/** A day: long enough for a receiver's owner to notice and deploy, short enough that a leaked secret dies soon. */
export const DEFAULT_GRACE_S = 24 * 60 * 60;
/** 30 days: a replaced secret, possibly leaked, is never trusted longer than this. */
export const MAX_GRACE_S = 30 * 24 * 60 * 60;

/** Body of POST /api/v1/channels/:id/rotate-secret. */
export const RotateSecretInput = z.strictObject({
  grace_s: GraceSeconds(MAX_GRACE_S, DEFAULT_GRACE_S, { min: " (0 replaces the secret at once)", max: " (30 days)" }),
  secret: WebhookSecret.optional(),
});

type Secrets = Pick<Channel, "secret" | "rotation">;

/** The rotation still in its grace period at `now` (epoch ms), or null. */
export function rotationAt(ch: Secrets, now: number): { previous: string; until: number } | null {
  return ch.rotation && now < ch.rotation.until ? ch.rotation : null;
}

/**
 * The secrets an attempt at `now` is signed with: the current one first, then, while a rotation's grace
 * lasts, the one it replaced. Read at send time, so a notification queued before a rotation and sent
 * after it carries what is current when it goes (its `webhook-timestamp` is the attempt's time too).
 */
export function signingSecrets(ch: Secrets, now: number): [string, ...string[]] | null {
  if (!ch.secret) return null;
  const rotation = rotationAt(ch, now);
  return rotation ? [ch.secret, rotation.previous] : [ch.secret];
}

/**
 * A channel's secrets after rotating from `current` to `secret` at `now`: `current` stays valid for
 * `graceS` seconds (with 0, not at all). A rotation during another's grace drops the older secret at
 * once: deliveries carry at most two signatures.
 */
export function rotated(current: string, secret: string, graceS: number, now: number): { secret: string; rotation: Channel["rotation"] } {
  return { secret, rotation: graceS > 0 ? { previous: current, until: now + graceS * 1000 } : null };
}
