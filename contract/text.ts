// Text limits shared by the edge and the agent: the longest error message a result carries, and the one way to cut text to a limit.
// Plain TypeScript on plain values: no node: imports (workerd), nothing Node's type stripping rejects (the agent).

/** The longest error message a result carries (CheckError's own limit, in UTF-16 code units as `string.length` counts). */
export const MAX_MESSAGE = 2000;

/**
 * `s` cut to at most `max` UTF-16 code units (what `string.length`, zod and the chat services' limits
 * count), ending in "…" when cut. The cut falls between code points: an emoji or other character
 * outside the BMP is kept whole or dropped whole, never split into a lone surrogate.
 */
export function clip(s: string, max = MAX_MESSAGE): string {
  if (s.length <= max) return s;
  let end = max - 1;
  // A high surrogate just before the cut would lose its low half: leave the whole pair out.
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${s.slice(0, end)}…`;
}
