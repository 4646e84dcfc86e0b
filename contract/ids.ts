// Result ids: ULIDs (48-bit ms time + 80 random bits, Crockford base32), so they are unique and sort by time.
// One maker for the edge (workerd) and the agent (Node): both have globalThis.crypto.getRandomValues.

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** Random bytes drawn at once (see draw below). */
const POOL_BYTES = 4096;

/** `n` random bytes from the Web Crypto API: globalThis.crypto in workerd and in Node (getRandomValues takes at most 65,536 bytes a call). */
const webRandom = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));

/**
 * Returns a function making ULIDs. Within one millisecond the random part is incremented rather
 * than redrawn, and a time earlier than the last id's keeps the last id's time, so the ids of one
 * maker sort in the order they were made. Nothing is drawn until the first id (workerd refuses
 * random values at a module's top level).
 */
export function ulidFactory(random: (n: number) => Uint8Array = webRandom): (ms: number) => string {
  let lastMs = -1;
  let last: Uint8Array = new Uint8Array(10);
  // Random bytes are drawn 4 KiB at a time: one draw per id cost a crypto job per check.
  let pool: Uint8Array = new Uint8Array(0);
  let used = 0;
  const draw = (): Uint8Array => {
    if (used + 10 > pool.length) {
      pool = Uint8Array.from(random(POOL_BYTES));
      used = 0;
    }
    used += 10;
    return pool.slice(used - 10, used);
  };
  return (ms: number) => {
    if (ms <= lastMs) {
      for (let i = 9; i >= 0; i--) {
        last[i] = (last[i]! + 1) & 0xff;
        if (last[i] !== 0) break;
      }
      ms = lastMs;
    } else {
      last = draw();
      lastMs = ms;
    }
    let time = "";
    let t = ms;
    for (let i = 0; i < 10; i++) {
      time = ALPHABET[t % 32]! + time;
      t = Math.floor(t / 32);
    }
    // 80 bits = 16 base32 digits, taken 5 bits at a time from the big-endian bytes.
    let rand = "";
    let acc = 0;
    let bits = 0;
    for (const byte of last) {
      acc = (acc << 8) | byte;
      bits += 8;
      while (bits >= 5) {
        bits -= 5;
        rand += ALPHABET[(acc >> bits) & 31];
      }
      acc &= (1 << bits) - 1;
    }
    return time + rand;
  };
}

/** The result id for a check at `ts` (epoch ms): one maker per process or isolate, so its ids sort as made. */
export const newResultId: (ts: number) => string = ulidFactory();
