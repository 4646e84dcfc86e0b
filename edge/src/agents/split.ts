// How replicas of one location share its monitors: rendezvous (highest-random-weight) hashing.
// Pure. Each monitor goes to exactly one live replica; when a replica leaves, only its monitors move.

/** 32-bit FNV-1a, then a final avalanche (murmur3 fmix32), so close strings score far apart. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The replica (of `agents`) that runs `monitor`: the one with the highest score; ties by id. */
export function ownerOf(monitor: string, agents: readonly string[]): string | null {
  let best: string | null = null;
  let bestScore = -1;
  for (const agent of agents) {
    const score = hash32(`${monitor}\u0000${agent}`);
    if (score > bestScore || (score === bestScore && best !== null && agent < best)) {
      best = agent;
      bestScore = score;
    }
  }
  return best;
}

/** Splits monitors among live replicas: agent id → the monitor ids it runs. */
export function split(monitors: readonly string[], agents: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>(agents.map((a) => [a, []]));
  for (const m of monitors) {
    const owner = ownerOf(m, agents);
    if (owner) out.get(owner)!.push(m);
  }
  return out;
}
