// compileLinear: editors' patterns matched in linear time, the same as a RegExp on ordinary patterns.
import { describe, expect, it } from "vitest";
import { compileLinear, type LinearRegex, MATCH_BUDGET, MAX_PATTERN_CHARS, MAX_PROGRAM_SIZE } from "./regex.ts";

function compiled(pattern: string): LinearRegex {
  const c = compileLinear(pattern);
  if (!c.ok) throw new Error(`${pattern}: ${c.error}`);
  return c;
}

function refusal(pattern: string): string {
  const c = compileLinear(pattern);
  if (c.ok) throw new Error(`${pattern} compiled`);
  return c.error;
}

const SAMPLES = [
  "",
  "a",
  "abc",
  "ABC",
  "aaa!",
  "Hello, World",
  "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",
  "220 smtp.example.com ESMTP Postfix\r\n",
  "+PONG\r\n",
  "-ERR unknown command\r\n",
  "* OK [CAPABILITY IMAP4rev1] ready\r\n",
  "HTTP/1.1 200 OK\r\nServer: x\r\n\r\n",
  "line1\nline2\n",
  "a\nb",
  "tab\there",
  "a b",
  "x-y_z",
  "192.168.1.254",
  "version=1.22.3",
  "a/b",
  "[]",
  "\u0000nul",
  "héllo wörld",
  "Ünïcödé ÅÉÎ",
  "日本語テキスト",
  "Ελληνικά",
];

const PATTERNS = [
  // anchors
  "^a",
  "c$",
  "^abc$",
  "^$",
  "\\r\\n$",
  "^\\+PONG",
  "^-ERR",
  // classes
  "[a-c]+",
  "[^a-z]",
  "[A-Z]",
  "[\\w-]+",
  "[\\d.]+",
  "[.]",
  "[a-]",
  "[\\]]",
  "\\d+\\.\\d+",
  "\\w+",
  "\\W",
  "\\D",
  "\\S+",
  "\\t",
  "\\n",
  // word boundaries
  "\\bb",
  "\\Bb",
  "o\\b",
  "\\bversion[=:]\\d",
  // alternation and groups
  "a|b|c",
  "(?:ab|cd)+",
  "^(?:GET|POST|HTTP)",
  "(\\w+), (\\w+)",
  "(a)(b)?",
  "(?<word>o)r",
  // quantifiers, greedy and lazy
  "a{2,}",
  "a{1,2}b?",
  "a*?c",
  "l+",
  "^(?:aaa|aa)!$",
  "\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}",
  "^SSH-2\\.0-OpenSSH_\\d+\\.\\d+",
  "^220 [\\w.-]+ ESMTP",
  "^\\* OK .*IMAP4rev1",
  "^HTTP/1\\.[01] [23]\\d\\d",
  // escapes RE2 spells differently, translated
  "\\x41",
  "\\u00e9",
  "\\cJ",
  "\\0",
  "a\\/b",
  "\\-",
  "[]",
  "[^]",
  // unicode (all within the BMP, where UTF-16 units and code points agree)
  "é",
  "[éö]",
  "日本",
  "[\\u3040-\\u30ff]+",
  "[Α-Ωα-ω]+",
  "ö.l",
  "",
];

describe("compileLinear matches like a RegExp", () => {
  it("on ordinary patterns: anchors, classes, alternation, quantifiers, unicode", () => {
    const differ: string[] = [];
    for (const p of PATTERNS) {
      const linear = compiled(p);
      const js = new RegExp(p);
      for (const s of SAMPLES)
        if (linear.test(s) !== js.test(s)) differ.push(`${JSON.stringify(p)} on ${JSON.stringify(s)}: RegExp ${js.test(s)}`);
    }
    expect(differ).toEqual([]);
  });

  it("differs where RE2 does, as documented", () => {
    // `.` skips only \n; a RegExp's also skips \r (and \u2028, \u2029).
    expect(compiled("a.b").test("a\rb")).toBe(true);
    expect(/a.b/.test("a\rb")).toBe(false);
    // \s is ASCII whitespace; a RegExp's includes no-break space and other Unicode spaces.
    expect(compiled("a\\sb").test("a\u00a0b")).toBe(false);
    expect(/a\sb/.test("a\u00a0b")).toBe(true);
    // Characters are code points: `.` is one whole emoji (a RegExp without the u flag sees two halves).
    expect(compiled("^.$").test("😀")).toBe(true);
    expect(/^.$/.test("😀")).toBe(false);
    expect(compiled("\\u{1F600}").test("grin 😀")).toBe(true);
    // RE2's own syntax, which a RegExp rejects.
    expect(compiled("(?i)^ssh-").test("SSH-2.0")).toBe(true);
    expect(compiled("\\pL+\\d").test("abc1")).toBe(true);
    expect(compiled("[[:digit:]]").test("x1")).toBe(true);
    expect(compiled("\\Q1+1\\E").test("1+1=2")).toBe(true);
  });

  it("is stateless: a pattern tests many texts, like a RegExp without g", () => {
    const re = compiled("o");
    expect([re.test("foo"), re.test("foo"), re.test("bar"), re.test("o")]).toEqual([true, true, false, true]);
  });

  it("compiles a pattern once and returns the same matcher after", () => {
    expect(compileLinear("^cached$")).toBe(compileLinear("^cached$"));
    expect(compileLinear("(a")).toBe(compileLinear("(a"));
  });
});

