// Property-based fuzz test of the whole API: every route, every role, generated path ids, query strings,
// headers and bodies (valid, boundary and hostile: deep nesting, huge numbers, lone surrogates, control
// characters), against the real Worker and real D1. For every request it asserts:
//   - no 5xx;
//   - every 4xx has the one error shape, {"error":{"code","message","issues"}} (edge/src/api/errors.ts);
//   - a refused request changed nothing: every D1 table is compared before and after;
//   - after every accepted write (and every READ_EVERY requests, and at the end) the reads everyone depends
//     on still answer 200: GET /api/v1/status, /api/v1/monitors, /metrics and the other lists.
// Seeded and bounded (2,000 requests, about a minute on two cores). Run it:
//   node_modules/.bin/node node_modules/vitest/vitest.mjs run --project edge edge/test/fuzz.test.ts
// Settings come from VITE_-prefixed environment variables (the only ones Vite hands to code in workerd).
// Vite writes them into this file when it transforms it, and Vitest's module cache does not notice a
// changed variable: add --no-fsModuleCache whenever you set one, or an earlier run's values are used.
// The line "fuzz: seed=… runs=…" at the start says which values are in effect.
//   VITE_FUZZ_SEED=123     the seed (default DEFAULT_SEED; printed at the start and on failure)
//   VITE_FUZZ_RUNS=5000    how many requests (default 2000)
//   VITE_FUZZ_PATH=871     replay one counterexample: the path fast-check printed, with the same seed
//   VITE_FUZZ_ALL=1        keep going after a failure: reset D1 to the fixtures, collect every distinct
//                          failure and list them at the end (the test still fails)
//   VITE_FUZZ_VERBOSE=1    print every request and the start of its answer
import { inject, expect, it } from "vitest";
import fc from "fast-check";
import { createApp } from "../src/api/app.ts";
import { type FuzzCase, requestArb } from "./fuzz/arbitraries.ts";
import { Fixtures } from "./fuzz/fixtures.ts";
import {
  admin,
  diffSnapshots,
  errorShapeProblems,
  restore,
  send,
  type Sent,
  type Snapshot,
  snapshot,
  unhandledErrors,
} from "./fuzz/harness.ts";
import { ROUTES, isWrite } from "./fuzz/routes.ts";
import { Now, wellFormed } from "./fuzz/values.ts";

const ENV = (import.meta as any).env as Record<string, string | undefined>;
const setting = (name: string) => ENV[`VITE_${name}`] ?? ENV[name];

const DEFAULT_SEED = 20261117;
const SEED = Number(setting("FUZZ_SEED") ?? DEFAULT_SEED);
const RUNS = Number(setting("FUZZ_RUNS") ?? 2000);
const PATH = setting("FUZZ_PATH");
const KEEP_GOING = setting("FUZZ_ALL") === "1";
/** Print every request and the start of its answer (for tuning the generators). */
const VERBOSE = setting("FUZZ_VERBOSE") === "1";
/** Check the shared reads at least this often, besides after every accepted write. */
const READ_EVERY = 50;
const TIMEOUT_MS = 15 * 60_000;

const refusedUrl = inject("refusedUrl");

/** The URL of a case: its path with the id filled in, and its query string. */
function urlOf(c: FuzzCase, fx: Fixtures, now: number): string {
  let path = c.pathTemplate;
  if (c.id) {
    const seg =
      c.id.kind === "hostile"
        ? c.id.encoded
        : c.id.kind === "missing"
          ? encodeURIComponent(c.id.id)
          : c.pathTemplate.startsWith("/api/v1/tokens")
            ? fx.tokenId(c.id.name)
            : c.id.name;
    path = path.replace(":id", seg).replace("*", seg);
  }
  if (!c.query.length) return path;
  const q = c.query
    .map((p) => {
      if (p.raw) return p.key;
      const v = p.value instanceof Now ? String(now + p.value.offsetMs) : p.value;
      return `${encodeQuery(p.key)}=${encodeQuery(v)}`;
    })
    .join("&");
  return `${path}${path.includes("?") ? "&" : "?"}${q}`;
}

