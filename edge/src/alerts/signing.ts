// Standard Webhooks signing: whsec_ secrets and the webhook-id/-timestamp/-signature headers.
import { z } from "zod";

export const SECRET_PREFIX = "whsec_";
const encoder = new TextEncoder();

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/** A new secret: 32 random bytes, as the spec recommends (24 to 64 are allowed). */
export function newWebhookSecret(): string {
  return SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(32)));
}

/** The HMAC key a secret stands for: the base64-decoded part after `whsec_`; null if malformed. */
export function secretKey(secret: string): Uint8Array<ArrayBuffer> | null {
  if (!secret.startsWith(SECRET_PREFIX)) return null;
  const key = fromBase64(secret.slice(SECRET_PREFIX.length));
  return key && key.length >= 24 && key.length <= 64 ? key : null;
}

export const WebhookSecret = z
  .string()
  .refine((s) => secretKey(s) !== null, 'must be "whsec_" followed by 24 to 64 bytes in base64 (leave it out to have one generated)');

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed with the secret's bytes. */
export async function sign(secret: string, id: string, timestampS: number, body: string): Promise<string> {
  const key = secretKey(secret);
  if (!key) throw new Error("the webhook secret is malformed");
  const hmac = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", hmac, encoder.encode(`${id}.${timestampS}.${body}`));
  return `v1,${toBase64(new Uint8Array(mac))}`;
}

/**
 * The three Standard Webhooks headers for one attempt at `now` (epoch ms; the header is in seconds).
 * `webhook-signature` holds one signature per secret, space-separated in the order given: the spec's
 * way to rotate a secret, where a receiver accepts the request when any one of them verifies.
 */
export async function signatureHeaders(
  secrets: readonly [string, ...string[]],
  id: string,
  now: number,
  body: string,
): Promise<Record<string, string>> {
  const timestamp = Math.floor(now / 1000);
  const signatures = await Promise.all(secrets.map((s) => sign(s, id, timestamp, body)));
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signatures.join(" "),
  };
}
