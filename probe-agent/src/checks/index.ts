// The agent's check registry: kind → check function, and the one entry point the scheduler calls.
import type { AgentKind, Kind, MonitorSpec } from "../../../contract/index.ts";
import { runConfirmed, unexpectedOutcome } from "../../../contract/outcome.ts";
import type { AgentCheckDeps } from "./deps.ts";
import { checkDns } from "./dns.ts";
import { checkHttp } from "./http.ts";
import { checkIcmp } from "./icmp.ts";
import { checkTcp } from "./tcp.ts";
import { checkTls } from "./tls.ts";
import type { CheckFn, CheckOutcome } from "./types.ts";

export type { AgentCheckDeps } from "./deps.ts";
export { defaultDeps } from "./deps.ts";
export type { CheckOutcome } from "./types.ts";

/** One entry per kind an agent runs (heartbeats are pushed, never run); a missing or mistyped entry fails to compile. */
export const AGENT_CHECKS: { readonly [K in AgentKind]: CheckFn<K, AgentCheckDeps> } = {
  http: checkHttp,
  tcp: checkTcp,
  icmp: checkIcmp,
  tls: checkTls,
  dns: checkDns,
};

/**
 * Runs a monitor's check; with `confirm_failures` (the default) a failure is tried again at once,
 * as on the edge (contract/outcome.ts), so one lost packet is not a failed check and a confirmed
 * failure counts its failed tries. A missing privilege or an `other` failure (a bug, too many
 * redirects) is not retried: it would only fail the same way.
 */
export function runCheck(monitor: MonitorSpec, deps: AgentCheckDeps): Promise<CheckOutcome> {
  return runConfirmed(monitor, () => runOnce(monitor, deps));
}

/**
 * One run of a check. Checks return failures as values; an exception here is a bug, so it
 * becomes an `other` outcome instead of taking the scheduler down with it.
 */
async function runOnce(monitor: MonitorSpec, deps: AgentCheckDeps): Promise<CheckOutcome> {
  const check = (AGENT_CHECKS as Partial<Record<Kind, CheckFn<Kind, AgentCheckDeps>>>)[monitor.kind];
  try {
    if (!check) throw new Error(`no check for kind ${JSON.stringify(monitor.kind)}`);
    return await check(monitor, deps);
  } catch (e) {
    return unexpectedOutcome(monitor, e);
  }
}
