// /api/v1/channels: admins create, list, change, delete and test alert channels. A channel's URL is a
// credential (a chat webhook's URL is its bearer token; an ntfy topic or its ?auth= token is the same)
// and a webhook's signing secret is one: both are shown once, on creation. Afterwards the URL is masked
// (scheme, host and its last 4 characters, `url_set: true`) and only `secret_set` says there is a secret.
// A PATCH may send the masked URL back unchanged: it keeps the current one. A webhook's secret is replaced
// at once by PATCH, or with a grace period by POST /:id/rotate-secret (docs/alerting.md).
import { Hono } from "hono";
import { type EgressPolicy, urlEgressProblem } from "../../../../contract/egress.ts";
import { mergePatch, toRfc3339 } from "../../../../contract/index.ts";
import { CHANNELS, CHANNEL_SCHEMAS, ChannelKindField, maskUrl, type Channel, type ChannelInput } from "../../alerts/channels/index.ts";
import { deliveryDeps, sendTest } from "../../alerts/delivery.ts";
import { RotateSecretInput, rotated, rotationAt } from "../../alerts/secret-rotation.ts";
import { newWebhookSecret } from "../../alerts/signing.ts";
import { requireRole } from "../auth.ts";
import { limitBody, readJson, readPatch, validate } from "../body.ts";
import type { AppEnv } from "../context.ts";
import { deleteChannel, getChannel, insertChannel, listChannels, rotateChannelSecret, updateChannel } from "../../db/channels.ts";
import { deadLetterChannel, listNotifications } from "../../db/notifications.ts";
import { ApiError } from "../errors.ts";
import { receiverAnswersApart } from "../redact.ts";
import { countOf } from "../../db/counts.ts";
import { requireRoom } from "../limits.ts";
import { notificationView } from "./notifications.ts";

/** A channel as the API shows it after creation: its URL masked; of its secrets only whether one is set, and a rotation's end. */
export function channelView(ch: Channel, now: number = Date.now()) {
  const rotation = rotationAt(ch, now);
  return {
    id: ch.id,
    name: ch.name,
    kind: ch.kind,
    ...ch.options,
    url: maskUrl(ch.url),
    url_set: true,
    monitors: ch.monitors,
    events: ch.events,
    enabled: ch.enabled,
    disabled_reason: ch.disabled_reason,
    secret_set: ch.secret !== null,
    secret_rotation: rotation && { previous_until: toRfc3339(rotation.until) },
    created_at: toRfc3339(ch.created_at),
    updated_at: toRfc3339(ch.updated_at),
  };
}

const notFound = (id: string) => new ApiError("not_found", `no channel with id "${id}"`);

async function channelOr404(db: D1Database, id: string): Promise<Channel> {
  const ch = await getChannel(db, id);
  if (!ch) throw notFound(id);
  return ch;
}

/** 400 when the egress policy would refuse every delivery to `url`: said at create, not at every alert. */
function requireReachable(url: string, policy: EgressPolicy): void {
  const refused = urlEgressProblem(new URL(url), policy);
  if (refused) throw new ApiError("invalid_input", `channel is invalid: ${refused}`, [{ path: "url", message: refused }]);
}

/** The kind's options out of validated input. */
function optionsOf(input: ChannelInput): Record<string, string> {
  const fields = input as unknown as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const k of CHANNELS[input.kind].options ?? []) if (typeof fields[k] === "string") out[k] = fields[k];
  return out;
}

function parseInput(raw: unknown): ChannelInput {
  const { kind } = validate(ChannelKindField, raw, "channel");
  return validate(CHANNEL_SCHEMAS[kind], raw, "channel") as ChannelInput;
}

export const channels = new Hono<AppEnv>();
channels.use("*", requireRole("admin"));

channels.post("/", limitBody(), async (c) => {
  const input = parseInput(await readJson(c));
  const credential = CHANNELS[input.kind].credential;
  if (credential && input.secret === undefined)
    throw new ApiError("invalid_input", "channel is invalid: 1 problem", [{ path: "secret", message: `is required: ${credential}` }]);
  requireReachable(input.url, c.get("config").egress);
  const { db, caps } = c.get("config");
  requireRoom("channels", await countOf(db, "channels"), caps.channels, "MAX_CHANNELS");
  const now = Date.now();
  const channel: Channel = {
    id: input.id,
    name: input.name ?? input.id,
    kind: input.kind,
    url: input.url,
    secret: CHANNELS[input.kind].signed ? (input.secret ?? newWebhookSecret()) : (input.secret ?? null),
    rotation: null,
    options: optionsOf(input),
    monitors: input.monitors,
    events: input.events,
    enabled: input.enabled,
    disabled_reason: input.enabled ? null : "created disabled",
    created_at: now,
    updated_at: now,
  };
  if (!(await insertChannel(db, channel)))
    throw new ApiError("conflict", `a channel with id "${channel.id}" already exists`, [{ path: "id", message: "is already taken" }]);
  c.get("log").info("channel created", { channel: channel.id, kind: channel.kind, by: c.get("principal").name });
  // The URL and the secret leave the Worker this once.
  const shown = { ...channelView(channel), url: channel.url };
  const body = channel.secret === null ? shown : { ...shown, secret: channel.secret };
  return c.json(body, 201, { location: `/api/v1/channels/${encodeURIComponent(channel.id)}` });
});

channels.get("/", async (c) => {
  return c.json({ channels: (await listChannels(c.get("config").db)).map(channelView) });
});

