// The API fuzz test's harness: sends a request through the Worker's real fetch handler (with its own
// ExecutionContext, so background work such as token touches and alert delivery has finished before the
// database is compared), captures what the Worker logged, snapshots every D1 table, and checks error shapes.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/index.ts";
import { ApiError, type ErrorCode } from "../../src/api/errors.ts";

export type Sent = {
  status: number;
  headers: Headers;
  text: string;
  /** Lines the Worker logged at warn or error while handling the request (its background work included). */
  logs: string[];
  ms: number;
};

/** PUBLIC_STATUS=true is a per-request switch here: the configuration is read from env on every request. */
const publicEnv = { ...env, PUBLIC_STATUS: "true" };

/**
 * What the Worker logs at warn and error goes to the requests in flight (their Sent.logs) instead of the
 * console; with none in flight it is printed as usual.
 */
const listening = new Set<string[]>();
const consoleOriginal = { error: console.error.bind(console), warn: console.warn.bind(console) };
for (const level of ["error", "warn"] as const)
  console[level] = (...a: unknown[]) => {
    if (!listening.size) return consoleOriginal[level](...a);
    for (const logs of listening) logs.push(a.map(String).join(" "));
  };

/** Sends one request to the Worker's fetch handler and waits for its waitUntil work. */
export async function send(
  method: string,
  url: string,
  init: { headers?: Record<string, string>; body?: string; publicStatus?: boolean } = {},
): Promise<Sent> {
  const logs: string[] = [];
  listening.add(logs);
  const started = Date.now();
  try {
    const req = new Request(`http://worker.test${url}`, { method, headers: init.headers, body: init.body });
    const ctx = createExecutionContext();
    const res = await worker.fetch(req as any, (init.publicStatus ? publicEnv : env) as any, ctx);
    const text = await res.text();
    await waitOnExecutionContext(ctx);
    return { status: res.status, headers: res.headers, text, logs, ms: Date.now() - started };
  } finally {
    listening.delete(logs);
  }
}

/** Calls the API with the bootstrap admin token and JSON in and out (fixtures and read checks). */
export async function admin(
  method: string,
  url: string,
  body?: unknown,
  opts: { token?: string | null; publicStatus?: boolean } = {},
): Promise<{ status: number; body: any; sent: Sent }> {
  const token = opts.token === undefined ? env.ADMIN_TOKEN : opts.token;
  const headers: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const sent = await send(method, url, {
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    publicStatus: opts.publicStatus,
  });
  let parsed: unknown = sent.text;
  try {
    parsed = sent.text ? JSON.parse(sent.text) : null;
  } catch {
    /* keep the text */
  }
  return { status: sent.status, body: parsed, sent };
}

/** What the Worker logged as "unhandled error": the exception behind a 500, as "Name: message @ first frame". */
export function unhandledErrors(logs: string[]): string[] {
  const out: string[] = [];
  for (const line of logs) {
    try {
      const rec = JSON.parse(line);
      if (rec.level !== "error") continue;
      const e = rec.error;
      const frame =
        typeof e?.stack === "string"
          ? (e.stack.split("\n").find((l: string) => l.includes("/src/") || l.includes("/contract/")) ?? "").trim()
          : "";
      out.push(e && typeof e === "object" ? `${e.name}: ${e.message}${frame ? ` ${frame}` : ""}` : `${rec.msg}`);
    } catch {
      out.push(line.slice(0, 300));
    }
  }
  return out;
}

// ---- the error shape ---------------------------------------------------------------------------------------

/** The status edge/src/api/errors.ts gives a code; undefined for a code it does not know. */
const statusOf = (code: string): number | undefined => new ApiError(code as ErrorCode, "x").status;

/** Problems with a 4xx answer's shape: {"error":{"code","message","issues":[{"path","message"}]}} and nothing else. */
export function errorShapeProblems(method: string, sent: Sent): string[] {
  if (method === "HEAD") return [];
  const problems: string[] = [];
  const ct = sent.headers.get("content-type") ?? "";
  if (!/^application\/json\b/.test(ct)) problems.push(`content-type is ${JSON.stringify(ct)}, not application/json`);
  let body: any;
  try {
    body = JSON.parse(sent.text);
  } catch {
    return [...problems, `body is not JSON: ${JSON.stringify(sent.text.slice(0, 200))}`];
  }
  const err = body?.error;
  if (body === null || typeof body !== "object" || Array.isArray(body) || Object.keys(body).join() !== "error")
    problems.push(`body is not {"error":{…}}: ${sent.text.slice(0, 200)}`);
  if (err === null || typeof err !== "object") return [...problems, "error is not an object"];
  const keys = Object.keys(err).sort().join();
  if (keys !== "code,issues,message") problems.push(`error has keys ${keys}, not code, issues and message`);
  if (typeof err.code !== "string" || statusOf(err.code) === undefined)
    problems.push(`error.code ${JSON.stringify(err.code)} is not a code errors.ts knows`);
  else if (statusOf(err.code) !== sent.status) problems.push(`error.code ${err.code} belongs to ${statusOf(err.code)}, not ${sent.status}`);
  if (typeof err.message !== "string" || err.message.length === 0) problems.push("error.message is not a non-empty string");
  if (!Array.isArray(err.issues)) problems.push("error.issues is not an array");
  else
    err.issues.forEach((i: any, n: number) => {
      if (i === null || typeof i !== "object" || typeof i.path !== "string" || typeof i.message !== "string" || Object.keys(i).length !== 2)
        problems.push(`error.issues[${n}] is not {"path","message"} strings: ${JSON.stringify(i)?.slice(0, 120)}`);
    });
  return problems;
}

