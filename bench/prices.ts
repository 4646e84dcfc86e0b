// Cloudflare's published prices and the platform limits the benchmarks plan with, in one place.
// Read on 2026-11-30 from stored copies of Cloudflare's documentation (not the live site), so they are
// as old as those copies: check https://developers.cloudflare.com before relying on them. Each figure
// names the page it comes from, by its path under developers.cloudflare.com; "docs source" is the page's
// source file in the cloudflare/cloudflare-docs repository (src/content/...), read where the stored copy of
// the page itself was cut short. A figure not found is said to be so and is null, never guessed.

/** When the figures below were read, from stored copies of the pages they cite. */
export const PRICES_READ_ON = "2026-11-30";

/**
 * Workers (the Worker's invocations: HTTP requests, Cron Triggers, queue consumer batches).
 * - /workers/platform/pricing/ (docs source src/content/docs/workers/platform/pricing.mdx): Free,
 *   100,000 requests per day and 10 ms of CPU time per invocation; Paid (Standard usage model), a
 *   minimum of $5 per month per account, 10 million requests per month included then $0.30 per
 *   additional million, 30 million CPU milliseconds per month included then $0.02 per additional
 *   million CPU ms. Subrequests are not billed (its footnote 1); requests to static assets are free.
 * - What counts as a request: the pricing page bills "inbound requests". That a Cron Trigger
 *   invocation counts as one is said by Cloudflare's announcement of Cron Triggers
 *   (blog.cloudflare.com /introducing-cron-triggers-for-cloudflare-workers: "Scheduled Workers count
 *   towards your request cap"). That a queue consumer invocation is billed as a request was NOT
 *   found stated on the pages read; the benchmarks count every invocation (tick, queue batch, HTTP
 *   request) as one request, the cautious reading.
 */
export const WORKERS_PRICES = {
  free: { requestsPerDay: 100_000, cpuMsPerInvocation: 10 },
  paid: {
    usdPerMonth: 5,
    requestsPerMonth: 10_000_000,
    usdPerMillionRequests: 0.3,
    cpuMsPerMonth: 30_000_000,
    usdPerMillionCpuMs: 0.02,
  },
} as const;

/**
 * D1.
 * - /d1/platform/pricing/ (its table is the docs source partial src/content/partials/workers/d1-pricing.mdx,
 *   also shown on /workers/platform/pricing/): Free, 5 million rows read and 100,000 rows written per
 *   day (reset at 00:00 UTC; the Free plan has no price for going beyond them), 5 GB of storage in
 *   total; Paid, the first 25 billion rows read and 50 million rows written per month included, then
 *   $0.001 per million rows read and $1.00 per million rows written; the first 5 GB stored included,
 *   then $0.75 per GB-month. Rows read are rows scanned, not rows returned; an index adds a row written.
 * - /d1/platform/limits/: a database holds at most 10 GB (Paid) or 500 MB (Free).
 */
export const D1_PRICES = {
  free: { rowsReadPerDay: 5_000_000, rowsWrittenPerDay: 100_000, storageGb: 5 },
  paid: {
    rowsReadPerMonth: 25_000_000_000,
    rowsWrittenPerMonth: 50_000_000,
    usdPerMillionRead: 0.001,
    usdPerMillionWritten: 1.0,
    storageGbIncluded: 5,
    usdPerGbMonth: 0.75,
  },
} as const;

/**
 * Queues.
 * - /queues/platform/pricing/ and /workers/platform/pricing/#queues (docs source partial
 *   src/content/partials/workers/queues_pricing.mdx): an operation is each 64 KB (1 KB = 1,000 bytes,
 *   about 100 bytes of each message are metadata) written, read or deleted, counted per message, not
 *   per batch; delivering a message usually takes 3 operations (write, read, delete) and each retry
 *   another read. Free: 10,000 operations per day included, messages kept 24 hours. Paid: 1,000,000
 *   operations per month included, then $0.40 per million operations. No charge for egress.
 *   (Older copies of these pages had Queues on the Paid plan only; the copy read lists a Free column.)
 */
export const QUEUES_PRICES = {
  bytesPerOperation: 64_000,
  operationsPerMessage: 3,
  free: { operationsPerDay: 10_000 },
  paid: { operationsPerMonth: 1_000_000, usdPerMillionOperations: 0.4 },
} as const;

/**
 * Limits that bound how the scheduler may plan (per invocation unless said otherwise).
 * - Subrequests (/workers/platform/limits/, #subrequests): Free 50 per invocation. Paid: the newest stored
 *   copy of the page says 10,000 per invocation (configurable with `limits.subrequests`); older copies, and
 *   the figure this project was planned with, say 1,000. Both are kept; EDGE_SUBREQUEST_BUDGET (default 50)
 *   is what the Worker actually spends.
 * - Simultaneous open connections (/workers/platform/limits/, #simultaneous-open-connections): 6 per
 *   invocation waiting for response headers, on both plans; a seventh waits.
 * - D1 queries per Worker invocation (/d1/platform/limits/): 50 (Free), 1,000 (Paid).
 * - Queues (/queues/platform/limits/): at most 100 messages (or 256 KB) per sendBatch() call, consumer
 *   batches of at most 100 messages, 128 KB per message, 5,000 messages per second per queue, and at most
 *   250 concurrent consumer invocations per queue (push-based consumers). /queues/configuration/consumer-concurrency/:
 *   consumers scale out on their own up to that maximum (or max_concurrency) as the backlog grows.
 * - CPU time (/workers/platform/limits/): 10 ms per invocation on Free; Paid defaults to 30 s per
 *   invocation, configurable to 5 minutes; a Cron Trigger or queue consumer invocation may use up to
 *   15 minutes (/workers/platform/pricing/).
 */
export const LIMITS = {
  subrequestsPerInvocation: { free: 50, paid: 10_000, paidInOlderCopies: 1_000 },
  simultaneousOpenConnections: 6,
  d1QueriesPerInvocation: { free: 50, paid: 1_000 },
  d1DatabaseMaxBytes: { free: 500_000_000, paid: 10_000_000_000 },
  queues: {
    sendBatchMaxMessages: 100,
    sendBatchMaxBytes: 256_000,
    consumerBatchMaxMessages: 100,
    messageMaxBytes: 128_000,
    messagesPerSecondPerQueue: 5_000,
    maxConcurrentConsumers: 250,
  },
  cpuMsPerInvocation: { free: 10, paidDefault: 30_000, paidMax: 300_000 },
} as const;

/** A month here is 30 days. */
export const DAYS_PER_MONTH = 30;

/** Dollars beyond an included amount: `(used - included) / 1e6 * usdPerMillion`, never below 0. */
export function overage(used: number, included: number, usdPerMillion: number): number {
  return (Math.max(0, used - included) / 1e6) * usdPerMillion;
}
