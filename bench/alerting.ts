// Benchmarks of alerting through the real Worker under wrangler dev, driving the cron clock:
// false alerts from a flaky target, and (with a webhook channel) time to detect.
import { startCountingTarget } from "../test/services/counting-target.ts";
import { MINUTE, cleanup, migrate, round, tempState, worker } from "./lib.ts";

/** A target failing 5 % of single requests at random, 1,000 checks, thresholds 2/2: incidents opened. */
export async function benchFalseAlerts(checks = 1000, failRate = 0.05) {
  const target = await startCountingTarget();
  const state = tempState("ium-bench-false-");
  await migrate(state);
  const w = await worker(state, { LOG_LEVEL: "error" });
  try {
    const variants = [
      { id: "flaky-confirmed", confirm_failures: true },
      { id: "flaky-unconfirmed", confirm_failures: false },
    ];
    for (const v of variants) {
      const r = await w.api("POST", "/api/v1/monitors", {
        id: v.id,
        kind: "http",
        target: `${target.url}/hit/${v.id}?failrate=${failRate}&seed=7`,
        failure_threshold: 2,
        success_threshold: 2,
        confirm_failures: v.confirm_failures,
      });
      if (r.status !== 201) throw new Error(JSON.stringify(r.body));
    }
    let t = Math.floor(Date.now() / MINUTE) * MINUTE + MINUTE;
    for (let i = 0; i < checks; i++, t += MINUTE) await w.tick(t);
    const out: Record<string, unknown> = { checks, fail_rate_per_request: failRate, thresholds: "2/2" };
    const stats = (await (await fetch(`${target.url}/control/stats`)).json()) as any;
    for (const v of variants) {
      const inc = await w.api("GET", `/api/v1/monitors/${v.id}/incidents?limit=500`);
      const failed = await w.api("GET", `/api/v1/monitors/${v.id}/uptime?from=0`);
      out[v.id] = { incidents: inc.body.incidents.length, failed_checks: failed.body.checks - failed.body.up, requests: stats.hits[v.id] };
    }
    return out;
  } finally {
    await w.stop();
    await target.close();
    cleanup(state);
  }
}
