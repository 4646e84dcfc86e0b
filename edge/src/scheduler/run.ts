// Runs a batch of edge checks: at most 6 requests in flight, never past the invocation's budget.
import type { MonitorSpec } from "../../../contract/index.ts";
import { runConfirmed } from "../../../contract/outcome.ts";
import { runCheck } from "../checks/index.ts";
import { newResultId } from "../../../contract/ids.ts";
import type { StoredResult } from "../points/store.ts";

/** Cloudflare lets an invocation wait on at most 6 connections for response headers at once. */
export const MAX_IN_FLIGHT = 6;

export type RunStats = { subrequests: number; maxInFlight: number };

/**
 * A fetch that counts what goes through it and refuses once `limit` subrequests were made.
 * `inFlight`/`maxInFlight` are measured here, at the network edge of the check, not assumed.
 */
export function budgetedFetch(inner: typeof fetch, limit: number) {
  const stats: RunStats & { inFlight: number } = { subrequests: 0, maxInFlight: 0, inFlight: 0 };
  const wrapped = (async (input: RequestInfo | URL, init?: RequestInit) => {
    if (stats.subrequests >= limit)
      throw new Error(`this invocation used its subrequest budget (${limit}); raise EDGE_SUBREQUEST_BUDGET on a paid plan`);
    stats.subrequests += 1;
    stats.inFlight += 1;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    try {
      return await inner(input, init);
    } finally {
      stats.inFlight -= 1;
    }
  }) as typeof fetch;
  return { fetch: wrapped, stats };
}

export type Ran = { result: StoredResult; hops: number };

/** Runs the checks with a pool of MAX_IN_FLIGHT workers; each check's fetch is counted for hops. */
export async function runBatch(
  monitors: MonitorSpec[],
  deps: { fetch: typeof fetch; now: () => number; clock: () => number },
  opts: { budget: number; concurrency?: number },
): Promise<{ ran: Ran[]; stats: RunStats }> {
  const shared = budgetedFetch(deps.fetch, opts.budget);
  const ran: Ran[] = new Array(monitors.length);
  let next = 0;
  const worker = async () => {
    while (next < monitors.length) {
      const i = next++;
      const spec = monitors[i]!;
      let calls = 0;
      let hops: number | null = null;
      const fetchForCheck = ((input: RequestInfo | URL, init?: RequestInit) => {
        calls += 1;
        return shared.fetch(input, init);
      }) as typeof fetch;
      const ts = deps.clock();
      const once = async () => {
        const outcome = await runCheck(spec, { fetch: fetchForCheck, now: deps.now });
        hops ??= Math.max(0, calls - 1); // the first try's hops plan the next run
        return outcome;
      };
      // A confirming retry is a subrequest too: tried only while the budget has room for it, else the last answer stands.
      const outcome = await runConfirmed(spec, once, () => shared.stats.subrequests + 1 + (hops ?? 0) <= opts.budget);
      ran[i] = {
        result: {
          ...outcome,
          id: newResultId(ts),
          monitor: spec.id,
          ts,
          location: "edge",
          agent: null,
          kind: spec.kind,
          target: spec.target,
          ...(spec.kind === "http" ? { method: spec.http.method } : {}),
        },
        hops: hops ?? 0,
      };
    }
  };
  const n = Math.min(opts.concurrency ?? MAX_IN_FLIGHT, MAX_IN_FLIGHT, monitors.length);
  await Promise.all(Array.from({ length: n }, worker));
  return { ran, stats: { subrequests: shared.stats.subrequests, maxInFlight: shared.stats.maxInFlight } };
}
