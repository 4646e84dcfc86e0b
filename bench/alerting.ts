// Benchmarks of alerting through the real Worker under wrangler dev, driving the cron clock:
// false alerts from a flaky target, and (with a webhook channel) time to detect.
import { startCountingTarget } from "../test/services/counting-target.ts";
import { MINUTE, cleanup, migrate, round, tempState, worker } from "./lib.ts";

/**
 * A target failing 5 % of single requests at random, 1,000 checks, thresholds 2/2: incidents opened,
 * with and without failure confirmation; and one whose first request fails (a single failed request).
 */
export async function benchFalseAlerts(checks = 1000, failRate = 0.05) {
  const target = await startCountingTarget();
  const state = tempState("ium-bench-false-");
  await migrate(state);
  const w = await worker(state, { LOG_LEVEL: "error" });
  try {
    const variants = [
      { id: "flaky-confirmed", confirm_failures: true },
      { id: "flaky-unconfirmed", confirm_failures: false },
      { id: "single-failed-request", confirm_failures: true, query: "fail=1" },
    ];
    for (const v of variants) {
      const r = await w.api("POST", "/api/v1/monitors", {
        id: v.id,
        kind: "http",
        target: `${target.url}/hit/${v.id}?${v.query ?? `failrate=${failRate}&seed=7`}`,
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
      // Query times reach back five years at most: a year covers every check of the run.
      const failed = await w.api("GET", `/api/v1/monitors/${v.id}/uptime?from=${Date.now() - 365 * 86_400_000}`);
      out[v.id] = { incidents: inc.body.incidents.length, failed_checks: failed.body.checks - failed.body.up, requests: stats.hits[v.id] };
    }
    return out;
  } finally {
    await w.stop();
    await target.close();
    cleanup(state);
  }
}

/**
 * Time to detect: a 60 s monitor with the default failure_threshold 2 and failure confirmation, and
 * a webhook channel. The target goes down `offset` seconds after a tick (clock driven through the
 * cron `time`); detection time is the simulated time until the tick that pages (the first failing
 * one, its failure confirmed by the immediate retries), plus the real time from that tick's start
 * to the webhook arriving at a local receiver, retries included. Target: one interval plus 5 s.
 */
export async function benchTimeToDetect(offsetsS = [1, 30, 59]) {
  const { startWebhookReceiver } = await import("../test/services/webhook-receiver.ts");
  const target = await startCountingTarget();
  const receiver = await startWebhookReceiver();
  const state = tempState("ium-bench-detect-");
  await migrate(state);
  const w = await worker(state, { LOG_LEVEL: "error" });
  try {
    const rows: Array<{ down_after_tick_s: number; detected: boolean; time_to_detect_s: number | null; delivery_after_tick_ms: number }> =
      [];
    for (const offset of offsetsS) {
      const id = `detect-${offset}`;
      let r = await w.api("POST", "/api/v1/monitors", {
        id,
        kind: "http",
        target: `${target.url}/hit/${id}`,
        interval_s: 60,
        failure_threshold: 2,
      });
      if (r.status !== 201) throw new Error(JSON.stringify(r.body));
      r = await w.api("POST", "/api/v1/channels", {
        id: `hook-${offset}`,
        name: "bench",
        kind: "webhook",
        url: `${receiver.url}/hook/${id}`,
        monitors: [id],
      });
      if (r.status !== 201) throw new Error(JSON.stringify(r.body));
      let t = Math.floor(Date.now() / MINUTE) * MINUTE + MINUTE * (2 + rows.length * 5);
      await w.tick(t); // up
      const downAt = t + offset * 1000;
      await fetch(`${target.url}/control/status/${id}/503`, { method: "POST" });
      let detectedTick = 0;
      let deliveryMs = 0;
      for (let i = 1; i <= 4 && !detectedTick; i++) {
        t += MINUTE;
        const started = Date.now();
        await w.tick(t);
        const got = ((await (await fetch(`${receiver.url}/control/requests/${id}`)).json()) as any).requests;
        if (got.length) {
          detectedTick = t;
          deliveryMs = got[0].at - started;
        }
      }
      rows.push({
        down_after_tick_s: offset,
        detected: detectedTick > 0,
        time_to_detect_s: detectedTick ? round((detectedTick - downAt + deliveryMs) / 1000, 2) : null,
        delivery_after_tick_ms: deliveryMs,
      });
    }
    const worst = Math.max(...rows.map((r) => r.time_to_detect_s ?? Infinity));
    return { interval_s: 60, failure_threshold: 2, target_s: 60 + 5, worst_s: worst, rows };
  } finally {
    await w.stop();
    await receiver.close();
    await target.close();
    cleanup(state);
  }
}
