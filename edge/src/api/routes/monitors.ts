// /api/v1/monitors: list, create, read, change and delete monitors.
import { Hono } from "hono";
import { GraceSeconds, Monitor, MonitorId, mergePatch, toRfc3339 } from "../../../../contract/index.ts";
import { z } from "zod";
import { allPingKeyInfo, deletePingKey, insertPingKey, pingKeyInfo, rotatePingKey, type PingKeyInfo } from "../../db/ping-keys.ts";
import { newPingKey, sha256Hex } from "../crypto.ts";
import { requireRole } from "../auth.ts";
import { limitBody, readBody, readJson, readPatch, validate } from "../body.ts";
import type { AppEnv } from "../context.ts";
import {
  deleteMonitor,
  getMonitor,
  initialState,
  insertMonitor,
  listMonitors,
  monitorView,
  targetLoads,
  updateMonitor,
} from "../../db/monitors.ts";
import { countOf } from "../../db/counts.ts";
import { requireHostBudget, requireRoom } from "../limits.ts";
import { redactMonitorView } from "../redact.ts";
import { ApiError } from "../errors.ts";

export const monitors = new Hono<AppEnv>();

const notFound = (id: string) => new ApiError("not_found", `no monitor with id "${id}"`);

/** A heartbeat's ping URL on this Worker, as the request reached it: shown once, when a key is made. */
const pingUrl = (requestUrl: string, key: string) => `${new URL(requestUrl).origin}/ping/${key}`;

/** What a heartbeat monitor's view says of its key: whether one is set and when it was rotated; never the key. */
function pingKeyView(kind: string, info: PingKeyInfo | null | undefined, now = Date.now()) {
  if (kind !== "heartbeat") return {};
  return {
    ping_key: {
      set: Boolean(info),
      created_at: toRfc3339(info?.created_at),
      rotated_at: toRfc3339(info?.rotated_at),
      previous_until: info?.previous_until && info.previous_until > now ? toRfc3339(info.previous_until) : null,
    },
  };
}

/** A day: time to change the job's crontab; at most 30 days, as for webhook secrets. */
const RotatePingKeyInput = z.strictObject({
  grace_s: GraceSeconds(30 * 86400, 86400, { min: " (0 replaces the key at once)", max: " (30 days)" }),
});

monitors.get("/", requireRole("viewer"), async (c) => {
  const db = c.get("config").db;
  const [all, keys] = await Promise.all([listMonitors(db), allPingKeyInfo(db)]);
  const role = c.get("principal").role;
  return c.json({
    monitors: all.map((m) => ({ ...redactMonitorView(monitorView(m), role), ...pingKeyView(m.spec.kind, keys.get(m.spec.id)) })),
  });
});

// Writes build their answer before they commit: a write either answers its view or changes nothing.
monitors.post("/", requireRole("editor"), limitBody(), async (c) => {
  const spec = await readBody(c, Monitor, "monitor");
  const { db, caps } = c.get("config");
  requireRoom("monitors", await countOf(db, "monitors"), caps.monitors, "MAX_MONITORS");
  requireHostBudget(spec, await targetLoads(db, spec.id), caps);
  const now = Date.now();
  const view = monitorView({ spec, created_at: now, updated_at: now, state: initialState(spec, now) });
  // A heartbeat's ping key: made now, written with the monitor, and shown this once (only its hash is kept;
  // rotate-ping-key makes another).
  const key = spec.kind === "heartbeat" ? newPingKey() : null;
  const also = key === null ? [] : [insertPingKey(db, spec.id, await sha256Hex(key), now)];
  if (!(await insertMonitor(db, spec, now, also)))
    throw new ApiError("conflict", `a monitor with id "${spec.id}" already exists`, [{ path: "id", message: "is already taken" }]);
  c.get("log").info("monitor created", { monitor: spec.id, kind: spec.kind, runner: spec.runner });
  const ping =
    key === null
      ? {}
      : { ...pingKeyView(spec.kind, { created_at: now, rotated_at: null, previous_until: null }), ping_url: pingUrl(c.req.url, key) };
  return c.json({ ...redactMonitorView(view, c.get("principal").role), ...ping }, 201, {
    location: `/api/v1/monitors/${encodeURIComponent(spec.id)}`,
  });
});

