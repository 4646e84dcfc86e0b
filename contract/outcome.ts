// Rules about a check's outcome that the edge and the agents share: failure confirmation and
// turning a check's unexpected exception into an outcome.
import type { MonitorSpec } from "./monitor.ts";
import { type CheckResult, MAX_TRIES } from "./result.ts";
import { clip } from "./text.ts";

/** A check's own result: a CheckResult without what the runner stamps on. */
export type Outcome = Omit<CheckResult, "id" | "monitor" | "ts" | "location" | "agent">;

/** Failures a second try would only repeat: a missing privilege, or `other` (a bug, too many redirects, the budget). */
const NOT_RETRIED = new Set<string>(["permission", "other"]);

/** Whether a failed outcome should be checked again at once (`confirm_failures`). */
export function shouldConfirm(monitor: Pick<MonitorSpec, "confirm_failures">, outcome: Outcome): boolean {
  return !outcome.ok && monitor.confirm_failures && !NOT_RETRIED.has(outcome.error?.kind ?? "other");
}

/**
 * Runs a check through failure confirmation: a failure worth confirming is tried again at once,
 * up to MAX_TRIES tries in all, stopping at the first success; the last answer counts. A failure
 * that every try repeated carries `tries`, and each failed try counts toward `failure_threshold`,
 * so the default threshold (2) pages on the first confirmed check while one failed request (a
 * retry passes) counts nothing. `canRetry` is asked before each retry (the edge's subrequest budget).
 */
export async function runConfirmed<O extends Outcome>(
  monitor: Pick<MonitorSpec, "confirm_failures">,
  once: () => Promise<O>,
  canRetry: () => boolean = () => true,
): Promise<O> {
  let outcome = await once();
  let tries = 1;
  while (tries < MAX_TRIES && shouldConfirm(monitor, outcome) && canRetry()) {
    outcome = await once();
    tries += 1;
  }
  if (tries === 1 || outcome.ok || !outcome.error) return outcome;
  const retries = tries - 1;
  const by = retries === 1 ? "an immediate retry" : `${retries} immediate retries`;
  return { ...outcome, tries, error: { ...outcome.error, message: clip(`${outcome.error.message} (confirmed by ${by})`) } };
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