channels.get("/:id", async (c) => {
  return c.json(channelView(await channelOr404(c.get("config").db, c.req.param("id"))));
});

/**
 * JSON merge patch over the channel's fields. `url` as GET shows it (masked) keeps the current URL; any
 * other masked-looking value is refused. `secret` may be set to a new one (webhook), at once: it also ends
 * a rotation's grace; `null` keeps the current one. `enabled: true` re-enables a disabled channel and clears its reason.
 */
channels.patch("/:id", limitBody(), async (c) => {
  const id = c.req.param("id");
  const patch = await readPatch(c);
  const db = c.get("config").db;
  const current = await channelOr404(db, id);
  if ("id" in patch && patch.id !== id)
    throw new ApiError("invalid_input", "a channel's id cannot be changed; create a new channel instead", [
      { path: "id", message: "cannot be changed" },
    ]);
  if ("kind" in patch && patch.kind !== current.kind)
    throw new ApiError("invalid_input", "a channel's kind cannot be changed; create a new channel instead", [
      { path: "kind", message: "cannot be changed" },
    ]);
  if (patch.url === maskUrl(current.url)) delete patch.url;
  const base = {
    id,
    name: current.name,
    kind: current.kind,
    url: current.url,
    ...current.options,
    monitors: current.monitors,
    events: current.events,
    enabled: current.enabled,
  };
  const input = validate(CHANNEL_SCHEMAS[current.kind], mergePatch(base, patch), "channel") as ChannelInput;
  if (input.url !== current.url) requireReachable(input.url, c.get("config").egress);
  const now = Date.now();
  const disabling = current.enabled && !input.enabled;
  const next: Channel = {
    ...current,
    name: input.name ?? id,
    url: input.url,
    secret: input.secret ?? current.secret,
    rotation: input.secret !== undefined && input.secret !== current.secret ? null : rotationAt(current, now),
    options: optionsOf(input),
    monitors: input.monitors,
    events: input.events,
    enabled: input.enabled,
    disabled_reason: input.enabled ? null : disabling ? `disabled by ${c.get("principal").name}` : current.disabled_reason,
    updated_at: now,
  };
  const stmts = [updateChannel(db, next)];
  if (disabling) stmts.push(deadLetterChannel(db, id, "channel disabled", now));
  await db.batch(stmts);
  c.get("log").info("channel updated", { channel: id, fields: Object.keys(patch), enabled: next.enabled });
  return c.json(channelView(next));
});

channels.delete("/:id", async (c) => {
  const id = c.req.param("id");
  if (!(await deleteChannel(c.get("config").db, id))) throw notFound(id);
  c.get("log").info("channel deleted", { channel: id, by: c.get("principal").name });
  return c.body(null, 204);
});

/**
 * A new signing secret for a webhook channel (given, or generated), shown this once. Until `grace_s`
 * seconds from now deliveries are signed with the new secret and the one it replaces, so receivers
 * switch at their own pace (Standard Webhooks' rotation); with 0 the old one stops at once.
 */
channels.post("/:id/rotate-secret", limitBody(), async (c) => {
  // An empty body takes the defaults: a generated secret and a day's grace.
  const raw = (await c.req.text()).trim() === "" ? {} : await readJson(c);
  const input = validate(RotateSecretInput, raw, "rotation");
  const db = c.get("config").db;
  const current = await channelOr404(db, c.req.param("id"));
  const credential = CHANNELS[current.kind].credential;
  if (credential)
    throw new ApiError(
      "conflict",
      `channel "${current.id}" is a ${current.kind} channel, which signs nothing: its secret is ${credential}, ` +
        "replaced at once by a PATCH with the new secret",
    );
  if (!CHANNELS[current.kind].signed || current.secret === null)
    throw new ApiError(
      "conflict",
      `channel "${current.id}" is a ${current.kind} channel, which signs nothing and has no secret to rotate: ` +
        "only webhook channels are signed (for the others the URL is the credential: PATCH a new url to replace it)",
    );
  if (input.secret === current.secret)
    throw new ApiError("invalid_input", "rotation is invalid: 1 problem", [
      { path: "secret", message: "is the current secret; send a new one" },
    ]);
  const now = Date.now();
  const next = { ...current, ...rotated(current.secret, input.secret ?? newWebhookSecret(), input.grace_s, now), updated_at: now };
  if (!(await rotateChannelSecret(db, current.id, current.secret, next, now)))
    throw new ApiError("conflict", `the secret of channel "${current.id}" changed while rotating it; rotate again`);
  c.get("log").info("channel secret rotated", { channel: current.id, grace_s: input.grace_s, by: c.get("principal").name });
  // The new secret leaves the Worker this once; the old one never again.
  return c.json({ ...channelView(next, now), secret: next.secret });
});

/** Sends a `test` event through the outbox, once, and answers with how the attempt went. */
channels.post("/:id/test", async (c) => {
  const config = c.get("config");
  const channel = await channelOr404(config.db, c.req.param("id"));
  const { id } = await sendTest(deliveryDeps(config.db, c.get("log")), channel);
  const [row] = await listNotifications(config.db, { id, limit: 1 });
  // A failed attempt's error quotes the receiver: that text is the receiver's, shown apart and marked untrusted.
  const view = receiverAnswersApart(notificationView(row!));
  return c.json({ delivered: view.status === "delivered", notification: view });
});
