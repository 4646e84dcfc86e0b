// Caps on what the API stores, and the per-host budget: so no editor can grow the tables without
// bound or aim every monitor at one host. Each refusal names the limit and the setting that raises it.
import { parseHostPort, type MonitorSpec } from "../../../contract/index.ts";
import type { Config } from "../config/config.ts";
import { ApiError } from "./errors.ts";

/** 409 when `count` things of a kind already exist and the cap is `cap`. */
export function requireRoom(what: string, count: number, cap: number, setting: string): void {
  if (count >= cap)
    throw new ApiError("conflict", `there are already ${count} ${what}, the most this Worker keeps; delete some or raise ${setting}`, [
      { path: "", message: `at most ${cap} ${what} (${setting})` },
    ]);
}

/** The host a monitor's checks connect to, lower-cased, or null when the target has none (never for a valid monitor). */
export function targetHost(kind: string, target: string): string | null {
  if (kind === "http") {
    try {
      return new URL(target).hostname.toLowerCase();
    } catch {
      return null;
    }
  }
  if (kind === "icmp") return target.toLowerCase();
  const hp = parseHostPort(target);
  return typeof hp === "string" ? null : hp.host.toLowerCase();
}

type Load = { kind: string; target: string; interval_s: number; body_bytes: number };

/**
 * 409 when `spec`, together with every other enabled monitor aimed at the same host, would send
 * that host more checks, or more request-body bytes, per minute than the budget allows.
 */
export function requireHostBudget(spec: MonitorSpec, others: Load[], caps: Config["caps"]): void {
  if (!spec.enabled) return;
  const host = targetHost(spec.kind, spec.target);
  if (host === null) return;
  const bodyBytes = spec.kind === "http" && spec.http.body !== null ? new TextEncoder().encode(spec.http.body).length : 0;
  let checks = 60 / spec.interval_s;
  let bytes = (bodyBytes * 60) / spec.interval_s;
  for (const o of others) {
    if (targetHost(o.kind, o.target) !== host) continue;
    checks += 60 / o.interval_s;
    bytes += (o.body_bytes * 60) / o.interval_s;
  }
  if (checks > caps.hostChecksPerMin)
    throw new ApiError(
      "conflict",
      `monitors would check ${host} ${checks.toFixed(1)} times a minute; the budget per host is ${caps.hostChecksPerMin}`,
      [{ path: "target", message: `too many checks per minute aimed at ${host} (HOST_CHECKS_PER_MIN)` }],
    );
  if (bytes > caps.hostBodyBytesPerMin)
    throw new ApiError(
      "conflict",
      `monitors would send ${host} ${Math.round(bytes)} request-body bytes a minute; the budget per host is ${caps.hostBodyBytesPerMin}`,
      [{ path: "http.body", message: `too many request-body bytes per minute sent to ${host} (HOST_BODY_BYTES_PER_MIN)` }],
    );
}
