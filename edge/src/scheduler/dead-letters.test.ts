// The dead-letter queue's consumer, through the Worker's queue handler and real D1: each dead-lettered check batch
// is logged at error level, counted in /metrics, and acked.
import { createExecutionContext, createMessageBatch, env as testEnv, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../config/env.ts";
import worker from "../index.ts";
import { queue } from "./handlers.ts";
import { DEAD_LETTER_COUNTER, isDeadLetterQueue } from "./messages.ts";

const env = testEnv as unknown as Env;

afterEach(() => vi.restoreAllMocks());

/** The counter as the Worker's /metrics shows it. */
async function deadLettered(): Promise<number> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request("http://worker.test/metrics", { headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` } }) as never,
    env,
    ctx,
  );
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  expect(res.status).toBe(200);
  const m = /^uptime_check_batches_dead_lettered_total (\d+)$/m.exec(text);
  expect(m, "the family is on /metrics").not.toBeNull();
  return Number(m![1]);
}

describe("the dead-letter queue's consumer", () => {
  it("logs each dead-lettered batch at error level, counts it in /metrics and acks it", async () => {
    await env.DB.prepare("DELETE FROM counters WHERE name = ?").bind(DEAD_LETTER_COUNTER).run();
    expect(await deadLettered()).toBe(0);
    const lines: Array<Record<string, unknown>> = [];
    vi.spyOn(console, "error").mockImplementation((line: unknown) => lines.push(JSON.parse(String(line))));
    const ids = Array.from({ length: 25 }, (_, i) => `m-${i}`);
    const batch = createMessageBatch("uptime-checks-dlq", [
      { id: "dead-1", timestamp: new Date(1_764_216_000_000), attempts: 1, body: { ids, scheduled_time: 1_764_216_000_000 } },
      { id: "dead-2", timestamp: new Date(1_764_216_060_000), attempts: 2, body: { ids: ["api"], scheduled_time: 1_764_216_060_000 } },
    ]);
    const ctx = createExecutionContext();
    await queue(batch as never, env, ctx);

    expect((await getQueueResult(batch, ctx)).explicitAcks.sort()).toEqual(["dead-1", "dead-2"]);
    expect(lines).toEqual([
      expect.objectContaining({
        level: "error",
        msg: "check batch dead-lettered",
        queue: "uptime-checks-dlq",
        message_id: "dead-1",
        attempts: 1,
        enqueued_at: "2025-11-27T04:00:00.000Z",
        scheduled_time: 1_764_216_000_000,
        monitor_count: 25,
        monitors: ids.slice(0, 20),
      }),
      expect.objectContaining({ level: "error", message_id: "dead-2", monitor_count: 1, monitors: ["api"] }),
    ]);
    expect(await deadLettered()).toBe(2);
  });

  it("tells the dead-letter queue by its suffix, whatever a deployment's prefix", () => {
    expect(["uptime-checks-dlq", "staging-uptime-checks-dlq"].map(isDeadLetterQueue)).toEqual([true, true]);
    expect(["uptime-checks", "dlq-uptime-checks"].map(isDeadLetterQueue)).toEqual([false, false]);
  });
});