monitors.get("/:id", requireRole("viewer"), async (c) => {
  const id = c.req.param("id");
  const db = c.get("config").db;
  const m = await getMonitor(db, id);
  if (!m) throw notFound(id);
  const keyInfo = m.spec.kind === "heartbeat" ? await pingKeyInfo(db, id) : null;
  return c.json({ ...redactMonitorView(monitorView(m), c.get("principal").role), ...pingKeyView(m.spec.kind, keyInfo) });
});

monitors.patch("/:id", requireRole("editor"), limitBody(), async (c) => {
  const id = c.req.param("id");
  const patch = await readPatch(c);
  const db = c.get("config").db;
  const current = await getMonitor(db, id);
  if (!current) throw notFound(id);
  if ("id" in patch && patch.id !== id)
    throw new ApiError("invalid_input", "a monitor's id cannot be changed; create a new monitor instead", [
      { path: "id", message: "cannot be changed" },
    ]);
  // A heartbeat is stored with target "" (it has none); the patch applies to it without one.
  const { target: _none, ...targetless } = current.spec;
  const base = current.spec.kind === "heartbeat" ? targetless : current.spec;
  const spec = validate(Monitor, mergePatch(base, patch), "monitor");
  requireHostBudget(spec, await targetLoads(db, spec.id), c.get("config").caps);
  const now = Date.now();
  // Pausing or resuming resets the state (updateMonitor), so the answer shows the state stored.
  const state = await updateMonitor(db, spec, now);
  if (!state) throw notFound(id);
  const view = monitorView({ ...current, spec, updated_at: now, state });
  c.get("log").info("monitor updated", { monitor: id, fields: Object.keys(patch) });
  // A monitor made a heartbeat gets its ping key now, shown this once; one that stops being a heartbeat loses it.
  let ping = {};
  if (spec.kind === "heartbeat" && current.spec.kind !== "heartbeat") {
    const key = newPingKey();
    await rotatePingKey(db, id, await sha256Hex(key), 0, now);
    ping = { ...pingKeyView(spec.kind, { created_at: now, rotated_at: now, previous_until: null }), ping_url: pingUrl(c.req.url, key) };
  } else if (spec.kind !== "heartbeat" && current.spec.kind === "heartbeat") await deletePingKey(db, id).run();
  else if (spec.kind === "heartbeat") ping = pingKeyView(spec.kind, await pingKeyInfo(db, id));
  return c.json({ ...redactMonitorView(view, c.get("principal").role), ...ping });
});

monitors.delete("/:id", requireRole("editor"), async (c) => {
  const id = c.req.param("id");
  if (!MonitorId.safeParse(id).success || !(await deleteMonitor(c.get("config").db, id))) throw notFound(id);
  c.get("log").info("monitor deleted", { monitor: id });
  return c.body(null, 204);
});

/**
 * Gives a heartbeat monitor a new ping key, shown in the answer's `ping_url` this once; the key it replaces keeps
 * working for `grace_s` seconds (default a day; 0: stops at once), so the job's crontab can change meanwhile.
 */
monitors.post("/:id/rotate-ping-key", requireRole("editor"), limitBody(), async (c) => {
  const id = c.req.param("id");
  const raw = (await c.req.text()).trim() === "" ? {} : await readJson(c);
  const input = validate(RotatePingKeyInput, raw, "rotation");
  const db = c.get("config").db;
  const current = MonitorId.safeParse(id).success ? await getMonitor(db, id) : null;
  if (!current) throw notFound(id);
  if (current.spec.kind !== "heartbeat")
    throw new ApiError("conflict", `monitor "${id}" is a ${current.spec.kind} monitor; only heartbeat monitors have a ping key`);
  const key = newPingKey();
  const now = Date.now();
  if (!(await rotatePingKey(db, id, await sha256Hex(key), input.grace_s, now))) throw notFound(id);
  c.get("log").info("ping key rotated", { monitor: id, grace_s: input.grace_s, by: c.get("principal").name });
  return c.json({
    id,
    ...pingKeyView("heartbeat", await pingKeyInfo(db, id), now),
    previous_until: input.grace_s > 0 ? toRfc3339(now + input.grace_s * 1000) : null,
    ping_url: pingUrl(c.req.url, key),
  });
});
