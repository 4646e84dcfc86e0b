// What an agent check is: a function from a monitor to an outcome. The runner adds id, ts, location, agent.
import type { CheckResult, Kind, MonitorSpec } from "../../../contract/index.ts";

/** A check's own result: everything in a CheckResult except what the runner stamps on. */
export type CheckOutcome = Omit<CheckResult, "id" | "monitor" | "ts" | "location" | "agent">;

export type CheckFn<K extends Kind, D> = (monitor: Extract<MonitorSpec, { kind: K }>, deps: D) => Promise<CheckOutcome>;
