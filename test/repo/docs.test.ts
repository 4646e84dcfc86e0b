// Every link in the docs works: in each Markdown file git knows (tracked, or new and not ignored), every relative link and
// image points at a file or folder that exists and is not git-ignored, every `#anchor` names a heading of its target
// (GitHub's slugs), every `npm run NAME` names a script of package.json, and every repo-relative script path written in
// code (`node scripts/….mjs`, `bash ….sh`) exists.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");

const git = (...args: string[]) => execFileSync("git", args, { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });

const markdownFiles = git("ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", "*.md")
  .split("\0")
  .filter((f) => f && !f.split("/").includes("node_modules") && existsSync(path.join(ROOT, f)))
  .filter((f, i, all) => all.indexOf(f) === i)
  .sort();

/** Repo-relative paths among `paths` that git ignores (build outputs such as ui/dist): a link to one breaks in a fresh clone. */
function ignored(paths: string[]): Set<string> {
  if (paths.length === 0) return new Set();
  try {
    return new Set(execFileSync("git", ["check-ignore", "--stdin"], { cwd: ROOT, input: paths.join("\n"), encoding: "utf8" }).split("\n"));
  } catch (e) {
    // Exit 1: none of them is ignored.
    if ((e as { status?: number }).status === 1) return new Set();
    throw e;
  }
}

type Line = { n: number; text: string; code: boolean };

