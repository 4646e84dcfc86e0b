// What an agent check is: a function from a monitor to an outcome. The runner adds id, ts, location, agent.
import type { Kind, MonitorSpec } from "../../../contract/index.ts";
import type { Outcome } from "../../../contract/outcome.ts";

/** A check's own result: everything in a CheckResult except what the runner stamps on. */
export type CheckOutcome = Outcome;

export type CheckFn<K extends Kind, D> = (monitor: Extract<MonitorSpec, { kind: K }>, deps: D) => Promise<CheckOutcome>;
