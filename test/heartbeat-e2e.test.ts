// Heartbeat monitors end to end: a job's pings reach the Worker under wrangler dev by URL, sent by the real curl
// as a crontab line would (`curl -fsS -m 10 --retry 3 <ping_url>`); a failure and a silent period page a real
// webhook receiver through the notification outbox; the per-monitor limit is the real [[ratelimits]] binding.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain ESM helper without types
import { LOOPBACK_EGRESS_ALLOW, applyMigrations, startWorker } from "../scripts/lib/wrangler-dev.mjs";
import { apiClient } from "./services/http.ts";
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from "./services/webhook-receiver.ts";

const run = promisify(execFile);
const TOKEN = "hb-admin-token-0123456789abcdef";
const MINUTE = 60_000;

let dir: string;
let receiver: WebhookReceiver;
let worker: { url: string; tick(time?: number, cron?: string): Promise<void>; stop(): Promise<void> };
const api = apiClient(() => worker.url, TOKEN);

/** A job's ping, as its crontab line sends it: curl fails (exit 22) on a 4xx/5xx answer. */
async function curl(url: string, ...extra: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await run("curl", ["-fsS", "-m", "10", "--retry", "3", ...extra, url]);
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

async function received(hook: string): Promise<Array<{ type: string; monitor: { id: string } }>> {
  const r = (await (await fetch(`${receiver.url}/control/requests/${hook}`)).json()) as { requests: ReceivedRequest[] };
  return r.requests.map((x) => JSON.parse(x.body));
}

async function until<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "ium-hb-"));
  receiver = await startWebhookReceiver();
  const state = path.join(dir, "state");
  await applyMigrations({ persistTo: state });
  // RATE_LIMITS is left at its default (on): the [[ratelimits]] bindings of wrangler.toml, as deployed.
  worker = await startWorker({ persistTo: state, vars: { ADMIN_TOKEN: TOKEN, EGRESS_ALLOW: LOOPBACK_EGRESS_ALLOW } });
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  await receiver?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("a heartbeat monitor under wrangler dev", () => {
  it("is pinged by curl, pages on /fail and on silence through the outbox, and recovers on the next ping", async () => {
    const hook = `hb-${Date.now()}`;
    expect((await api("POST", "/api/v1/channels", { id: "hb-hook", kind: "webhook", url: `${receiver.url}/hook/${hook}` })).status).toBe(
      201,
    );
    const created = await api("POST", "/api/v1/monitors", {
      id: "nightly-backup",
      kind: "heartbeat",
      interval_s: 60,
      heartbeat: { grace_s: 0 },
    });
    expect(created.status, created.text).toBe(201);
    const url = created.body.ping_url as string;
    // The URL is the Worker's own, as the request reached it.
    expect(url.startsWith(`${worker.url}/ping/`)).toBe(true);

    expect(await curl(url)).toMatchObject({ code: 0, out: "OK\n" });
    expect((await api("GET", "/api/v1/monitors/nightly-backup")).body.state.status).toBe("up");

    // A run that fails, with its output as the body.
    expect(await curl(`${url}/start`)).toMatchObject({ code: 0 });
    expect(await curl(`${url}/fail`, "--data-raw", "pg_dump: connection refused")).toMatchObject({ code: 0, out: "OK\n" });
    const down = (await api("GET", "/api/v1/monitors/nightly-backup")).body;
    expect(down.state).toMatchObject({ status: "down", last_error: { kind: "other" } });
    expect(down.state.last_error.message).toContain("pg_dump: connection refused");
    await until(
      "the down webhook",
      () => received(hook),
      (r) => r.length >= 1,
    );

    // The next run succeeds: up, and the recovery is sent.
    expect(await curl(`${url}/0`)).toMatchObject({ code: 0 });
    expect((await api("GET", "/api/v1/monitors/nightly-backup")).body.state.status).toBe("up");
    const two = await until(
      "the up webhook",
      () => received(hook),
      (r) => r.length >= 2,
    );
    expect(two.map((e) => [e.type, e.monitor.id])).toEqual([
      ["monitor.down", "nightly-backup"],
      ["monitor.up", "nightly-backup"],
    ]);

    // Then the job goes silent: the cron tick a period (60 s, grace 0) and more later marks it down and pages.
    await worker.tick(Date.now() + 2 * MINUTE);
    const silent = (await api("GET", "/api/v1/monitors/nightly-backup")).body.state;
    expect(silent.status).toBe("down");
    expect(silent.last_error.kind).toBe("timeout");
    expect(silent.last_error.message).toMatch(/^no ping since /);
    const three = await until(
      "the missed webhook",
      () => received(hook),
      (r) => r.length >= 3,
    );
    expect(three[2]).toMatchObject({ type: "monitor.down", monitor: { id: "nightly-backup" } });

    // A wrong key and a wrong suffix: curl -f fails on them, so a broken crontab line shows in the job's mail.
    expect((await curl(`${worker.url}/ping/${"x".repeat(32)}`)).code).toBe(22);
    expect((await curl(`${url}/banana`)).code).toBe(22);
  });

  it("rate limits pings per monitor with the real binding: 429 with Retry-After, another monitor unaffected", async () => {
    const a = await api("POST", "/api/v1/monitors", { id: "chatty-job", kind: "heartbeat" });
    const b = await api("POST", "/api/v1/monitors", { id: "quiet-job", kind: "heartbeat" });
    expect([a.status, b.status]).toEqual([201, 201]);
    const statuses: number[] = [];
    let refused: Response | null = null;
    for (let i = 0; i < 200 && !refused; i++) {
      const res = await fetch(a.body.ping_url, { method: "POST", body: `run ${i}` });
      await res.text();
      if (res.status === 429) refused = res;
      else statuses.push(res.status);
    }
    expect(refused, "no 429 after 200 pings").not.toBeNull();
    expect(refused!.headers.get("retry-after")).toBe("60");
    expect(statuses.length).toBeGreaterThanOrEqual(60);
    expect(new Set(statuses)).toEqual(new Set([200]));
    expect((await fetch(b.body.ping_url)).status).toBe(200);
  });
});
