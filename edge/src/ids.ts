// Result ids: time-ordered and unique (ULID layout: 48-bit ms time + 80 random bits, Crockford base32).
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

export function newResultId(ts: number): string {
  let time = "";
  let t = ts;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const rand = crypto.getRandomValues(new Uint8Array(16));
  let tail = "";
  for (const b of rand) tail += ALPHABET[b % 32];
  return time + tail;
}
