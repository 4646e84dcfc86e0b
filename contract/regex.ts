// Regular expressions written by editors (tcp.expect with expect_regex), matched in time linear in the text.
// JavaScript's RegExp backtracks: a pattern like ^(a+)+$ takes time exponential in the text, and one
// such match froze a probe agent's event loop. re2js is a pure-JavaScript port of RE2 (Node and workerd
// alike): it never backtracks, so a match costs at most (program size × text length) steps. What RE2
// cannot express in that time, backreferences and lookaround, is refused with a message that says so.
// Plain TypeScript on plain values: no node: imports (workerd), nothing Node's type stripping rejects (the agent).
import { RE2JS } from "re2js";

/** The longest pattern accepted (the monitor schema's own limit on tcp.expect). */
export const MAX_PATTERN_CHARS = 4096;
/**
 * The most instructions a pattern may compile to. Counted repetitions multiply: `.{0,200}` alone is
 * about 400. Bounds the work per character of text, and so (with MATCH_BUDGET) the text one match may see.
 */
export const MAX_PROGRAM_SIZE = 2048;
/**
 * Instructions × characters one test() may cost: on the agent's machine the worst patterns measured
 * (counted repetitions that defeat the DFA cache) take about 0.5 s for this much. `maxText` follows from it.
 */
export const MATCH_BUDGET = 2 * 1024 * 1024;

const LINEAR = "the agent matches with a linear-time engine";

/** A compiled pattern: `test` says whether it matches anywhere in `text`, like RegExp.prototype.test. */
export type LinearRegex = {
  ok: true;
  test(text: string): boolean;
  /** The compiled program's size in instructions (at most MAX_PROGRAM_SIZE): the cost of a match per character. */
  size: number;
  /** The longest text (in UTF-16 code units) to give test() so that one match stays within MATCH_BUDGET. */
  maxText: number;
};
export type LinearCompile = LinearRegex | { ok: false; error: string };

/**
 * Where `pattern` asks for something only a backtracking engine does (a backreference or a lookaround),
 * as a message for the editor; null when it does not. Escapes and character classes are skipped, so
 * `\(?=` and `[(?=]` are literal text, as in a RegExp.
 */
function nonLinear(pattern: string): string | null {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      const next = pattern[i + 1] ?? "";
      if (!inClass && next >= "1" && next <= "9")
        return `backreferences are not supported: ${LINEAR} (found \`\\${next}\` at character ${i + 1})`;
      if (!inClass && next === "k" && pattern[i + 2] === "<")
        return `backreferences are not supported: ${LINEAR} (found \`\\k<\` at character ${i + 1})`;
      if (!inClass && next === "Q") {
        // RE2's \Q…\E quotes literal text up to \E (or the end).
        const end = pattern.indexOf("\\E", i + 2);
        if (end < 0) return null;
        i = end + 1;
        continue;
      }
      i++; // the escaped character is never syntax
    } else if (inClass) {
      if (c === "]") inClass = false;
    } else if (c === "[") {
      inClass = true;
      // As in a RegExp (without the u flag), `]` right after `[` or `[^` closes the class: [] and [^] are classes.
    } else if (c === "(" && pattern[i + 1] === "?") {
      if (pattern.startsWith("P=", i + 2)) return `backreferences are not supported: ${LINEAR} (found \`(?P=\` at character ${i + 1})`;
      const kind = pattern[i + 2] === "<" ? pattern[i + 3] : pattern[i + 2];
      if (kind === "=" || kind === "!") {
        const what = pattern[i + 2] === "<" ? "lookbehind" : "lookahead";
        return `${what} assertions are not supported: ${LINEAR} (found \`${pattern.slice(i, i + (pattern[i + 2] === "<" ? 4 : 3))}\` at character ${i + 1})`;
      }
    }
  }
  return null;
}

function compile(pattern: string): LinearCompile {
  if (pattern.length > MAX_PATTERN_CHARS) return { ok: false, error: `is ${pattern.length} characters long, at most ${MAX_PATTERN_CHARS}` };
  const refused = nonLinear(pattern);
  if (refused) return { ok: false, error: refused };
  let re: RE2JS;
  try {
    // JavaScript spellings RE2 lacks become RE2's: \uXXXX and \u{…} as \x{…}, \cX, (?<name>…) as (?P<name>…), [] and [^].
    re = RE2JS.compile(RE2JS.translateRegExp(pattern));
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { ok: false, error: message.replace(/^error parsing regexp: /, "") };
  }
  const size = re.programSize();
  if (size > MAX_PROGRAM_SIZE)
    return {
      ok: false,
      error: `is too large: it compiles to ${size} instructions, at most ${MAX_PROGRAM_SIZE} (${LINEAR}, whose work grows with the pattern; use smaller counted repetitions such as {n,m})`,
    };
  return { ok: true, test: (text) => re.test(text), size, maxText: Math.floor(MATCH_BUDGET / size) };
}

/** Compiled patterns and refusals by pattern, so a pattern compiles once, not at every check. */
const cache = new Map<string, LinearCompile>();

/**
 * `pattern` compiled for linear-time matching, or why it cannot be (an invalid pattern, a backreference
 * or lookaround, a pattern too long or too large). The syntax is RE2's, which reads ordinary JavaScript
 * patterns the same way, except: `.` matches any character but \n (a RegExp's also skips \r, \u2028
 * and \u2029); `\s` is ASCII whitespace [\t\n\f\r ] only; characters are code points, as with the u
 * flag, so `.` matches a whole emoji and \u{1F600} is that emoji; counts in {n,m} go up to 1000; `[\b]`
 * is an error (write \x08). RE2 also accepts what a RegExp does not: (?i) and other inline flags, \pL,
 * [[:alpha:]], \A, \z, \Q…\E. Results are cached (bounded).
 */
export function compileLinear(pattern: string): LinearCompile {
  let r = cache.get(pattern);
  if (r !== undefined) return r;
  r = compile(pattern);
  if (cache.size >= 1000) cache.clear(); // monitors come and go; a bounded cache is enough
  cache.set(pattern, r);
  return r;
}