/** The file's lines, each marked whether it is inside a fenced code block (the fence lines count as code). */
function lines(text: string): Line[] {
  let fence: string | null = null;
  return text.split("\n").map((t, i) => {
    const m = /^ {0,3}(`{3,}|~{3,})/.exec(t);
    if (fence === null && m) {
      fence = m[1]!;
      return { n: i + 1, text: t, code: true };
    }
    if (fence !== null) {
      if (m && m[1]![0] === fence[0] && m[1]!.length >= fence.length && t.trim() === m[1]) fence = null;
      return { n: i + 1, text: t, code: true };
    }
    return { n: i + 1, text: t, code: false };
  });
}

const INLINE_CODE = /(`+)(?!`)([\s\S]*?[^`])\1(?!`)/g;

/** GitHub's heading ids: lower case, punctuation other than `-` and `_` dropped, each space a `-`; repeats get -1, -2, …. */
function headingIds(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const ids = new Set<string>();
  const all = lines(markdown);
  all.forEach((l, i) => {
    if (l.code) return;
    let heading: string | undefined = /^ {0,3}#{1,6}(?:\s+(.*?))?(?:\s+#+)?\s*$/.exec(l.text)?.[1];
    const next = all[i + 1];
    if (
      heading === undefined &&
      l.text.trim() &&
      next &&
      !next.code &&
      /^ {0,3}(=+|-+)\s*$/.test(next.text) &&
      !/^\s*([-*+]|\d+[.)])\s/.test(l.text)
    )
      heading = l.text.trim();
    if (heading === undefined) return;
    const plain = heading
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
      .replace(/<[^>]+>/g, "")
      .replace(INLINE_CODE, "$2")
      .replace(/[*~]/g, "")
      .trim();
    const slug = plain
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
      .replace(/ /g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    ids.add(count === 0 ? slug : `${slug}-${count}`);
  });
  return ids;
}

type Finding = { where: string; problem: string };

/** Link destinations on one line of prose: inline links and images, reference definitions, HTML href/src. */
function destinations(text: string): string[] {
  const prose = text.replace(INLINE_CODE, (m) => " ".repeat(m.length));
  const found: string[] = [];
  for (const m of prose.matchAll(/\]\(\s*(<[^>]*>|(?:[^()\s]|\([^()\s]*\))*)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g))
    found.push(m[1]!.replace(/^<|>$/g, ""));
  const def = /^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/.exec(prose);
  if (def) found.push(def[1]!.replace(/^<|>$/g, ""));
  for (const m of prose.matchAll(/<(?:a|img|source)\b[^>]*?\s(?:href|src)\s*=\s*["']([^"']*)["']/gi)) found.push(m[1]!);
  return found;
}

function checkLinks(file: string): Finding[] {
  const findings: Finding[] = [];
  const abs = path.join(ROOT, file);
  const wanted: Array<{ where: string; target: string; rel: string; anchor: string | null; link: string }> = [];
  for (const l of lines(readFileSync(abs, "utf8"))) {
    if (l.code) continue;
    for (const link of destinations(l.text)) {
      const where = `${file}:${l.n}`;
      if (!link) {
        findings.push({ where, problem: "empty link" });
        continue;
      }
      if (/^[a-z][a-z0-9+.-]*:/i.test(link) || link.startsWith("//")) continue; // http(s), mailto and other schemes
      const hash = link.indexOf("#");
      const pathPart = decodeURIComponent((hash < 0 ? link : link.slice(0, hash)).replace(/\?.*$/, ""));
      const anchor = hash < 0 ? null : decodeURIComponent(link.slice(hash + 1));
      const target =
        pathPart === "" ? abs : pathPart.startsWith("/") ? path.join(ROOT, pathPart) : path.resolve(path.dirname(abs), pathPart);
      const rel = path.relative(ROOT, target);
      if (rel.startsWith("..") || path.isAbsolute(rel)) {
        findings.push({ where, problem: `${link}: points outside the repository` });
        continue;
      }
      wanted.push({ where, target, rel, anchor, link });
    }
  }
  const ignoredPaths = ignored(wanted.filter((w) => w.rel !== "").map((w) => w.rel));
  for (const { where, target, rel, anchor, link } of wanted) {
    if (!existsSync(target)) {
      findings.push({ where, problem: `${link}: ${rel} does not exist` });
      continue;
    }
    if (ignoredPaths.has(rel)) {
      findings.push({ where, problem: `${link}: ${rel} is git-ignored (a build output), so it is missing from a fresh clone` });
      continue;
    }
    if (anchor === null || anchor === "") continue;
    const doc = statSync(target).isDirectory() ? path.join(target, "README.md") : target;
    if (!doc.endsWith(".md") || !existsSync(doc)) continue;
    if (!headingIds(readFileSync(doc, "utf8")).has(anchor))
      findings.push({ where, problem: `${link}: ${path.relative(ROOT, doc)} has no heading with the id "${anchor}"` });
  }
  return findings;
}

const SCRIPTS = Object.keys(
  (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts,
);

function checkNpmScripts(file: string): Finding[] {
  const findings: Finding[] = [];
  for (const l of lines(readFileSync(path.join(ROOT, file), "utf8"))) {
    for (const m of l.text.matchAll(/\bnpm\s+(?:run(?:-script)?\s+([\w:@./-]+)|(start|test|t)\b)/g)) {
      const name = m[1]?.replace(/[.:]+$/, "") ?? (m[2] === "t" ? "test" : m[2]!);
      if (!SCRIPTS.includes(name))
        findings.push({ where: `${file}:${l.n}`, problem: `npm ${m[1] ? "run " : ""}${name}: package.json has no script "${name}"` });
    }
  }
  return findings;
}

/** Code (fenced blocks and `inline code`) on a line: the whole line in a fence, else the inline spans. */
function code(l: Line): string[] {
  if (l.code) return [l.text];
  return [...l.text.matchAll(INLINE_CODE)].map((m) => m[2]!);
}

function checkScriptPaths(file: string): Finding[] {
  const findings: Finding[] = [];
  const dir = path.dirname(path.join(ROOT, file));
  const wanted: Array<{ where: string; p: string }> = [];
  for (const l of lines(readFileSync(path.join(ROOT, file), "utf8")))
    for (const c of code(l))
      for (const m of c.matchAll(/(?<![\w@:/.~$*…-])((?:\.\.?\/)?[\w@.-]+(?:\/[\w@.-]+)+\.(?:mjs|cjs|js|ts|sh))(?![\w/*…-])/g)) {
        if (m[1]!.includes("://")) continue;
        wanted.push({ where: `${file}:${l.n}`, p: m[1]! });
      }
  const candidates = (p: string) => [path.resolve(ROOT, p), path.resolve(dir, p)];
  for (const { where, p } of wanted) {
    if (candidates(p).some((c) => existsSync(c))) continue;
    // A build output (probe-agent/dist/agent.mjs) is named in the docs but made by a script, not committed.
    const rels = candidates(p).map((c) => path.relative(ROOT, c));
    const ignoredRels = ignored(rels);
    if (rels.some((r) => ignoredRels.has(r))) continue;
    findings.push({ where, problem: `${p}: no such file (from the repository root${dir === ROOT ? "" : " or the file's folder"})` });
  }
  return findings;
}

/** Fails with one line per finding, `file:line: problem`. */
function expectNone(findings: Finding[], what: string) {
  const list = findings.map((f) => `${f.where}: ${f.problem}`);
  expect(list, `${list.length} ${what}:\n${list.map((l) => `  ${l}`).join("\n")}\n`).toEqual([]);
}

describe("docs", () => {
  it("finds the Markdown files", () => {
    expect(markdownFiles).toContain("README.md");
  });

  it("every relative link and image points at an existing file or folder, every #anchor at a heading", () => {
    const findings = markdownFiles.flatMap(checkLinks);
    expectNone(findings, "broken link(s)");
  });

  it("every `npm run NAME` names a script of package.json", () => {
    const findings = markdownFiles.flatMap(checkNpmScripts);
    expectNone(findings, "unknown npm script(s)");
  });

  it("every repo-relative script path written in code exists", () => {
    const findings = markdownFiles.flatMap(checkScriptPaths);
    expectNone(findings, "missing file(s)");
  });

  describe("the checks themselves", () => {
    it("slug headings as GitHub does", () => {
      const markdown = [
        "# Uptime monitor",
        "## Hello, World!",
        "## `npm run bench` — options",
        "### RETENTION_POINTS_DAYS (var)",
        "## [Linked](https://example.invalid) **bold** heading ##",
        "## Hello, World!",
        "```sh",
        "# not a heading",
        "```",
        "Setext heading",
        "---",
      ].join("\n");
      expect([...headingIds(markdown)]).toEqual([
        "uptime-monitor",
        "hello-world",
        "npm-run-bench--options",
        "retention_points_days-var",
        "linked-bold-heading",
        "hello-world-1",
        "setext-heading",
      ]);
    });

    it("find links, images, reference definitions and HTML links on a line, not inside inline code", () => {
      expect(destinations('![alt](docs/a.png "title") and [x](b.md#c) [[y]](<d e.md>) `[no](no.md)` <a href="f.md">f</a>')).toEqual([
        "docs/a.png",
        "b.md#c",
        "d e.md",
        "f.md",
      ]);
      expect(destinations("[ref]: ./g.md#h")).toEqual(["./g.md#h"]);
    });
  });
});
