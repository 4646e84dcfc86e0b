// One cron tick: claim due edge monitors, plan batches within the subrequest budget, run the first
// batch here and fan the rest out through CHECKS_QUEUE; the queue consumer runs those.
import { deliverDue, deliveryDeps, type DeliveryReport } from "../alerts/delivery.ts";
import type { AlertEvent } from "../alerts/events.ts";
import type { Config } from "../config/config.ts";
import { claimTick, dueEdge, loadForRun, type Claimed } from "../db/schedule.ts";
import type { Member, Pack } from "../db/packs.ts";
import { minuteOf } from "./slots.ts";
import type { Logger } from "../observability/log.ts";
import type { PointWriter } from "../points/outbox.ts";
import { pointWriter } from "../ingest/writer.ts";
import type { CheckBatchMessage } from "./messages.ts";
import { recordResults } from "../ingest/record.ts";
import { checkCost, confirmReserve, planBatches } from "./plan.ts";
import { sendReminders } from "../alerts/reminders.ts";
import { runBatch } from "./run.ts";
import { missedDeadline, missedResult } from "../ingest/heartbeat.ts";

export type Runtime = {
  config: Config;
  log: Logger;
  fetch: typeof fetch;
  queue: Queue<CheckBatchMessage>;
  now?: () => number;
  clock?: () => number;
  /** Hands alert events to delivery (see alerts/). */
  notify?: (events: AlertEvent[]) => Promise<void>;
};

export type BatchReport = { checks: number; subrequests: number; max_in_flight: number; stored: number; queued: number; events: number };

async function runAndRecord(
  rt: Runtime,
  writer: PointWriter,
  claimed: Claimed[],
  scheduledTime: number,
  packs?: Map<string, Pack>,
): Promise<BatchReport> {
  const clock = rt.clock ?? Date.now;
  const budget = rt.config.subrequestBudget - writer.reserve;
  const { ran, stats } = await runBatch(
    claimed.map((c) => c.spec),
    { fetch: rt.fetch, now: rt.now ?? (() => performance.now()), clock },
    { budget },
  );
  const monitors = new Map(claimed.map((c) => [c.spec.id, { spec: c.spec, pack: c.pack }]));
  const hops = new Map(ran.map((r) => [r.result.monitor, r.hops]));
  const results = ran.map((r) => r.result);
  const rec = await recordResults(rt.config.db, writer, rt.log, results, monitors, {
    hops,
    ranAt: minuteOf(scheduledTime),
    packs,
    notify: rt.notify,
    certWarningDays: rt.config.certWarningDays,
  });
  return {
    checks: ran.length,
    subrequests: stats.subrequests + rec.subrequests,
    max_in_flight: stats.maxInFlight,
    stored: rec.stored,
    queued: rec.queued,
    events: rec.events.length,
  };
}

export type TickReport = BatchReport & {
  due: number;
  /** Heartbeat monitors whose deadline passed without a ping: one failed `missed` result each. */
  missed: number;
  batches: number;
  enqueued_batches: number;
  outbox_delivered: number;
  reminders: number;
  notifications?: DeliveryReport;
};

