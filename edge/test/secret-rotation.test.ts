// Webhook secret rotation through the real Worker to the real local receiver, which verifies each
// delivery with the Standard Webhooks reference library (npm standardwebhooks): during the grace the
// same request verifies with the old and with the new secret; after it only with the new.
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, inject, it } from "vitest";
import { verifyWebhook } from "../src/alerts/channels/testdata.ts";
import { deliverDue, enqueue, type DeliveryDeps } from "../src/alerts/delivery.ts";
import type { AlertEvent } from "../src/alerts/events.ts";
import { createLogger } from "../src/observability/log.ts";
import { api, tokenFor } from "./helpers.ts";

const receiver = inject("receiverUrl");
const uid = (p: string) => `${p}-${crypto.randomUUID().slice(0, 8)}`;
const GIVEN = `whsec_${btoa("a given secret of thirty-two b!!")}`;

type Received = { headers: Record<string, string>; body: string; at: number };
async function received(hook: string): Promise<Received[]> {
  return ((await (await fetch(`${receiver}/control/requests/${hook}`)).json()) as { requests: Received[] }).requests;
}
/** The receiver's verdict on its `index`-th request to `hook`, checked with `secret` by standardwebhooks. */
async function verify(hook: string, index: number, secret: string): Promise<{ verified: boolean; error?: string }> {
  const r = await fetch(`${receiver}/control/verify/${hook}`, { method: "POST", body: JSON.stringify({ secret, index }) });
  expect(r.status).toBe(200);
  return (await r.json()) as { verified: boolean; error?: string };
}
const signatures = (req: Received) => req.headers["webhook-signature"]!.split(" ");

