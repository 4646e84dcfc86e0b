// /readyz answers anyone, so it tells an anonymous caller only whether the Worker is ready: no point
// store origin, no error text, no counts. An admin's token brings the detail back.
import { env } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { createApp } from "../src/api/app.ts";
import type { Env } from "../src/config/env.ts";
import { ADMIN, api, tokenFor } from "./helpers.ts";

const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
// A local server that is not InfluxDB: /ping answers 404, so the store's error names INFLUX_URL's origin.
const influxOrigin = new URL(inject("receiverUrl")).origin;
const host = new URL(influxOrigin).host;

async function readyz(token: string | null) {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const res = await createApp().request("/readyz", { headers }, { ...(env as unknown as Env), INFLUX_URL: influxOrigin }, ctx);
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) };
}

describe("GET /readyz", () => {
  it("tells an anonymous caller only the status: no origin, no error text", async () => {
    const r = await readyz(null);
    expect(r.status).toBe(503);
    expect(r.body).toEqual({ status: "unavailable" });
    expect(r.text).not.toContain(host);
    expect(r.text).not.toContain("127.0.0.1");
    expect(r.text).not.toContain("INFLUX");
  });

  it("tells viewers and editors no more than anonymous callers", async () => {
    for (const role of ["viewer", "editor"] as const) {
      const r = await readyz(await tokenFor(role));
      expect(r.status, role).toBe(503);
      expect(r.body, role).toEqual({ status: "unavailable" });
    }
  });

  it("gives an admin the detail, origin and error included", async () => {
    const r = await readyz(ADMIN);
    expect(r.status).toBe(503);
    expect(r.body.status).toBe("unavailable");
    expect(r.body.checks.d1.ok).toBe(true);
    expect(r.body.checks.point_store).toMatchObject({ store: "influxdb", ok: false });
    expect(r.body.checks.point_store.error).toContain(influxOrigin);
    expect(r.body.outbox).toMatchObject({ depth: expect.any(Number), dropped: expect.any(Number) });
  });

  it("is ready with the embedded store, and still needs no token", async () => {
    const anonymous = await api("GET", "/readyz", { token: null });
    expect(anonymous.status).toBe(200);
    expect(anonymous.body).toEqual({ status: "ready" });
    const admin = await api("GET", "/readyz");
    expect(admin.body).toMatchObject({ status: "ready", checks: { d1: { ok: true }, point_store: { store: "embedded", ok: true } } });
  });

  it("refuses a token it does not know rather than ignoring it", async () => {
    expect((await readyz("not-a-real-token")).status).toBe(401);
  });
});
