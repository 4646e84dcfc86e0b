// Secrets: random tokens, their SHA-256 hashes, and constant-time comparison.

const encoder = new TextEncoder();

/** Bytes as base64url without padding (tokens, ids, the status list's cursors). */
export function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function randomId(prefix: string, bytes = 9): string {
  return `${prefix}_${base64url(crypto.getRandomValues(new Uint8Array(bytes)))}`;
}

/** A new API token: 256 random bits, prefixed so leaked tokens are recognisable by scanners. */
export function newToken(): string {
  return `ium_${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/** A heartbeat's ping key: 192 random bits, base64url (32 characters), the whole secret of its ping URL. */
export function newPingKey(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(24)));
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Compares two secrets in time independent of their contents (both are hashed to equal length first). */
export async function secretsEqual(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(da, db);
}
