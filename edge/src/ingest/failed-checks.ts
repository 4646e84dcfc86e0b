// The failed-check log: every failed check is one info event (a failing target is news, not a fault of the Worker).
import type { Logger } from "../observability/log.ts";
import type { StoredResult } from "../points/store.ts";

/** One event per failed result: which monitor, where it ran, the error kind and message. */
export function logFailedChecks(log: Logger, results: StoredResult[]): void {
  for (const r of results)
    if (!r.ok && r.error)
      log.info("check failed", {
        monitor: r.monitor,
        check: r.kind,
        location: r.location,
        agent: r.agent,
        error_kind: r.error.kind,
        error: r.error.message,
      });
}
