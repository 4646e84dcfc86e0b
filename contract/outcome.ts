// Rules about a check's outcome that the edge and the agents share: failure confirmation and
// turning a check's unexpected exception into an outcome.
import type { MonitorSpec } from "./monitor.ts";
import type { CheckResult } from "./result.ts";
import { clip } from "./text.ts";

/** A check's own result: a CheckResult without what the runner stamps on. */
export type Outcome = Omit<CheckResult, "id" | "monitor" | "ts" | "location" | "agent">;

/** Failures a second try would only repeat: a missing privilege, or `other` (a bug, too many redirects, the budget). */
const NOT_RETRIED = new Set<string>(["permission", "other"]);

/** Whether a failed outcome should be checked once more at once (`confirm_failures`). */
export function shouldConfirm(monitor: Pick<MonitorSpec, "confirm_failures">, outcome: Outcome): boolean {
  return !outcome.ok && monitor.confirm_failures && !NOT_RETRIED.has(outcome.error?.kind ?? "other");
}

/** The outcome that counts after a confirming retry: the retry's, marked when it confirmed the failure. */
export function confirmedOutcome<O extends Outcome>(retry: O): O {
  if (retry.ok || !retry.error) return retry;
  return { ...retry, error: { ...retry.error, message: clip(`${retry.error.message} (confirmed by an immediate retry)`) } };
}

/** An exception out of a check is a bug, not a failing target: it becomes an `other` outcome. */
export function unexpectedOutcome(monitor: Pick<MonitorSpec, "kind" | "target">, e: unknown): Outcome {
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return {
    ok: false,
    latency_ms: null,
    error: { kind: "other", message: clip(`the ${monitor.kind} check of ${monitor.target} failed unexpectedly: ${message}`) },
  };
}
