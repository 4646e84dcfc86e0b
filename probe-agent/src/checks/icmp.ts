// The agent's ICMP check: echo requests through the pinger (pinger.ts), loss, min/avg/max/stddev RTT, TTL.
import { isIP } from "node:net";
import { clip } from "../../../contract/text.ts";
import type { AgentCheckDeps } from "./deps.ts";
import { refusalError, refusedHost, resolveChecked } from "./egress.ts";
import type { PingResult } from "./pinger.ts";
import { describeSocketError } from "./socket-errors.ts";
import type { CheckFn, CheckOutcome } from "./types.ts";

const round3 = (n: number) => Math.round(n * 1000) / 1000;
/** How long past timeout_ms the check waits for a pinger that overran (it is killed at timeout_ms). */
const PINGER_GRACE_MS = 2000;

/**
 * Sends `icmp.count` echo requests. The check is up when at least one reply came back (loss is
 * reported, and alerting on it is the edge's business); with no reply at all it fails with
 * `unreachable` when an ICMP error said so, else `timeout`.
 */
export const checkIcmp: CheckFn<"icmp", AgentCheckDeps> = async (monitor, deps) => {
  const host = monitor.target;
  const count = monitor.icmp.count;
  const start = deps.now();
  // The egress policy (egress.ts): the host as written, then every address a name resolves to; the pinger gets the one checked.
  const refused = refusedHost(host, null, deps);
  if (refused) return { ok: false, latency_ms: null, error: refusalError(host, refused) };
  let address = host;
  if (!isIP(host)) {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(Object.assign(new Error(`no answer within ${monitor.timeout_ms} ms (timeout_ms)`), { code: "EAI_AGAIN" })),
          monitor.timeout_ms,
        );
      });
      address = (await Promise.race([resolveChecked(host, null, deps), timeout]))[0]!.address;
    } catch (e) {
      return { ok: false, latency_ms: null, error: describeSocketError(e, host) };
    } finally {
      clearTimeout(timer);
    }
  }
  const name = address === host ? host : `${host} (${address})`;
  const remaining = Math.max(100, Math.floor(monitor.timeout_ms - (deps.now() - start)));
  // The pinger bounds its own runs; this bounds a pinger that does not.
  let guard: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    deps.pinger.ping({ address, count, timeoutMs: remaining }),
    new Promise<PingResult>((resolve) => {
      guard = setTimeout(
        () =>
          resolve({
            ok: false,
            error: {
              kind: "other",
              message: `${name}: the pinger gave no result within ${remaining + PINGER_GRACE_MS} ms (${deps.pinger.describe()})`,
            },
          }),
        remaining + PINGER_GRACE_MS,
      );
    }),
  ]);
  clearTimeout(guard);
  if (!result.ok) return { ok: false, latency_ms: null, error: result.error };

  const replies = result.rtts.filter((x): x is number => x !== null);
  const sent = result.rtts.length;
  const avg = replies.length ? replies.reduce((a, b) => a + b, 0) / replies.length : null;
  // The population standard deviation, as iputils ping's mdev and Telegraf's native pinger compute it.
  const stddev = avg === null ? null : Math.sqrt(replies.reduce((a, x) => a + (x - avg) ** 2, 0) / replies.length);
  const out: CheckOutcome = {
    ok: replies.length > 0,
    latency_ms: avg === null ? null : round3(avg),
    error: null,
    icmp: {
      sent,
      received: replies.length,
      loss: sent ? round3(1 - replies.length / sent) : 1,
      rtt_min_ms: replies.length ? round3(Math.min(...replies)) : null,
      rtt_avg_ms: avg === null ? null : round3(avg),
      rtt_max_ms: replies.length ? round3(Math.max(...replies)) : null,
      ...(stddev === null ? {} : { rtt_stddev_ms: round3(stddev) }),
      ...(result.ttl === undefined ? {} : { ttl: result.ttl }),
    },
  };
  if (replies.length === 0)
    out.error = result.icmpError
      ? { kind: "unreachable", message: clip(`${name}: no echo reply to ${sent} requests; ${result.icmpError}`) }
      : {
          kind: "timeout",
          message: clip(
            `${name}: no echo reply to any of ${sent} requests within the timeout (100% loss, timeout_ms ${monitor.timeout_ms})`,
          ),
        };
  return out;
};
