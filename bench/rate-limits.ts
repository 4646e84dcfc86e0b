// Benchmark: where each rate limit engages. The Worker under `wrangler dev` with wrangler.toml's [[ratelimits]]
// bindings (Miniflare's implementation), limits on; per limit, one key sends `amount` requests from `connections`
// connections as fast as the Worker answers (the attack: 2,000 bad tokens at 20 in flight), with autocannon.
// Reported: the offered rate, how many requests and seconds passed before the first 429, what got through in all,
// and the sustained rate above which the limit engages (its limit over its period). Each run starts early enough in
// a minute to end in it: Miniflare's windows are aligned to the clock.
import { readFileSync } from "node:fs";
import autocannon from "autocannon";
import { newResultId } from "../contract/ids.ts";
import { RATE_LIMITS, type RateLimitName } from "../edge/src/config/rate-limits.ts";
import { TOKEN, cleanup, migrate, round, tempState, worker, type BenchWorker } from "./lib.ts";

const LOCATION = "bench-rl";
const MONITOR = "rl-target";

type Run = {
  limit: RateLimitName;
  request: string;
  key: string;
  connections: number;
  requests: number;
  duration_s: number;
  offered_req_per_s: number;
  /** Answers other than 429 before the first 429 arrived. */
  passed_before_first_429: number | null;
  first_429_after_s: number | null;
  /** Answers other than 429 in the whole run (the window's limit when the run stays in one window). */
  passed: number;
  refused_429: number;
  statuses: Record<string, number>;
  /** The limit engages for a key sending faster than this on average (its limit over its period). */
  engages_above_req_per_s: number;
};

/** The [[ratelimits]] limit of `binding` as wrangler.toml sets it. */
function configuredLimit(binding: string): number {
  const toml = readFileSync(new URL("../wrangler.toml", import.meta.url), "utf8");
  const m = new RegExp(`name = "${binding}"\\n[^\\[]*?simple = \\{ limit = (\\d+), period = (\\d+) \\}`).exec(toml);
  if (!m) throw new Error(`wrangler.toml has no [[ratelimits]] ${binding}`);
  return Number(m[1]);
}

/** Waits until at least `needS` seconds are left in the current minute. */
async function roomInMinute(needS: number): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < needS * 1000) await new Promise((r) => setTimeout(r, left + 200));
}

async function measure(
  w: BenchWorker,
  limit: RateLimitName,
  label: string,
  key: string,
  request: autocannon.Request,
  headers: Record<string, string>,
  o: { amount: number; connections: number },
): Promise<Run> {
  const configured = configuredLimit(RATE_LIMITS[limit].binding);
  await roomInMinute(40);
  let passedBefore = 0;
  let first429At: number | null = null;
  let passed = 0;
  let refused = 0;
  const started = performance.now();
  const r = await autocannon({
    url: w.url,
    connections: o.connections,
    amount: o.amount,
    timeout: 30,
    headers,
    requests: [
      {
        ...request,
        onResponse: (status) => {
          if (status === 429) {
            refused++;
            first429At ??= performance.now();
          } else {
            passed++;
            if (first429At === null) passedBefore++;
          }
        },
      },
    ],
  });
  const durationS = (performance.now() - started) / 1000;
  const statuses = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, s]) => [code, s.count ?? 0]));
  process.stdout.write(`rate-limits: ${limit} measured\n`);
  return {
    limit,
    request: label,
    key,
    connections: o.connections,
    requests: r.requests.total,
    duration_s: round(durationS, 1),
    offered_req_per_s: round(r.requests.total / durationS, 0),
    passed_before_first_429: first429At === null ? null : passedBefore,
    first_429_after_s: first429At === null ? null : round((first429At - started) / 1000, 2),
    passed,
    refused_429: refused,
    statuses,
    engages_above_req_per_s: round(configured / RATE_LIMITS[limit].period, 2),
  };
}

export async function benchRateLimits(o: { amount: number; connections: number }) {
  const state = tempState("ium-bench-rate-limits-");
  try {
    await migrate(state);
    const w = await worker(state, { RATE_LIMITS: "on", PUBLIC_STATUS: "true" });
    try {
      const viewer = await w.api("POST", "/api/v1/tokens", { name: "bench-viewer", role: "viewer" });
      const mon = await w.api("POST", "/api/v1/monitors", { id: MONITOR, kind: "tcp", target: "127.0.0.1:9", locations: [LOCATION] });
      const agent = await w.api("POST", "/api/v1/agents", { id: "rl-agent", location: LOCATION });
      for (const [what, res] of [
        ["token", viewer],
        ["monitor", mon],
        ["agent", agent],
      ] as const)
        if (res.status !== 201) throw new Error(`create ${what}: ${res.status} ${JSON.stringify(res.body)}`);
      const json = { "content-type": "application/json" };
      const runs: Run[] = [];
      runs.push(
        await measure(
          w,
          "failed_auth",
          "GET /api/v1/monitors with a bad token",
          "203.0.113.10",
          { method: "GET", path: "/api/v1/monitors" },
          { authorization: "Bearer ium_not-a-real-token", "cf-connecting-ip": "203.0.113.10" },
          o,
        ),
      );
      runs.push(
        await measure(
          w,
          "token",
          "GET /api/v1/monitors with a viewer token",
          "the viewer token",
          { method: "GET", path: "/api/v1/monitors" },
          { authorization: `Bearer ${viewer.body.token}`, "cf-connecting-ip": "203.0.113.11" },
          o,
        ),
      );
      runs.push(
        await measure(
          w,
          "agent",
          "POST /api/v1/results, one fresh result a push",
          "the agent",
          {
            method: "POST",
            path: "/api/v1/results",
            setupRequest: (req) => {
              const ts = Date.now();
              const result = { id: newResultId(ts), monitor: MONITOR, ts, ok: true, latency_ms: 1, location: LOCATION, tcp: { port: 9 } };
              return { ...req, body: JSON.stringify({ results: [result] }) };
            },
          },
          { authorization: `Bearer ${agent.body.token}`, "cf-connecting-ip": "203.0.113.12", ...json },
          o,
        ),
      );
      runs.push(
        await measure(
          w,
          "public",
          "GET /api/v1/status without a token (PUBLIC_STATUS=true)",
          "203.0.113.13",
          { method: "GET", path: "/api/v1/status" },
          { "cf-connecting-ip": "203.0.113.13" },
          o,
        ),
      );
      // Refusals reach D1 a second after the first of them.
      await new Promise((r) => setTimeout(r, 1500));
      const metrics = await fetch(`${w.url}/metrics`, {
        headers: { authorization: `Bearer ${TOKEN}`, "cf-connecting-ip": "203.0.113.14" },
      });
      const counted = [...(await metrics.text()).matchAll(/^uptime_rate_limited_total\{limit="(\w+)"\} (\d+)$/gm)].map((m) => [
        m[1],
        Number(m[2]),
      ]);
      return { runtime: "wrangler dev (Miniflare's Rate Limiting binding)", runs, metrics: Object.fromEntries(counted) };
    } finally {
      await w.stop();
    }
  } finally {
    cleanup(state);
  }
}