export async function runTick(rt: Runtime, scheduledTime: number): Promise<TickReport> {
  const started = Date.now();
  const writer = pointWriter(rt);
  const flushed = await writer.flush();
  // A repeated or overlapping tick of the same minute runs no checks; the first one ran them.
  const fresh = await claimTick(rt.config.db, scheduledTime);
  const { claimed, packs } = fresh ? await dueEdge(rt.config.db, scheduledTime) : { claimed: [], packs: new Map<string, Pack>() };
  if (!fresh) rt.log.warn("tick skipped: another tick already ran this minute", { scheduled_time: new Date(scheduledTime).toISOString() });
  const batches = planBatches(
    claimed.map((c) => ({ id: c.spec.id, cost: checkCost(c.last_hops) })),
    rt.config.subrequestBudget,
    writer.reserve + confirmReserve(rt.config.subrequestBudget),
  );
  const byId = new Map(claimed.map((c) => [c.spec.id, c]));
  const rest = batches.slice(1);
  // Queue sends go in chunks of 100 messages (the sendBatch limit).
  for (let i = 0; i < rest.length; i += 100)
    await rt.queue.sendBatch(
      rest.slice(i, i + 100).map((b) => ({
        body: { ids: b.map((x) => x.id), scheduled_time: scheduledTime, packs: [...new Set(b.map((x) => byId.get(x.id)!.pack))] },
      })),
    );
  const reminders = await sendReminders(rt.config.db, rt.log, (rt.clock ?? Date.now)(), rt.config.remindEveryMs, rt.notify);
  const first = batches[0]
    ? await runAndRecord(
        rt,
        writer,
        batches[0].map((x) => byId.get(x.id)!),
        scheduledTime,
        packs,
      )
    : { checks: 0, subrequests: 0, max_in_flight: 0, stored: 0, queued: 0, events: 0 };
  // After the checks: heartbeats that stayed silent past their deadline, judged from the packs read above.
  const missed = fresh
    ? await recordMissed(rt, writer, packs, Math.max(scheduledTime, (rt.clock ?? Date.now)()))
    : { count: 0, subrequests: 0, events: 0 };
  const report: TickReport = {
    ...first,
    subrequests: first.subrequests + flushed.subrequests + missed.subrequests,
    events: first.events + missed.events,
    missed: missed.count,
    due: claimed.length,
    batches: batches.length,
    enqueued_batches: rest.length,
    outbox_delivered: flushed.delivered,
    reminders,
  };
  // Alerts go out after the checks, within the subrequests the checks left over (alerts/delivery.ts).
  report.notifications = await deliverDue(
    deliveryDeps(rt.config.db, rt.log, rt.fetch, rt.clock),
    rt.config.subrequestBudget - report.subrequests,
  );
  report.subrequests += report.notifications.attempted;
  rt.log.info("tick done", { ...report, scheduled_time: new Date(scheduledTime).toISOString(), duration_ms: Date.now() - started });
  return report;
}

/**
 * Records a failed `missed` result for each enabled heartbeat monitor whose deadline passed at `now`, judged from
 * `packs` (the tick's own read: nothing is written for heartbeats with time left). recordResults reads their packs
 * again before it writes, and leaves out a deadline that a ping, landing meanwhile, answered (its point stays).
 */
async function recordMissed(
  rt: Runtime,
  writer: PointWriter,
  packs: Map<string, Pack>,
  now: number,
): Promise<{ count: number; subrequests: number; events: number }> {
  const results = [];
  const monitors = new Map<string, { spec: NonNullable<Member["spec"]>; pack: string }>();
  for (const p of packs.values())
    for (const m of p.members.values()) {
      const why = m.spec && missedDeadline(m.spec, m, now);
      if (!m.spec || !why) continue;
      results.push(missedResult(m.spec, why, now));
      monitors.set(m.spec.id, { spec: m.spec, pack: p.key });
    }
  if (results.length === 0) return { count: 0, subrequests: 0, events: 0 };
  const rec = await recordResults(rt.config.db, writer, rt.log, results, monitors, {
    notify: rt.notify,
    certWarningDays: rt.config.certWarningDays,
    skip: (r, member) => r.heartbeat?.event === "missed" && missedDeadline(monitors.get(r.monitor)!.spec, member, r.ts) === null,
  });
  return { count: results.length, subrequests: rec.subrequests, events: rec.events.length };
}

/** The queue consumer's work for one message: the monitors still enabled on the edge, checked now. */
export async function runQueuedBatch(rt: Runtime, msg: CheckBatchMessage): Promise<BatchReport> {
  const started = Date.now();
  const writer = pointWriter(rt);
  // A message delivered again after its checks were recorded finds them ran in its minute: not run twice.
  const packs = new Map<string, Pack>();
  const minute = minuteOf(msg.scheduled_time);
  const claimed = (await loadForRun(rt.config.db, msg.ids, packs, msg.packs)).filter(
    (c) => (packs.get(c.pack)?.members.get(c.spec.id)?.ran ?? -1) < minute,
  );
  const report: BatchReport & { notifications?: DeliveryReport } = await runAndRecord(rt, writer, claimed, msg.scheduled_time, packs);
  // Like the tick: what this batch's checks raised goes out within the subrequests they left.
  report.notifications = await deliverDue(
    deliveryDeps(rt.config.db, rt.log, rt.fetch, rt.clock),
    rt.config.subrequestBudget - report.subrequests,
  );
  report.subrequests += report.notifications.attempted;
  rt.log.info("check batch done", {
    ...report,
    scheduled_time: new Date(msg.scheduled_time).toISOString(),
    duration_ms: Date.now() - started,
  });
  return report;
}