async function webhookChannel(extra: Record<string, unknown> = {}) {
  const id = uid("rot");
  const r = await api("POST", "/api/v1/channels", { body: { id, kind: "webhook", url: `${receiver}/hook/${id}`, ...extra } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { id, hook: id, secret: r.body.secret as string };
}
// A channel with `monitors: []` takes every monitor's events: each test starts without the others' channels.
beforeEach(async () => {
  await env.DB.batch([
    env.DB.prepare("DELETE FROM notifications"),
    env.DB.prepare("DELETE FROM alert_events"),
    env.DB.prepare("DELETE FROM channels"),
  ]);
});

const rotate = (id: string, body?: unknown, token?: string) => api("POST", `/api/v1/channels/${id}/rotate-secret`, { body, token });

describe("POST /api/v1/channels/:id/rotate-secret, end to end", () => {
  it("signs with both secrets during the grace (each verifies the same delivery), then only with the new", async () => {
    const ch = await webhookChannel();
    const r = await rotate(ch.id, { grace_s: 2 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const fresh: string = r.body.secret;
    expect(fresh).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(fresh).not.toBe(ch.secret);
    const until = Date.parse(r.body.secret_rotation.previous_until);
    expect(r.body).toMatchObject({ id: ch.id, secret_set: true, secret_rotation: { previous_until: expect.any(String) } });

    // The GET view says a rotation is on and until when, and shows neither secret.
    const got = await api("GET", `/api/v1/channels/${ch.id}`);
    expect(got.body.secret_rotation).toEqual({ previous_until: r.body.secret_rotation.previous_until });
    expect(got.body.secret).toBeUndefined();
    const listed = await api("GET", "/api/v1/channels");
    expect(listed.body.channels.find((c: { id: string }) => c.id === ch.id).secret_rotation).toEqual(got.body.secret_rotation);
    for (const text of [JSON.stringify(got.body), JSON.stringify(listed.body)]) {
      expect(text).not.toContain(ch.secret.slice(6));
      expect(text).not.toContain(fresh.slice(6));
    }

    expect((await api("POST", `/api/v1/channels/${ch.id}/test`)).body).toMatchObject({ delivered: true });
    const [during] = await received(ch.hook);
    expect(Number(during!.headers["webhook-timestamp"]) * 1000).toBeLessThan(until); // sent inside the grace
    expect(signatures(during!)).toHaveLength(2);
    expect(await verify(ch.hook, 0, ch.secret)).toEqual({ verified: true });
    expect(await verify(ch.hook, 0, fresh)).toEqual({ verified: true });

    // After the grace (at most 2 s of real time): the old secret no longer verifies, the new one does.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, until - Date.now()) + 50));
    expect((await api("GET", `/api/v1/channels/${ch.id}`)).body.secret_rotation).toBeNull();
    expect((await api("POST", `/api/v1/channels/${ch.id}/test`)).body).toMatchObject({ delivered: true });
    const [, after] = await received(ch.hook);
    expect(signatures(after!)).toHaveLength(1);
    expect(await verify(ch.hook, 1, ch.secret)).toEqual({ verified: false, error: "No matching signature found" });
    expect(await verify(ch.hook, 1, fresh)).toEqual({ verified: true });
  });

  it("signs a notification queued before the rotation when it is sent: with the secrets current then", async () => {
    const monitor = uid("mon");
    const ch = await webhookChannel({ monitors: [monitor] });
    await fetch(`${receiver}/control/script/${ch.hook}`, { method: "PUT", body: JSON.stringify({ answers: [{ status: 503 }] }) });
    const now = Date.now();
    const event: AlertEvent = {
      id: `evt_${monitor}_down`,
      type: "monitor.down",
      timestamp: now,
      monitor: { id: monitor, name: monitor, group: null, kind: "http", status: "down", target: "https://example.com/" },
      incident: null,
      details: {},
    };
    expect(await enqueue(env.DB, event, now)).toBe(1);

    const r = await rotate(ch.id, { grace_s: 3600, secret: GIVEN });
    expect(r.body.secret).toBe(GIVEN);
    const until = Date.parse(r.body.secret_rotation.previous_until);
    let clock = Date.now();
    const deps: DeliveryDeps = {
      db: env.DB,
      fetch: (i, init) => fetch(i, init),
      now: () => clock,
      log: createLogger("error"),
      random: () => 0.5,
    };

    // First attempt, inside the grace: the new secret (which did not exist when it was queued) and the old one.
    expect(await deliverDue(deps, 10)).toMatchObject({ attempted: 1, retrying: 1 });
    const [first] = await received(ch.hook);
    expect(signatures(first!)).toHaveLength(2);
    expect(await verify(ch.hook, 0, GIVEN)).toEqual({ verified: true });
    expect(await verify(ch.hook, 0, ch.secret)).toEqual({ verified: true });

    // Its retry, due after the grace ended: the new signature alone (an hour ahead of the real clock,
    // so checked with the spec-written verifier at that time rather than the library's clock).
    clock = until + 1;
    expect(await deliverDue(deps, 10)).toMatchObject({ attempted: 1, delivered: 1 });
    const [, retry] = await received(ch.hook);
    const atS = Math.floor(clock / 1000);
    expect(retry!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);
    expect(signatures(retry!)).toHaveLength(1);
    expect(await verifyWebhook(GIVEN, retry!.headers, retry!.body, atS)).toBe(true);
    expect(await verifyWebhook(ch.secret, retry!.headers, retry!.body, atS)).toBe(false);
  });

  it("with grace 0 replaces the secret at once; an empty body takes a generated secret and a day's grace", async () => {
    const ch = await webhookChannel();
    const now = await rotate(ch.id, { grace_s: 0 });
    expect(now.status).toBe(200);
    expect(now.body.secret_rotation).toBeNull();
    await api("POST", `/api/v1/channels/${ch.id}/test`);
    expect(signatures((await received(ch.hook))[0]!)).toHaveLength(1);
    expect(await verify(ch.hook, 0, ch.secret)).toMatchObject({ verified: false });
    expect(await verify(ch.hook, 0, now.body.secret)).toEqual({ verified: true });

    const before = Date.now();
    const empty = await api("POST", `/api/v1/channels/${ch.id}/rotate-secret`, { raw: "" });
    expect(empty.status, JSON.stringify(empty.body)).toBe(200);
    expect(empty.body.secret).toMatch(/^whsec_/);
    const until = Date.parse(empty.body.secret_rotation.previous_until);
    expect(until).toBeGreaterThanOrEqual(before + 86_400_000);
    expect(until).toBeLessThan(Date.now() + 86_400_000 + 1000);
  });

  it("a second rotation during the grace keeps only the secret it replaces; a PATCHed secret ends the grace", async () => {
    const ch = await webhookChannel();
    const second = (await rotate(ch.id, { grace_s: 600 })).body.secret as string;
    const third = (await rotate(ch.id, { grace_s: 600 })).body.secret as string;
    await api("POST", `/api/v1/channels/${ch.id}/test`);
    expect(signatures((await received(ch.hook))[0]!)).toHaveLength(2);
    expect(await verify(ch.hook, 0, third)).toEqual({ verified: true });
    expect(await verify(ch.hook, 0, second)).toEqual({ verified: true });
    expect(await verify(ch.hook, 0, ch.secret)).toMatchObject({ verified: false });

    const patched = await api("PATCH", `/api/v1/channels/${ch.id}`, { body: { secret: GIVEN } });
    expect(patched.body.secret_rotation).toBeNull();
    await api("POST", `/api/v1/channels/${ch.id}/test`);
    expect(signatures((await received(ch.hook))[1]!)).toHaveLength(1);
    expect(await verify(ch.hook, 1, GIVEN)).toEqual({ verified: true });
    expect(await verify(ch.hook, 1, third)).toMatchObject({ verified: false });
  });
});

describe("POST /api/v1/channels/:id/rotate-secret, refused", () => {
  it("answers 400 naming the field for a bad grace or secret, changing nothing", async () => {
    const ch = await webhookChannel();
    const cases: Array<[unknown, string]> = [
      [{ grace_s: -1 }, "grace_s"],
      [{ grace_s: 2_592_001 }, "grace_s"],
      [{ grace_s: 1.5 }, "grace_s"],
      [{ grace_s: "1d" }, "grace_s"],
      [{ secret: "hunter2" }, "secret"],
      [{ secret: ch.secret }, "secret"],
      [{ grace_s: 60, previous_until: 0 }, "previous_until"],
    ];
    for (const [body, path] of cases) {
      const r = await rotate(ch.id, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe("invalid_input");
      expect(
        r.body.error.issues.map((i: { path: string }) => i.path),
        JSON.stringify(body),
      ).toEqual([path]);
    }
    expect((await api("GET", `/api/v1/channels/${ch.id}`)).body.secret_rotation).toBeNull();
    await api("POST", `/api/v1/channels/${ch.id}/test`);
    expect(await verify(ch.hook, 0, ch.secret)).toEqual({ verified: true });
  });

  it("answers 403 below admin, 404 for an unknown channel, 409 for a kind that has no secret", async () => {
    const ch = await webhookChannel();
    for (const role of ["editor", "viewer"] as const) {
      const r = await rotate(ch.id, { grace_s: 60 }, await tokenFor(role));
      expect(r.status, role).toBe(403);
      expect(r.body.secret).toBeUndefined();
    }
    expect((await rotate(ch.id, { grace_s: 60 }, null)).status).toBe(401);

    const missing = await rotate("no-such-channel", { grace_s: 60 });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: "not_found", message: 'no channel with id "no-such-channel"' });

    const slack = uid("slack");
    await api("POST", "/api/v1/channels", { body: { id: slack, kind: "slack", url: "https://hooks.example.net/services/x" } });
    const r = await rotate(slack, { grace_s: 60 });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe("conflict");
    expect(r.body.error.message).toBe(
      `channel "${slack}" is a slack channel, which signs nothing and has no secret to rotate: only webhook channels are signed ` +
        "(for the others the URL is the credential: PATCH a new url to replace it)",
    );
    expect((await api("GET", `/api/v1/channels/${ch.id}`)).body.secret_rotation).toBeNull();
  });
});
