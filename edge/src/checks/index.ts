// The edge's check registry: kind → check function, and the one entry point the scheduler calls.
import type { Kind, MonitorSpec } from "../../../contract/index.ts";
import { checkHttp } from "./http.ts";
import { unexpectedOutcome } from "../../../contract/outcome.ts";
import type { CheckDeps, CheckFn, CheckOutcome } from "./types.ts";

/**
 * The kinds the Workers runtime runs (contract's EDGE_KINDS; tcp, icmp and tls need an agent).
 * Spelled out because EDGE_KINDS is typed `readonly Kind[]`; a test keeps the two equal.
 */
export type EdgeKind = Extract<Kind, "http">;

/** One entry per edge kind; a missing or mistyped entry fails to compile. */
export const EDGE_CHECKS: { readonly [K in EdgeKind]: CheckFn<K> } = {
  http: checkHttp,
};

export function isEdgeKind(kind: Kind): kind is EdgeKind {
  return Object.hasOwn(EDGE_CHECKS, kind);
}

/**
 * Runs a monitor's check on the edge. Checks return failures as values; an exception here is a
 * bug, so it becomes an `other` outcome instead of taking the whole cron tick down with it.
 */
export async function runCheck(monitor: MonitorSpec, deps: CheckDeps): Promise<CheckOutcome> {
  if (!isEdgeKind(monitor.kind))
    return {
      ok: false,
      latency_ms: null,
      error: { kind: "other", message: `${monitor.kind} monitors cannot run on the edge; they run on probe agents (runner "agent")` },
    };
  const check = EDGE_CHECKS[monitor.kind] as CheckFn<EdgeKind>;
  try {
    return await check(monitor as Extract<MonitorSpec, { kind: EdgeKind }>, deps);
  } catch (e) {
    return unexpectedOutcome(monitor, e);
  }
}
