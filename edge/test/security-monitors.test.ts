// What viewers read of monitors: the configuration without its secrets (header values, request
// bodies, tcp payloads) and errors without a target's answer; editors and admins read everything.
import { describe, expect, it } from "vitest";
import { api, httpMonitor, tokenFor } from "./helpers.ts";

const uid = (p: string) => `${p}-${crypto.randomUUID().slice(0, 8)}`;

describe("monitor configuration for viewers", () => {
  it("hides header values, bodies and tcp payloads from viewers, naming what it hid; editors see them", async () => {
    const web = uid("sec");
    const created = await api("POST", "/api/v1/monitors", {
      body: httpMonitor(web, {
        http: { method: "POST", headers: { Authorization: "Bearer sk_live_123", "X-Env": "prod" }, body: '{"password":"hunter2"}' },
      }),
    });
    expect(created.status).toBe(201);
    expect(created.body.http.headers.Authorization).toBe("Bearer sk_live_123");
    const tcp = uid("sec");
    expect(
      (
        await api("POST", "/api/v1/monitors", {
          body: { id: tcp, kind: "tcp", target: "127.0.0.1:25", interval_s: 10, tcp: { send: "AUTH PLAIN c2VjcmV0\r\n", expect: "235" } },
        })
      ).status,
    ).toBe(201);

    const viewer = await tokenFor("viewer");
    const seen = (await api("GET", `/api/v1/monitors/${web}`, { token: viewer })).body;
    expect(seen.http.headers).toEqual({ Authorization: "***", "X-Env": "***" });
    expect(seen.http.body).toBe("***");
    expect(seen.redacted).toEqual(["http.headers.Authorization", "http.headers.X-Env", "http.body"]);
    const list = (await api("GET", "/api/v1/monitors", { token: viewer })).body.monitors;
    expect(JSON.stringify(list)).not.toContain("sk_live_123");
    expect(JSON.stringify(list)).not.toContain("hunter2");
    expect(JSON.stringify(list)).not.toContain("c2VjcmV0");
    expect(list.find((m: { id: string }) => m.id === tcp).tcp).toMatchObject({ send: "***", expect: "235" });

    const editor = await tokenFor("editor");
    const full = (await api("GET", `/api/v1/monitors/${web}`, { token: editor })).body;
    expect(full.http.headers.Authorization).toBe("Bearer sk_live_123");
    expect(full.redacted).toBeUndefined();
  });
});
