// Reading the agent's token from a file (AGENT_TOKEN_FILE, e.g. a mounted Kubernetes Secret): the token, or what is wrong.
import { readFileSync, statSync, type Stats } from "node:fs";
import { readFile, stat } from "node:fs/promises";

/** Far above any token: a larger file is the wrong file, and is not read whole. */
export const MAX_TOKEN_FILE_BYTES = 16 * 1024;

export type TokenRead = { ok: true; token: string } | { ok: false; problem: string };

/** A file's text as a token: surrounding whitespace (the usual trailing newline) removed; one word, not empty. */
export function parseTokenText(file: string, text: string): TokenRead {
  const token = text.trim();
  if (token === "") return { ok: false, problem: `${file} is empty` };
  if (/\s/.test(token)) return { ok: false, problem: `${file} holds more than one word; the token must not contain whitespace` };
  return { ok: true, token };
}

const WORDING: Record<string, string> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EISDIR: "it is a directory",
  ELOOP: "too many symbolic links",
  ENOTDIR: "a part of the path is not a directory",
};

/** Why `file` could not be read, in words (the error's code, when it has one, in brackets). */
export function readProblem(file: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  const why = (code && WORDING[code]) ?? (e instanceof Error ? e.message : String(e));
  return `cannot read ${file}: ${why}${code ? ` (${code})` : ""}`;
}

/** What is wrong with a file (followed through its symbolic links) as a token file, if anything. */
function shapeProblem(file: string, s: Stats): string | null {
  if (!s.isFile()) return `${file} is not a regular file`;
  if (s.size > MAX_TOKEN_FILE_BYTES) return `${file} is larger than ${MAX_TOKEN_FILE_BYTES} bytes; it cannot be a token`;
  return null;
}

/** Reads the token at startup (configuration is checked synchronously, once). */
export function readTokenFileSync(file: string): TokenRead {
  try {
    const problem = shapeProblem(file, statSync(file));
    return problem ? { ok: false, problem } : parseTokenText(file, readFileSync(file, "utf8"));
  } catch (e) {
    return { ok: false, problem: readProblem(file, e) };
  }
}

/** Reads the token while the agent runs. Never throws. */
export async function readTokenFile(file: string): Promise<TokenRead> {
  try {
    const problem = shapeProblem(file, await stat(file));
    return problem ? { ok: false, problem } : parseTokenText(file, await readFile(file, "utf8"));
  } catch (e) {
    return { ok: false, problem: readProblem(file, e) };
  }
}
