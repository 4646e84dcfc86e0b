// Test helpers for the edge project: call the Worker through its real entry point.
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import type { AlertEvent } from "../src/alerts/events.ts";
import { notifier } from "../src/alerts/notify.ts";
import { parseConfig } from "../src/config/config.ts";
import type { Env } from "../src/config/env.ts";
import { createLogger } from "../src/observability/log.ts";
import type { Runtime } from "../src/scheduler/tick.ts";

export const ADMIN = env.ADMIN_TOKEN;

export type Call = { status: number; body: any; headers: Headers };

export async function api(
  method: string,
  path: string,
  opts: { token?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Call> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  const token = opts.token === undefined ? ADMIN : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined) headers["content-type"] ??= "application/json";
  const res = await (exports as any).default.fetch(new Request(`http://worker.test${path}`, { method, headers, body }));
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: keep text */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export async function tokenFor(
  role: "admin" | "editor" | "viewer" | "status",
  name = `${role}-${crypto.randomUUID().slice(0, 8)}`,
): Promise<string> {
  const r = await api("POST", "/api/v1/tokens", { body: { name, role } });
  if (r.status !== 201) throw new Error(`token creation failed: ${JSON.stringify(r.body)}`);
  return r.body.token;
}

export async function agentToken(id = `agent-${crypto.randomUUID().slice(0, 8)}`, location = "dc1"): Promise<string> {
  const r = await api("POST", "/api/v1/agents", { body: { id, location } });
  if (r.status !== 201) throw new Error(`agent registration failed: ${JSON.stringify(r.body)}`);
  return r.body.token;
}

export const httpMonitor = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: `Monitor ${id}`,
  kind: "http",
  target: "http://127.0.0.1:9/",
  ...extra,
});

/** A successful tcp result of `monitor` from `location`, as an agent pushes it; `extra` overrides fields. */
export const agentResult = (monitor: string, location: string, extra: Record<string, unknown> = {}) => ({
  id: `r${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`,
  monitor,
  ts: Date.now(),
  ok: true,
  latency_ms: 1.5,
  location,
  tcp: { port: 5432 },
  ...extra,
});

/** Every embedded point stored (table point_packs, unpacked): its key ("<agent>/<id>" or the edge id), monitor and time. */
export async function storedPoints(db: D1Database, monitor?: string): Promise<Array<{ key: string; monitor: string; ts: number }>> {
  const r = await db
    .prepare(
      `SELECT m.key AS monitor, json_extract(x.value, '$[0]') AS key, json_extract(x.value, '$[4]') AS ts
       FROM point_packs p, json_each(p.body) m, json_each(m.value) x WHERE ?1 IS NULL OR m.key = ?1`,
    )
    .bind(monitor ?? null)
    .all<{ key: string; monitor: string; ts: number }>();
  return r.results;
}

/** Checks a monitor's rollups of `size` count: the stored rows plus the open hours still in its state pack. */
export async function rolledUpChecks(db: D1Database, monitor: string, size: "1h" | "1d" = "1d"): Promise<number> {
  const stored = await db
    .prepare(
      `SELECT COALESCE(SUM(json_extract(l.value, '$[0]')), 0) AS n FROM rollup_packs p, json_each(p.body) m, json_each(m.value) l
       WHERE p.size = ?2 AND m.key = ?1`,
    )
    .bind(monitor, size)
    .first<{ n: number }>();
  const open = await db
    .prepare(
      `SELECT COALESCE(SUM(json_extract(l.value, '$[0]')), 0) AS n FROM state_packs s, json_each(s.body, '$.hours') h, json_each(h.value) m, json_each(m.value) l
       WHERE m.key = ?1`,
    )
    .bind(monitor)
    .first<{ n: number }>();
  return stored!.n + open!.n;
}

/**
 * A runtime for driving the cron tick from a test: the Worker's own configuration (with `vars` over it), the
 * test's clock, and the real notifier (the notification outbox; the tick's delivery step sends), with every
 * event it is given also pushed to `events`.
 */
export function tickRuntime(o: { clock: () => number; events: () => AlertEvent[]; vars?: Partial<Env> }): Runtime {
  const r = parseConfig({ ...(env as unknown as Env), ...o.vars });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return {
    config: r.config,
    log: createLogger("warn"),
    fetch: (i, init) => fetch(i, init),
    queue: r.config.queue,
    clock: o.clock,
    notify: async (e) => {
      o.events().push(...e);
      await notifier(r.config.db, createLogger("warn"))(e);
    },
  };
}