// ---- D1 snapshots ------------------------------------------------------------------------------------------

/**
 * Columns a refused request may change, each for a documented reason:
 * - api_tokens.last_used_at: authentication records a token's use (at most every five minutes, in waitUntil;
 *   edge/src/api/auth.ts, touchToken) as soon as the token is recognised, before the role check and the
 *   body's validation can refuse the request. A valid token that is refused 403 or 400 was still used.
 */
export const VOLATILE_COLUMNS: Record<string, string[]> = { api_tokens: ["last_used_at"] };

/**
 * Rows a refused request may add: a change refused with 403 is recorded in the audit log (docs/security.md#audit-log),
 * a record of the request, not state the request changed; its AUTOINCREMENT counter moves with it.
 */
const REFUSALS_RECORDED = (table: string, row: Record<string, unknown>): boolean =>
  table === "audit_log" || (table === "sqlite_sequence" && row.name === "audit_log");

export type Snapshot = Map<string, string[]>;

let tablesCache: string[] | null = null;
/** Every table of the schema, sqlite_sequence included (it records inserts later rolled back or deleted); not D1's own. */
export async function tables(): Promise<string[]> {
  if (tablesCache) return tablesCache;
  const r = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all<{ name: string }>();
  tablesCache = r.results
    .map((t) => t.name)
    .filter((n) => !n.startsWith("d1_") && !n.startsWith("_cf_") && (n === "sqlite_sequence" || !n.startsWith("sqlite_")));
  return tablesCache;
}

/** Every row of every table as JSON text, sorted (rowid tables and WITHOUT ROWID tables alike). */
export async function snapshot(): Promise<Snapshot> {
  const names = await tables();
  const results = await env.DB.batch(names.map((t) => env.DB.prepare(`SELECT * FROM "${t}"`)));
  const snap: Snapshot = new Map();
  names.forEach((t, i) => {
    const drop = VOLATILE_COLUMNS[t] ?? [];
    const rows = (results[i]!.results as Record<string, unknown>[])
      .filter((row) => !REFUSALS_RECORDED(t, row))
      .map((row) => {
        for (const c of drop) delete row[c];
        return JSON.stringify(row);
      });
    snap.set(t, rows.sort());
  });
  return snap;
}

/** What changed between two snapshots, table by table (a few rows each). */
export function diffSnapshots(before: Snapshot, after: Snapshot): string[] {
  const out: string[] = [];
  for (const [t, rowsBefore] of before) {
    const rowsAfter = after.get(t) ?? [];
    const a = new Set(rowsBefore);
    const b = new Set(rowsAfter);
    const removed = rowsBefore.filter((r) => !b.has(r));
    const added = rowsAfter.filter((r) => !a.has(r));
    if (removed.length || added.length)
      out.push(
        `${t}: ${removed.length} row(s) gone, ${added.length} new` +
          removed
            .slice(0, 2)
            .map((r) => `\n    - ${r.slice(0, 300)}`)
            .join("") +
          added
            .slice(0, 2)
            .map((r) => `\n    + ${r.slice(0, 300)}`)
            .join(""),
      );
  }
  return out;
}

/** Puts the database back to `snap` (the keep-going mode's reset after a failure). */
export async function restore(snap: Snapshot): Promise<void> {
  const stmts: D1PreparedStatement[] = [env.DB.prepare("PRAGMA defer_foreign_keys = on")];
  for (const t of snap.keys()) stmts.push(env.DB.prepare(`DELETE FROM "${t}"`));
  for (const [t, rows] of snap) {
    if (t === "sqlite_sequence") continue;
    for (const text of rows) {
      const row = JSON.parse(text) as Record<string, unknown>;
      const cols = Object.keys(row);
      stmts.push(
        env.DB.prepare(`INSERT INTO "${t}" (${cols.map((c) => `"${c}"`).join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`).bind(
          ...cols.map((c) => row[c]),
        ),
      );
    }
  }
  await env.DB.batch(stmts);
}
