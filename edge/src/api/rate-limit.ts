// The rate limits (config/rate-limits.ts) at work: failed authentication around every API request, the
// others where the caller is known (auth.ts); a refusal is 429 with Retry-After, counted for /metrics.
import type { Context, MiddlewareHandler } from "hono";
import { formatIp, parseIp } from "../../../contract/egress.ts";
import { RATE_LIMITS, type RateLimitName } from "../config/rate-limits.ts";
import { addCounter } from "../db/counters.ts";
import type { AppEnv, Principal } from "./context.ts";
import { ApiError, errorResponse } from "./errors.ts";

/** The D1 counter of the requests `limit` refused: uptime_rate_limited_total in /metrics. */
export const rateLimitedCounter = (limit: RateLimitName): string => `rate_limited:${limit}`;

/**
 * What an address-keyed limit counts per: the caller's address as Cloudflare gives it (CF-Connecting-IP), an
 * IPv6 one as its /64, which one host usually holds whole. Only local runs lack the header: "unknown".
 */
export function clientKey(address: string | undefined): string {
  const ip = address === undefined ? null : parseIp(address.trim());
  if (!ip) return "unknown";
  if (ip.version === 4) return formatIp(ip);
  return `${formatIp({ version: 6, value: (ip.value >> 64n) << 64n })}/64`;
}

const clientOf = (c: Context<AppEnv>): string => clientKey(c.req.header("cf-connecting-ip"));

/** The 429: which limit, for whom, and when to come back (the binding's period; it tells no more). */
export function rateLimited(limit: RateLimitName, who: string): ApiError {
  const { period, per, counts } = RATE_LIMITS[limit];
  return new ApiError(
    "rate_limited",
    `rate limit "${limit}" reached: too many ${counts} for this ${per} (${who}); retry after ${period} s`,
    [],
    { "retry-after": String(period) },
  );
}

/**
 * Addresses over the failed-auth limit in this isolate, and until when (epoch ms): a request with a token
 * from one is refused before its token is looked up. Bounded; the binding stays the authority.
 */
const overLimit = new Map<string, number>();
const OVER_LIMIT_MAX = 10_000;

function isOverLimit(key: string, now: number): boolean {
  const until = overLimit.get(key);
  if (until === undefined) return false;
  if (until > now) return true;
  overLimit.delete(key);
  return false;
}

function rememberOverLimit(key: string, until: number, now: number): void {
  if (overLimit.size >= OVER_LIMIT_MAX) for (const [k, u] of overLimit) if (u <= now) overLimit.delete(k);
  while (overLimit.size >= OVER_LIMIT_MAX) overLimit.delete(overLimit.keys().next().value!);
  overLimit.delete(key);
  overLimit.set(key, until);
}

/**
 * Refusals not yet added to D1: one write per isolate a second at most, however fast requests are
 * refused, so a flood costs D1 nothing per request. Counts of an isolate that ends within that second are lost.
 */
const pending = new Map<RateLimitName, number>();
let flushScheduled = false;
const FLUSH_AFTER_MS = 1000;

function countRefusal(c: Context<AppEnv>, limit: RateLimitName): void {
  pending.set(limit, (pending.get(limit) ?? 0) + 1);
  if (flushScheduled) return;
  flushScheduled = true;
  const { db } = c.get("config");
  const log = c.get("log");
  const flush = (async () => {
    await new Promise((resolve) => setTimeout(resolve, FLUSH_AFTER_MS));
    const counts = [...pending];
    pending.clear();
    flushScheduled = false;
    const now = Date.now();
    try {
      await db.batch(counts.map(([l, n]) => addCounter(db, rateLimitedCounter(l), n, now)));
    } catch (e) {
      for (const [l, n] of counts) pending.set(l, (pending.get(l) ?? 0) + n);
      log.warn("could not add rate-limited requests to their counters; kept for the next refusal", { error: e });
    }
  })();
  try {
    c.executionCtx.waitUntil(flush);
  } catch {
    /* no execution context (app.request in a unit test): the promise runs on its own */
  }
}

