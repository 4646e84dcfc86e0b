// /healthz (the isolate answers) and /readyz (configuration valid, D1 reachable).
import { Hono } from "hono";
import type { AppEnv } from "../context.ts";

export const healthz = new Hono<AppEnv>();
healthz.get("/healthz", (c) => c.json({ status: "ok" }));

export const readyz = new Hono<AppEnv>();
readyz.get("/readyz", async (c) => {
  const db = c.get("config").db;
  const started = Date.now();
  let d1: { ok: boolean; latency_ms: number; error?: string };
  try {
    await db.prepare("SELECT 1").first();
    d1 = { ok: true, latency_ms: Date.now() - started };
  } catch (e) {
    c.get("log").error("readiness: D1 unreachable", { error: e });
    d1 = { ok: false, latency_ms: Date.now() - started, error: (e as Error).message };
  }
  const ready = d1.ok;
  return c.json({ status: ready ? "ready" : "unavailable", checks: { d1 } }, ready ? 200 : 503);
});
