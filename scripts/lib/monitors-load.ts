// Reads a monitors file (YAML or JSON): parses it, expands ${ENV} references, validates it with the contract's
// schema, and names every problem by file, line and path (`monitors.yaml:12:5: monitors[3].interval_s: …`).
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import { formatPath, toIssues } from "../../contract/issues.ts";
import type { MonitorsFile as File } from "../../contract/monitors-file.ts";
import { MonitorsFile } from "./monitors-worker.mjs";

export type Loaded = { ok: true; file: File } | { ok: false; problems: string[] };

/** `${NAME}`, or `$${` for a literal `${`. */
const REFERENCE = /\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)?(\})?/g;

/**
 * `value` with `${NAME}` in every string replaced by the environment variable's value, so credentials (a chat
 * webhook's URL, a webhook's secret, an Authorization header) need not be written in a file kept in git.
 */
export function expandEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
): { value: unknown; problems: Array<{ path: PropertyKey[]; message: string }> } {
  const problems: Array<{ path: PropertyKey[]; message: string }> = [];
  const walk = (v: unknown, at: PropertyKey[]): unknown => {
    if (typeof v === "string")
      return v.replace(REFERENCE, (whole, escaped: string | undefined, name: string | undefined, close: string | undefined) => {
        if (escaped) return whole.slice(1);
        if (!name || !close) {
          // biome-ignore lint/suspicious/noTemplateCurlyInString: ${NAME} is the file's syntax, quoted in the message
          problems.push({ path: at, message: 'has a "${" that is not a reference like ${NAME} (write "$${" for a literal "${")' });
          return whole;
        }
        const got = env[name];
        if (got === undefined) {
          problems.push({ path: at, message: `names the environment variable ${name}, which is not set` });
          return whole;
        }
        return got;
      });
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...at, i]));
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...at, k])]));
    return v;
  };
  return { value: walk(value, []), problems };
}

/** Where `path` is written: the key of its last segment when that is a map key, else the deepest node that exists. */
function locate(doc: Document, path: readonly PropertyKey[]): [number, number] | null {
  const start = (n: unknown): [number, number] | null => {
    const range = (n as Node | null)?.range;
    return range ? [range[0], range[1]] : null;
  };
  let node: unknown = doc.contents;
  let at = start(node);
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      at = start(pair.key) ?? at;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === "number") {
      node = node.items[seg];
      if (!node) break;
      at = start(node) ?? at;
    } else break;
  }
  return at;
}

/** Parses and validates `text`, read from `name`; `env` feeds the ${NAME} references. */
export function loadMonitorsFile(text: string, name: string, env: Readonly<Record<string, string | undefined>>): Loaded {
  const lines = new LineCounter();
  // YAML 1.2 reads JSON as well; merge keys (`<<: *defaults`) let a file share settings between monitors.
  const doc = parseDocument(text, { lineCounter: lines, merge: true, prettyErrors: false, uniqueKeys: true });
  const where = (offset: number | undefined) => {
    if (offset === undefined) return name;
    const { line, col } = lines.linePos(offset);
    return `${name}:${line}:${col}`;
  };
  if (doc.errors.length > 0) return { ok: false, problems: doc.errors.map((e) => `${where(e.pos[0])}: ${e.message}`) };
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    return { ok: false, problems: [`${name}: ${(e as Error).message}`] };
  }
  if (raw === null || raw === undefined) raw = {};
  const found: Array<{ offset: number; text: string }> = [];
  const report = (path: readonly PropertyKey[], printed: string, message: string) => {
    const offset = locate(doc, path)?.[0];
    found.push({ offset: offset ?? -1, text: `${where(offset)}: ${printed || "(the file)"}: ${message}` });
  };

  // A reference that cannot be expanded is reported with the schema's problems, so one run names them all.
  const expanded = expandEnv(raw, env);
  for (const p of expanded.problems) report(p.path, formatPath(p.path), p.message);
  const parsed = MonitorsFile.safeParse(expanded.value);
  const unexpanded = new Set(expanded.problems.map((p) => formatPath(p.path)));
  for (const i of parsed.error ? toIssues(parsed.error) : []) {
    // A value whose reference is unset fails its own check too; the reference is the news.
    if (unexpanded.has(i.path)) continue;
    // Back from the printed path to segments, to find the line; a key with a "." in it is found up to its parent.
    const segs = i.path
      .split(/\.|\[(\d+)\]/)
      .filter((s) => s !== undefined && s !== "")
      .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    report(segs, i.path, i.message);
  }
  if (!parsed.success || found.length > 0) return { ok: false, problems: found.sort((a, b) => a.offset - b.offset).map((f) => f.text) };
  return { ok: true, file: parsed.data };
}
