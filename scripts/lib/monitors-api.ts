// Monitors as code, the network part: the API calls `plan` and `apply` make, waiting out rate limits, and
// refusals turned into messages that name the item, the API's own words and, for a 403, the role needed.
import type { Issue } from "../../contract/issues.ts";
import type { MonitorsFile, Section } from "../../contract/monitors-file.ts";
import { parseRetryAfter } from "../../contract/retry-after.ts";
import { NOUN, type Plan, type Remote, type Request, type Step } from "./monitors-plan.ts";

/** A request the API refused (or that never got an answer: status 0), with the API's code, message and issues. */
export class ApiFailure extends Error {
  readonly status: number;
  readonly code: string;
  readonly issues: Issue[];
  constructor(status: number, code: string, message: string, issues: Issue[] = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.issues = issues;
  }
  /** "HTTP 400 invalid_input: monitor is invalid: 1 problem (interval_s: must be at least 60 for edge monitors)". */
  describe(): string {
    const issues = this.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
    const head = this.status === 0 ? this.message : `HTTP ${this.status} ${this.code}: ${this.message}`;
    return issues ? `${head} (${issues})` : head;
  }
}

export type Call = (method: Request["method"] | "GET", path: string, body?: unknown) => Promise<any>;

export type ClientOptions = {
  url: string;
  token: string;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Told when a rate limit makes the client wait. */
  onWait?: (ms: number) => void;
  /** Attempts per request while the API answers 429 (RATE_LIMITS: 600 requests a minute per token). */
  attempts?: number;
};

/** The longest Retry-After honoured: the token's limit is per minute. */
const MAX_WAIT_MS = 65_000;

export function apiClient(o: ClientOptions): Call {
  const doFetch = o.fetch ?? fetch;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const attempts = o.attempts ?? 5;
  return async (method, path, body) => {
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await doFetch(`${o.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${o.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (e) {
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        throw new ApiFailure(0, "unreachable", `cannot reach ${o.url}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
      }
      const text = await res.text();
      if (res.ok) return text ? JSON.parse(text) : null;
      if (res.status === 429 && attempt < attempts) {
        const wait = parseRetryAfter(res.headers.get("retry-after"), Date.now(), MAX_WAIT_MS) ?? 1000 * attempt;
        o.onWait?.(wait);
        await sleep(wait);
        continue;
      }
      let error: { code?: string; message?: string; issues?: Issue[] } = {};
      try {
        error = JSON.parse(text).error ?? {};
      } catch {
        error = { message: text.slice(0, 200) || res.statusText };
      }
      throw new ApiFailure(res.status, error.code ?? "error", error.message ?? res.statusText, error.issues ?? []);
    }
  };
}

/** What the role needs, said when the API answers 403 or 401. */
function roleHint(status: number, section: Section): string {
  if (status === 401) return "; UPTIME_TOKEN is not a valid token for this Worker";
  if (status !== 403) return "";
  return section === "channels"
    ? "; channels need an admin token (leave `channels` out of the file to manage monitors and maintenance windows with an editor token)"
    : "; monitors and maintenance windows need an editor or admin token";
}

/**
 * The server's monitors (always: channels and windows name them) and the channels and maintenance windows the
 * file manages. Monitors must be read with their configuration, which only editors and admins see.
 */
export async function readRemote(call: Call, file: MonitorsFile): Promise<Remote> {
  const get = async <K extends Section>(section: K): Promise<Record<string, unknown>[]> => {
    try {
      const body = await call("GET", `/api/v1/${section}`);
      return body[section] as Record<string, unknown>[];
    } catch (e) {
      if (e instanceof ApiFailure) throw new Error(`reading ${section}: ${e.describe()}${roleHint(e.status, section)}`);
      throw e;
    }
  };
  const monitors = await get("monitors");
  if (file.monitors && monitors.some((m) => "redacted" in m))
    throw new Error(
      "reading monitors: the token sees monitor configuration redacted (a viewer's); plan and apply need an editor or admin token",
    );
  return {
    monitors,
    channels: file.channels ? await get("channels") : undefined,
    maintenance: file.maintenance ? await get("maintenance") : undefined,
  };
}

const DONE: Record<Step["op"], string> = { create: "created", update: "changed", delete: "deleted", replace: "replaced" };

/** Raised when a step fails: what was applied before it, and what was not. */
export class ApplyFailure extends Error {
  readonly applied: Step[];
  readonly failed: Step;
  readonly notAttempted: Step[];
  constructor(message: string, applied: Step[], failed: Step, notAttempted: Step[]) {
    super(message);
    this.applied = applied;
    this.failed = failed;
    this.notAttempted = notAttempted;
  }
}

/** Applies the plan's steps in order, telling `log` of each; stops at the first refusal. */
export async function applyPlan(call: Call, p: Plan, log: (line: string) => void): Promise<Step[]> {
  const applied: Step[] = [];
  for (const [i, step] of p.steps.entries()) {
    let sent = 0;
    const pingUrls: string[] = [];
    try {
      for (const r of step.requests) {
        const answer = await call(r.method, r.path, r.body);
        sent++;
        // A heartbeat's ping URL is in the create's answer only (the Worker keeps a hash): said now or never.
        if (r.method === "POST" && step.section === "monitors" && typeof answer?.ping_url === "string") pingUrls.push(answer.ping_url);
      }
    } catch (e) {
      let why = e instanceof ApiFailure ? `${e.describe()}${roleHint(e.status, step.section)}` : (e as Error).message;
      if (step.op === "replace" && sent > 0) why += `; the old ${NOUN[step.section]} was deleted and its replacement not created`;
      throw new ApplyFailure(`${step.op} ${NOUN[step.section]} ${step.id}: ${why}`, applied, step, p.steps.slice(i + 1));
    }
    applied.push(step);
    const fields = step.changes?.length ? ` (${step.changes.map((c) => c.path).join(", ")})` : "";
    log(`  ${DONE[step.op]} ${NOUN[step.section]} ${step.id}${fields}`);
    for (const u of pingUrls) log(`    ping URL (shown once; POST /api/v1/monitors/${step.id}/rotate-ping-key makes another): ${u}`);
  }
  return applied;
}
