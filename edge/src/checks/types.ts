// What a check is: a function from a monitor to an outcome. The runner adds id, ts, location, agent.
import type { EgressPolicy } from "../../../contract/egress.ts";
import type { Kind, MonitorSpec } from "../../../contract/index.ts";
import type { Outcome } from "../../../contract/outcome.ts";

/** A check's own result: everything in a CheckResult except what the runner stamps on. */
export type CheckOutcome = Outcome;

/** What a check may call. Passed in, never taken from globals, so tests can stand real local servers in front. */
export interface CheckDeps {
  fetch: typeof fetch;
  /** Monotonic-enough clock in ms for latency (performance.now in production). */
  now: () => number;
  /** Where requests may go; unset: the Worker's own policy (config/egress.ts), checked before every request and redirect hop. */
  egress?: EgressPolicy;
}

export type CheckFn<K extends Kind> = (monitor: Extract<MonitorSpec, { kind: K }>, deps: CheckDeps) => Promise<CheckOutcome>;