/** encodeURIComponent, except lone surrogates go out as their (invalid) UTF-8 bytes instead of throwing. */
function encodeQuery(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return s.replace(/[\uD800-\uDFFF]/g, "%ED%A0%80").replace(/[^%A-Za-z0-9\-_.!~*'()]/g, (ch) => encodeURIComponent(ch));
  }
}

function headersOf(c: FuzzCase, fx: Fixtures, hasBody: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  const token = fx.tokenFor(c.role);
  if (token !== null) out.authorization = `Bearer ${token}`;
  if (hasBody) out["content-type"] = "application/json";
  for (const [k, v] of Object.entries(c.headers)) {
    if (v === null) delete out[k];
    else out[k] = k === "authorization" ? v.replaceAll("{t}", token ?? "") : v;
  }
  return out;
}

/** The monitor, window or channel ids a write named (path or body), whose own reads are checked afterwards. */
function touchedIds(c: FuzzCase, bodyText: string | undefined): string[] {
  const ids = new Set<string>();
  if (c.id?.kind === "fixture") ids.add(c.id.name);
  if (c.id?.kind === "missing") ids.add(c.id.id);
  try {
    const b = bodyText ? JSON.parse(bodyText) : null;
    if (typeof b?.id === "string") ids.add(b.id);
  } catch {
    /* not JSON */
  }
  return [...ids].filter((id) => /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(id));
}

/** The lists each kind of write shows up in. */
const LISTS: Array<[string, string[]]> = [
  ["/api/v1/maintenance", ["/api/v1/maintenance"]],
  ["/api/v1/channels", ["/api/v1/channels", "/api/v1/notifications"]],
  ["/api/v1/tokens", ["/api/v1/tokens", "/api/v1/agents"]],
  ["/api/v1/agents", ["/api/v1/agents", "/api/v1/tokens"]],
  ["/api/v1/results", ["/api/v1/incidents", "/api/v1/notifications", "/api/v1/agents"]],
];

/**
 * The reads that must keep answering 200 whatever was accepted before them. After each accepted write: the
 * status page, the monitor list and /metrics (public and not), the lists the write shows up in and the pages
 * of what it named. With `full`: every list and every read of fx-http too.
 */
async function readProblems(fx: Fixtures, path: string, ids: string[], full: boolean): Promise<string[]> {
  const reads: Array<[string, string, string | null, boolean]> = [
    ["GET", "/api/v1/status", null, false],
    ["GET", "/api/v1/monitors", null, false],
    ["GET", "/metrics", null, false],
    ["GET", "/api/v1/status", null, true],
    ["GET", "/metrics", null, true],
  ];
  const lists = new Set(full ? LISTS.flatMap(([, l]) => l) : (LISTS.find(([prefix]) => path.startsWith(prefix))?.[1] ?? []));
  if (full) lists.add("/readyz");
  for (const url of lists) reads.push(["GET", url, null, false]);
  if (full || path.startsWith("/api/v1/results")) reads.push(["GET", "/api/v1/agents/me/assignments", fx.tokenFor("agent"), false]);

  const monitorIds = new Set<string>(full || path.startsWith("/api/v1/maintenance") ? ["fx-http"] : []);
  if (path.startsWith("/api/v1/monitors")) for (const id of ids) monitorIds.add(id);
  if (path.startsWith("/api/v1/results")) for (const id of ["fx-tcp", "fx-icmp"]) monitorIds.add(id);
  for (const id of monitorIds) {
    reads.push(["GET", `/api/v1/monitors/${id}`, null, false], ["GET", `/api/v1/monitors/${id}/checks`, null, false]);
    reads.push(["GET", `/api/v1/status/${id}`, null, false], ["GET", `/api/v1/status/${id}`, null, true]);
    if (full) {
      for (const p of ["/uptime?bucket=1d", "/incidents"]) reads.push(["GET", `/api/v1/monitors/${id}${p}`, null, false]);
      reads.push(["GET", `/badge/${id}/uptime.svg`, null, false], ["GET", `/badge/${id}/shields.json?window=90d`, null, false]);
    }
  }
  if (path.startsWith("/api/v1/maintenance")) for (const id of ids) reads.push(["GET", `/api/v1/maintenance/${id}`, null, false]);
  if (path.startsWith("/api/v1/channels")) for (const id of ids) reads.push(["GET", `/api/v1/channels/${id}`, null, false]);

  // Public reads go without a token, as a status page visitor's would.
  const answers = await Promise.all(
    reads.map(([method, url, token, pub]) =>
      admin(method, url, undefined, pub ? { token: null, publicStatus: true } : { token: token ?? undefined }),
    ),
  );
  const problems: string[] = [];
  reads.forEach(([method, url, , pub], i) => {
    const r = answers[i]!;
    // A read of an id the write named may be 404 (the write deleted it, or was refused); nothing else.
    const segments = url.split(/[/?]/);
    if (r.status === 200 || (r.status === 404 && ids.some((id) => segments.includes(id)))) return;
    // Revoking a token may have revoked the agent's (the fixtures get a new one after this check).
    if (r.status === 401 && url === "/api/v1/agents/me/assignments" && path.startsWith("/api/v1/tokens")) return;
    problems.push(
      `read ${method} ${url}${pub ? " (PUBLIC_STATUS=true)" : ""} answered ${r.status}: ${r.sent.text.slice(0, 300)}${errorsOf(r.sent)}`,
    );
  });
  return problems;
}

const errorsOf = (s: Sent) => {
  const e = unhandledErrors(s.logs);
  return e.length ? `\n    worker logged: ${e.slice(0, 3).join("\n    worker logged: ")}` : "";
};

/** A failure's kind, for grouping: the route, the status and what broke (for a 5xx, the exception behind it). */
function signature(c: FuzzCase, sent: Sent, problem: string): string {
  const normalize = (t: string) =>
    t
      .replace(/"[^"]*"/g, '"…"')
      .replace(/\d+/g, "N")
      .slice(0, 200);
  const cause = problem.startsWith("answered 5") ? (unhandledErrors(sent.logs)[0] ?? sent.text) : problem.split("\n").slice(0, 2).join(" ");
  return `${c.route} → ${sent.status}: ${normalize(cause)}`;
}

it(
  "every route, every role, hostile input: no 5xx, one error shape, refused requests change nothing, reads keep working",
  async () => {
    // The route table must be the app's: a route added without a fuzz entry fails here.
    const appRoutes = new Set(
      createApp()
        .routes.filter((r) => r.method !== "ALL")
        .map((r) => `${r.method} ${r.path}`),
    );
    expect([...appRoutes].sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());

    const fx = new Fixtures(refusedUrl);
    await fx.setup();
    const baseline = await snapshot();
    const baselineTokens = fx.checkpoint();
    console.log(
      `fuzz: seed=${SEED} runs=${RUNS}${PATH ? ` path=${PATH}` : ""}${KEEP_GOING ? " keep-going" : ""} ` +
        `(replay: VITE_FUZZ_SEED=${SEED}${PATH ? ` VITE_FUZZ_PATH=${PATH}` : ""} VITE_FUZZ_RUNS=${RUNS})`,
    );

    const stats = new Map<string, Map<number, number>>();
    const slowest: Array<{ ms: number; what: string }> = [];
    const failures = new Map<string, { count: number; first: string; seedPath: string }>();
    let n = 0;
    /** The database as the last refused request left it (unchanged), while nothing else has run since. */
    let clean: Snapshot | null = null;
    const started = Date.now();
    const spent = { send: 0, snapshot: 0, reads: 0, fixtures: 0 };
    const timed = async <T>(what: keyof typeof spent, f: () => Promise<T>): Promise<T> => {
      const t0 = Date.now();
      try {
        return await f();
      } finally {
        spent[what] += Date.now() - t0;
      }
    };

    const property = fc.asyncProperty(requestArb(refusedUrl), async (c) => {
      n++;
      const now = Date.now();
      const body = c.bodyText(now);
      const url = urlOf(c, fx, now);
      const before = clean ?? (await timed("snapshot", snapshot));
      clean = null;
      const sent = await timed("send", () =>
        send(c.method, url, { headers: headersOf(c, fx, body !== undefined), body, publicStatus: c.publicStatus }),
      );

      if (VERBOSE)
        console.log(wellFormed(`#${n} ${c.describe(now).slice(0, 600)}\n   → ${sent.status} in ${sent.ms} ms: ${sent.text.slice(0, 300)}`));
      slowest.push({ ms: sent.ms, what: `${c.route} → ${sent.status} [${c.note.slice(0, 80)}]` });
      slowest.sort((a, b) => b.ms - a.ms).splice(5);
      const byStatus = stats.get(c.route) ?? new Map<number, number>();
      byStatus.set(sent.status, (byStatus.get(sent.status) ?? 0) + 1);
      stats.set(c.route, byStatus);

      const problems: string[] = [];
      if (sent.status >= 500) problems.push(`answered ${sent.status}: ${sent.text.slice(0, 300)}${errorsOf(sent)}`);
      else if (sent.status >= 400)
        problems.push(...errorShapeProblems(c.method, sent).map((p) => `${sent.status} without the error shape: ${p}`));
      if (sent.status >= 400) {
        const after = await timed("snapshot", snapshot);
        const changed = diffSnapshots(before, after);
        if (!changed.length) clean = after;
        if (changed.length) problems.push(`refused with ${sent.status} but D1 changed:\n  ${changed.join("\n  ")}`);
      }
      const acceptedWrite = sent.status < 400 && isWrite(c.method);
      // A write that failed with a 5xx may have stored part of itself: its reads are checked as well.
      const wrote = isWrite(c.method) && (sent.status < 400 || sent.status >= 500);
      if (wrote || n % READ_EVERY === 0) {
        clean = null;
        const reads = await timed("reads", () => readProblems(fx, c.pathTemplate, wrote ? touchedIds(c, body) : [], n % READ_EVERY === 0));
        if (reads.length)
          problems.push(`after this ${wrote ? `was answered ${sent.status}` : "request"}, reads broke:\n  ${reads.join("\n  ")}`);
        const scope = acceptedWrite ? Fixtures.scopeOf(c.pathTemplate) : null;
        if (scope && !reads.length) await timed("fixtures", () => fx.ensure(scope));
      }
      if (!problems.length) return;

      const report = wellFormed(`${c.describe(now)}\n  → ${sent.status} ${sent.text.slice(0, 300)}\n  ${problems.join("\n  ")}`);
      if (!KEEP_GOING) throw new Error(report);
      for (const p of problems) {
        const key = wellFormed(signature(c, sent, p));
        const f = failures.get(key);
        if (f) f.count++;
        else failures.set(key, { count: 1, first: report, seedPath: `request ${n}, replay with VITE_FUZZ_PATH=${n - 1}` });
      }
      // Start the next request from the fixtures alone: a bad value that got stored would fail every later read.
      clean = null;
      await restore(baseline);
      fx.rollback(baselineTokens);
      for (const scope of ["tokens", "monitors", "windows", "channels"] as const) await fx.ensure(scope);
    });

    try {
      await fc.assert(property, { seed: SEED, numRuns: RUNS, endOnFailure: true, ...(PATH ? { path: PATH } : {}) });
      const end = await readProblems(fx, "/api/v1/monitors", [], true);
      if (end.length) throw new Error(wellFormed(`after ${n} requests (seed ${SEED}), reads broke:\n  ${end.join("\n  ")}`));
    } finally {
      const table = [...stats]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(
          ([route, by]) =>
            `  ${route.padEnd(40)} ${[...by]
              .sort(([a], [b]) => a - b)
              .map(([s, k]) => `${s}×${k}`)
              .join(" ")}`,
        );
      const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
      console.log(
        wellFormed(
          `fuzz: ${n} requests in ${secs(Date.now() - started)} (seed ${SEED}; requests ${secs(spent.send)}, D1 snapshots ${secs(spent.snapshot)}, ` +
            `read checks ${secs(spent.reads)}, fixture repairs ${secs(spent.fixtures)}); statuses per route:\n${table.join("\n")}\n` +
            `slowest requests:\n${slowest.map((x) => `  ${x.ms} ms ${x.what}`).join("\n")}`,
        ),
      );
    }
    if (failures.size) {
      const list = [...failures].map(
        ([key, f], i) => `#${i + 1} ${key}  (${f.count}×, first at ${f.seedPath})\n  ${f.first.replaceAll("\n", "\n  ")}`,
      );
      throw new Error(wellFormed(`fuzz (seed ${SEED}, ${n} requests) found ${failures.size} distinct failures:\n\n${list.join("\n\n")}`));
    }
  },
  TIMEOUT_MS,
);
