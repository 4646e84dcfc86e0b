// /ping/<key>[/start|/fail|/<exit status>]: a heartbeat monitor's job calls in. The key in the path is the credential
// and alone names the monitor (ids are public on the status page). GET and POST (HEAD as GET); a POST's body, up to
// MAX_PING_BODY bytes, is kept as the ping's message. A ping is answered "OK" in plain text, as healthchecks.io
// answers; a refusal in the API's one error shape (api/errors.ts), which `curl -f` turns into a failure.
import { Hono, type Context } from "hono";
import { notifier } from "../../alerts/notify.ts";
import { updateMember } from "../../db/packs.ts";
import { findPingTarget } from "../../db/ping-keys.ts";
import { afterStart, MAX_PING_BODY, pingEvent, pingMessage, pingResult } from "../../ingest/heartbeat.ts";
import { recordResults } from "../../ingest/record.ts";
import { pointWriter } from "../../ingest/writer.ts";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { sha256Hex } from "../crypto.ts";
import { enforceRateLimit } from "../rate-limit.ts";
import { readPacks } from "../../db/packs.ts";

export const ping = new Hono<AppEnv>();

/** What a key looks like (api/crypto.ts base64url); anything else cannot be one and is not looked up. */
const KEY_SHAPE = /^[A-Za-z0-9_-]{16,128}$/;

const ok = (c: Context<AppEnv>, body = "OK") => c.text(`${body}\n`, 200, { "cache-control": "no-store" });

/** The body, at most MAX_PING_BODY bytes; null when larger (checked as it streams, so a huge body is not read whole). */
async function readCapped(req: Request): Promise<Uint8Array | null> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_PING_BODY) return null;
  if (!req.body) return new Uint8Array();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_PING_BODY) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

async function handlePing(c: Context<AppEnv>, key: string, suffix: string | undefined): Promise<Response> {
  const parsed = pingEvent(suffix);
  if ("error" in parsed) throw new ApiError("invalid_input", parsed.error);
  const body = c.req.method === "POST" ? await readCapped(c.req.raw) : new Uint8Array();
  if (body === null)
    throw new ApiError("payload_too_large", `the ping's body is larger than ${MAX_PING_BODY} bytes; send a shorter message`);
  const { db } = c.get("config");
  const now = Date.now();
  const found = KEY_SHAPE.test(key) ? await findPingTarget(db, await sha256Hex(key), now) : null;
  // Counted as failed authentication per client address (api/rate-limit.ts), so keys cannot be guessed cheaply.
  if (!found) throw new ApiError("not_found", "no heartbeat monitor has this ping key (it may have been rotated or the monitor deleted)");
  const { spec, pack } = found;
  const log = c.get("log").child({ monitor: spec.id });
  if (spec.kind !== "heartbeat")
    throw new ApiError("conflict", `monitor "${spec.id}" is no longer a heartbeat monitor; its ping key takes no pings`);
  // Per monitor: a job in a loop cannot flood its monitor's points and alerts (nor the Worker's D1).
  await enforceRateLimit(c, "ping", spec.id);
  if (!spec.enabled) return ok(c, `OK (monitor "${spec.id}" is paused: this ping is not recorded)`);
  if (parsed.event === "start") {
    await updateMember(db, pack, spec.id, (m) => ({ ...m, hb: afterStart(m.hb, now) }));
    log.info("heartbeat start", {});
    return ok(c);
  }
  const packs = await readPacks(db, [pack]);
  const result = pingResult(spec, packs.get(pack)?.members.get(spec.id)?.hb, {
    event: parsed.event,
    status: parsed.status,
    message: pingMessage(body),
    ts: now,
  });
  const config = c.get("config");
  await recordResults(
    db,
    pointWriter({ config, log, fetch: (i, init) => fetch(i, init) }),
    log,
    [result],
    new Map([[spec.id, { spec, pack }]]),
    {
      packs,
      certWarningDays: config.certWarningDays,
      notify: notifier(db, log, { waitUntil: (p) => c.executionCtx.waitUntil(p) }),
    },
  );
  return ok(c);
}

ping.on(["GET", "POST"], "/:key", (c) => handlePing(c, c.req.param("key"), undefined));
ping.on(["GET", "POST"], "/:key/:suffix", (c) => handlePing(c, c.req.param("key"), c.req.param("suffix")));