/** Whether `limiter` lets one more request of `key` through; a failing binding lets it through (logged). */
async function allowed(c: Context<AppEnv>, limiter: RateLimit, limit: RateLimitName, key: string): Promise<boolean> {
  try {
    return (await limiter.limit({ key: `${limit}:${key}` })).success;
  } catch (e) {
    c.get("log").warn("rate limit binding failed; the request is let through", { limit, error: e });
    return true;
  }
}

/** Counts this request against `limit` for `key`, and refuses it (429) once the key is over. Nothing when the limit is off. */
export async function enforceRateLimit(c: Context<AppEnv>, limit: RateLimitName, key: string, who = key): Promise<void> {
  const limiter = c.get("config").rateLimits.limiters[limit];
  if (!limiter || (await allowed(c, limiter, limit, key))) return;
  countRefusal(c, limit);
  throw rateLimited(limit, who);
}

/** An authenticated caller: an agent's requests count per agent (its token), everyone else's per token. */
export const limitCaller = (c: Context<AppEnv>, p: Principal): Promise<void> =>
  p.role === "agent"
    ? enforceRateLimit(c, "agent", p.tokenId ?? p.name, p.name)
    : enforceRateLimit(c, "token", p.tokenId ?? "bootstrap", p.name);

/** An anonymous caller of a public page: per client address. */
export const limitAnonymous = (c: Context<AppEnv>): Promise<void> => enforceRateLimit(c, "public", clientOf(c));

/** A heartbeat ping (api/routes/ping.ts): its key in the path is its credential, so an unknown key (404) is failed authentication. */
const isPing = (c: Context<AppEnv>): boolean => c.req.path.startsWith("/ping/");

/**
 * Middleware: failed authentication per client address. Every 401 counts, and every ping with an unknown key (404);
 * the one past the limit is answered 429, and the address's further requests with a token or a ping key are
 * refused without a lookup until the period is over.
 */
export function failedAuthLimit(): MiddlewareHandler<AppEnv> {
  const warned = new WeakSet<object>();
  return async function failedAuthLimitMiddleware(c, next) {
    const config = c.get("config");
    if (config.rateLimits.unbound.length > 0 && !warned.has(config.rateLimits)) {
      warned.add(config.rateLimits);
      c.get("log").warn("rate limits turned on without their bindings are not enforced", { limits: config.rateLimits.unbound });
    }
    const limiter = config.rateLimits.limiters.failed_auth;
    if (!limiter) return next();
    const key = clientOf(c);
    if ((c.req.header("authorization") !== undefined || isPing(c)) && isOverLimit(key, Date.now())) {
      countRefusal(c, "failed_auth");
      throw rateLimited("failed_auth", key);
    }
    await next();
    const failed = c.res.status === 401 || (c.res.status === 404 && isPing(c));
    if (!failed || (await allowed(c, limiter, "failed_auth", key))) return;
    const now = Date.now();
    rememberOverLimit(key, now + RATE_LIMITS.failed_auth.period * 1000, now);
    countRefusal(c, "failed_auth");
    // Unset first: hono would carry the 401's headers (its challenge) over to the new answer.
    c.res = undefined as unknown as Response;
    c.res = errorResponse(rateLimited("failed_auth", key));
  };
}

/** What /readyz tells an admin: the limits enforced, and a warning for each one turned on without its binding. */
export function rateLimitReadiness(config: AppEnv["Variables"]["config"]): { enforced: RateLimitName[]; warnings: string[] } {
  return {
    enforced: Object.keys(config.rateLimits.limiters) as RateLimitName[],
    warnings: config.rateLimits.unbound.map(
      (l) =>
        `rate limit "${l}" is on (RATE_LIMITS) but its binding ${RATE_LIMITS[l].binding} is missing: add it under [[ratelimits]] in wrangler.toml; until then it is not enforced`,
    ),
  };
}
