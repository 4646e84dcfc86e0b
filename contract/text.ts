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

// Characters no name, group, tag or message may hold: C0 and C1 controls (and DEL), the bidirectional
// embeddings, overrides and isolates that make text read differently from what it is, and halves of a
// surrogate pair (invalid Unicode: UTF-8 cannot encode them, so /metrics and strict receivers break).
const CONTROL = /\p{Cc}/u;
const BIDI = /[\u202A-\u202E\u2066-\u2069]/u;
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

const codePoint = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;

/** Why `s` is not plain text (naming the first bad character and where), or null when it is. */
export function textProblem(s: string): string | null {
  for (const [re, what] of [
    [CONTROL, "a control character"],
    [BIDI, "a bidirectional control character"],
    [LONE_SURROGATE, "half of a surrogate pair (invalid Unicode)"],
  ] as const) {
    const m = re.exec(s);
    if (m) return `must not contain ${what}: ${codePoint(m[0])} at position ${m.index}`;
  }
  return null;
}

/**
 * Why `s` cannot be sent as an HTTP header value, or null. Visible ASCII, spaces and tabs only: what
 * every runtime's Headers accepts, so a stored value can never fail at every check instead of at create.
 */
export function headerValueProblem(s: string): string | null {
  const m = /[^\t\x20-\x7E]/.exec(s);
  return m ? `may hold only visible ASCII characters, spaces and tabs: ${codePoint(m[0])} at position ${m.index}` : null;
}

/** Why `s` cannot be encoded at all (half of a surrogate pair), or null: for text sent as bytes, where controls are fine. */
export function encodingProblem(s: string): string | null {
  const m = LONE_SURROGATE.exec(s);
  return m ? `must not contain half of a surrogate pair (invalid Unicode): ${codePoint(m[0])} at position ${m.index}` : null;
}