describe("compileLinear refuses", () => {
  it("invalid patterns, saying why", () => {
    expect(refusal("([a-z")).toBe("missing closing ]: `[a-z`");
    expect(refusal("(abc")).toBe("missing closing ): `(abc`");
    expect(refusal("abc)")).toBe("unexpected ): `abc)`");
    expect(refusal("*")).toBe("missing argument to repetition operator: `*`");
    expect(refusal("a**")).toBe("invalid nested repetition operator: `**`");
    expect(refusal("a{1001}")).toBe("invalid repeat count: `{1001}`");
    expect(refusal("\\")).toContain("trailing backslash");
    expect(refusal("[z-a]")).toContain("invalid character class range");
  });

  it("backreferences, which only a backtracking engine matches", () => {
    expect(refusal("(a)\\1")).toBe(
      "backreferences are not supported: the agent matches with a linear-time engine (found `\\1` at character 4)",
    );
    expect(refusal("^(\\w+) \\2")).toMatch(/^backreferences are not supported: the agent matches with a linear-time engine/);
    expect(refusal("(?P<q>x)(?P=q)")).toMatch(/^backreferences are not supported: .*`\(\?P=` at character 9/);
    expect(refusal("(?<q>['\"]).*\\k<q>")).toBe(
      "backreferences are not supported: the agent matches with a linear-time engine (found `\\k<` at character 13)",
    );
  });

  it("lookahead and lookbehind", () => {
    expect(refusal("^(?=.*OK)")).toBe(
      "lookahead assertions are not supported: the agent matches with a linear-time engine (found `(?=` at character 2)",
    );
    expect(refusal("OK(?!-)")).toMatch(/^lookahead assertions are not supported: .*`\(\?!`/);
    expect(refusal("(?<=v)\\d")).toMatch(/^lookbehind assertions are not supported: .*`\(\?<=` at character 1/);
    expect(refusal("(?<!v)\\d")).toMatch(/^lookbehind assertions are not supported: .*`\(\?<!`/);
  });

  it("but not their look-alikes: escaped, in a class, quoted, or a named group", () => {
    expect(compiled("\\(?=").test("(=")).toBe(true);
    expect(compiled("[(?=]").test("=")).toBe(true);
    expect(compiled("\\Q(?=\\E").test("(?=")).toBe(true);
    expect(compiled("\\\\1").test("\\1")).toBe(true);
    expect(compiled("(?<name>x)").test("x")).toBe(true);
  });

  it("patterns longer than the schema's limit", () => {
    // One character class, so a small program: only the length counts here.
    expect(compiled(`[${"x".repeat(MAX_PATTERN_CHARS - 2)}]`).test("x")).toBe(true);
    expect(refusal(`[${"x".repeat(MAX_PATTERN_CHARS - 1)}]`)).toBe(`is 4097 characters long, at most ${MAX_PATTERN_CHARS}`);
  });

  it("patterns whose program is too large, and bounds the text of the rest", () => {
    expect(refusal(".{0,1000}.{0,1000}")).toMatch(/^is too large: it compiles to \d+ instructions, at most 2048 /);
    const big = compiled(".{0,1000}");
    expect(big.size).toBeLessThanOrEqual(MAX_PROGRAM_SIZE);
    expect(big.maxText).toBe(Math.floor(MATCH_BUDGET / big.size));
    expect(big.maxText).toBeGreaterThanOrEqual(1024); // MATCH_BUDGET / MAX_PROGRAM_SIZE: even the largest sees 1 KiB
    expect(compiled("^SSH-2\\.0-").maxText).toBeGreaterThan(64 * 1024); // an ordinary pattern sees all the agent reads
  });
});

describe("compileLinear runs catastrophic patterns in linear time", () => {
  // A backtracking RegExp tries, before failing at "!", every way to split the run of n a's among the
  // iterations of (a+)+: 2^(n-1) ways. At n = 30 that is already 5×10^8 attempts (seconds); at 50,000,
  // 2^49999 — it would never return, and the process would hang. So new RegExp is not run on it here.
  // RE2 keeps the set of program states alive at each character instead: at most a few per character.
  const evil = `${"a".repeat(50_000)}!`;

  it("^(a+)+$ on 50,000 a's and a '!' is a mismatch, not a hang", () => {
    expect(compiled("^(a+)+$").test(evil)).toBe(false);
    expect(compiled("^(a+)+$").test("a".repeat(50_000))).toBe(true);
  });

  it("the other classic forms too", () => {
    for (const p of ["(a|aa)+$", "^(a|a)*$", "(a*)*b", "^(\\w+\\s?)*$", "(x+x+)+y"]) expect(compiled(p).test(evil), p).toBe(false);
  });
});
