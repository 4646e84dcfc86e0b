// Who sees which error text on the status API: a public caller (PUBLIC_STATUS=true, no token) gets one
// allow-listed phrase per error kind and nothing a check or a target wrote; public_target shows the
// target only, never the http options; a signed-in viewer gets the check's own words but never a
// target's answer (the tcp check's expect-mismatch preview); editors and admins get that answer
// clipped and marked untrusted.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/api/app.ts";
import type { Env } from "../src/config/env.ts";
import { ADMIN, agentToken, api, tokenFor } from "./helpers.ts";

const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
const uid = (p: string) => `${p}-${crypto.randomUUID().slice(0, 6)}`;

/** The app with PUBLIC_STATUS=true, called directly; with a token when one is given. */
async function publicCall(path: string, token: string | null = null): Promise<{ status: number; body: any; text: string }> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const res = await createApp().request(path, { headers }, { ...(env as unknown as Env), PUBLIC_STATUS: "true" }, ctx);
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* SVG */
  }
  return { status: res.status, body, text };
}

const PHRASES: Record<string, RegExp> = {
  timeout: /^timed out$/,
  dns: /^name did not resolve$/,
  refused: /^connection refused$/,
  unreachable: /^host unreachable$/,
  connection: /^connection failed$/,
  tls: /^TLS failed$/,
  status: /^unexpected HTTP status( \d{3})?$/,
  keyword: /^content check failed$/,
  permission: /^checker lacked permission$/,
  other: /^check failed$/,
};

/** One failure of each kind, worded the way hostile or careless agents and targets word them. */
const HOSTILE: Array<{ kind: string; message: string; http?: { status: number } }> = [
  { kind: "timeout", message: "GET http://app.corp.test/ redirected to http://admin.internal.corp:9000/login; no answer within 5000 ms" },
  { kind: "dns", message: "getaddrinfo ENOTFOUND vault.internal.corp" },
  { kind: "refused", message: "connect ECONNREFUSED [fe80::1%eth0]:8443" },
  { kind: "unreachable", message: "connect EHOSTUNREACH ::ffff:10.9.8.7 port 22" },
  { kind: "connection", message: "socket hang up from 2001:db8:0:0:0:0:0:1 via proxy.internal.corp:3128" },
  { kind: "tls", message: "certificate is for *.internal.corp, not app.corp.test" },
  {
    kind: "status",
    message: "GET http://app.corp.test/: got 503 Service Unavailable (X-Backend: db7.internal.corp), expected 2xx",
    http: { status: 503 },
  },
  { kind: "keyword", message: 'keyword "CANARY-KW" missing; body was Q0FOQVJZLXNlY3JldA== and %53%45%43%52%45%54' },
  { kind: "permission", message: "EACCES opening a raw socket on bastion.internal.corp" },
  { kind: "other", message: "unexpected: token=sk_live_abcdef1234567890 at http%3A%2F%2Fadmin.internal.corp" },
];
const LEAKS = [
  "internal.corp",
  "app.corp.test",
  "fe80",
  "ffff",
  "2001:db8",
  "Q0FOQVJZ",
  "%53%45",
  "sk_live",
  "CANARY",
  "X-Backend",
  "dc1-",
];

const BANNER = "SECRET-BANNER mysql 8.0.33-internal \u0007 **bold** @everyone ";
const tcpMismatch = (answer: string) =>
  `db-internal.corp.test:5432: expected "PONG" but received ${answer.length} bytes before the server closed the connection: ${
    answer.length > 200 ? `${JSON.stringify(answer.slice(0, 200))}…` : JSON.stringify(answer)
  }`;

const loc = uid("secloc");
const MIXED = uid("mixed");
const TCP = uid("sectcp");
const PT = uid("pubtarget");
let agent: string;
let viewer: string;
let editor: string;

function failure(monitor: string, ago: number, error: { kind: string; message: string }, extra: Record<string, unknown> = {}) {
  return {
    id: `r${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`,
    monitor,
    ts: Date.now() - ago,
    ok: false,
    latency_ms: null,
    location: loc,
    error,
    ...extra,
  };
}

beforeAll(async () => {
  agent = await agentToken(uid("dc1-sec"), loc);
  viewer = await tokenFor("viewer");
  editor = await tokenFor("editor");
  const make = async (body: unknown) => expect((await api("POST", "/api/v1/monitors", { body })).status).toBe(201);
  await make({ id: MIXED, name: "App", kind: "http", runner: "agent", target: "http://app.corp.test/", interval_s: 30, locations: [loc] });
  await make({
    id: TCP,
    name: "DB",
    kind: "tcp",
    runner: "agent",
    target: "db-internal.corp.test:5432",
    interval_s: 30,
    locations: [loc],
    tcp: { send: "PING", expect: "PONG" },
  });
  await make({
    id: PT,
    name: "Intranet",
    kind: "http",
    runner: "agent",
    target: "http://intranet.example.test:8080/health?key=k123",
    interval_s: 30,
    locations: [loc],
    public_target: true,
    http: { keyword: "CANARY-KW", headers: { authorization: "Bearer tok-xyz-secret" } },
  });
  const results = [
    ...HOSTILE.map((e, i) =>
      failure(MIXED, (HOSTILE.length - i) * 1000, { kind: e.kind, message: e.message }, e.http ? { http: e.http } : {}),
    ),
    failure(TCP, 3000, { kind: "keyword", message: tcpMismatch("x".repeat(300) + BANNER) }, { tcp: { port: 5432 } }),
    failure(TCP, 2000, { kind: "keyword", message: tcpMismatch(BANNER) }, { tcp: { port: 5432 } }),
    failure(PT, 1000, {
      kind: "keyword",
      message: 'GET http://intranet.example.test:8080/health: keyword "CANARY-KW" was not found in the body',
    }),
  ];
  const r = await api("POST", "/api/v1/results", { token: agent, body: { results } });
  expect(r.status, JSON.stringify(r.body)).toBe(202);
});

describe("public status views (PUBLIC_STATUS=true, no token)", () => {
  it("publish only the allow-listed phrase of each error kind, never a word the check or target wrote", async () => {
    const r = await publicCall(`/api/v1/status/${MIXED}`);
    expect(r.status).toBe(200);
    const errors = r.body.checks.filter((c: any) => !c.ok).map((c: any) => c.error);
    expect(errors.map((e: any) => e.kind).sort()).toEqual(HOSTILE.map((e) => e.kind).sort());
    for (const e of errors) {
      expect(e.message, e.kind).toMatch(PHRASES[e.kind]!);
      expect(Object.keys(e).sort()).toEqual(["kind", "message"]);
    }
    expect(errors.find((e: any) => e.kind === "status").message).toBe("unexpected HTTP status 503");
    expect(r.body.monitor.last_error).toEqual({ kind: "other", message: "check failed" });
    for (const leak of LEAKS) expect(r.text, leak).not.toContain(leak);
    expect(r.body.monitor.target).toBeNull();
  });

  it("never show a tcp target's answer", async () => {
    const r = await publicCall(`/api/v1/status/${TCP}`);
    expect(r.body.monitor.last_error).toEqual({ kind: "keyword", message: "content check failed" });
    for (const leak of ["SECRET-BANNER", "PONG", "db-internal", "xxxx", "everyone"]) expect(r.text, leak).not.toContain(leak);
  });

  it("show a public_target monitor's target, but not its keyword, headers or query", async () => {
    const r = await publicCall(`/api/v1/status/${PT}`);
    expect(r.body.monitor.target).toBe("http://intranet.example.test:8080/health");
    expect(r.body.monitor.last_error).toEqual({ kind: "keyword", message: "content check failed" });
    for (const leak of ["CANARY-KW", "tok-xyz-secret", "k123", "authorization"]) expect(r.text, leak).not.toContain(leak);
  });

  it("leave badges and the list free of error text", async () => {
    for (const path of ["/api/v1/status", `/badge/${TCP}/status.svg`, `/badge/${MIXED}/shields.json`]) {
      const r = await publicCall(path);
      expect(r.status, path).toBe(200);
      for (const leak of [...LEAKS, "SECRET-BANNER", "db-internal"]) expect(r.text, `${path} ${leak}`).not.toContain(leak);
    }
  });
});

describe("signed-in viewers", () => {
  it("see the check's full words, in public mode too (a token is still read there)", async () => {
    for (const call of [
      () => api("GET", `/api/v1/status/${MIXED}`, { token: viewer }),
      () => publicCall(`/api/v1/status/${MIXED}`, viewer),
    ]) {
      const r = await call();
      expect(r.status).toBe(200);
      const messages = r.body.checks.filter((c: any) => !c.ok).map((c: any) => c.error.message);
      expect(messages.sort()).toEqual(HOSTILE.map((e) => e.message).sort());
      expect(r.body.monitor.target).toBe("http://app.corp.test/");
    }
  });

  it("never see a tcp target's answer, only the check's own words", async () => {
    for (const call of [() => api("GET", `/api/v1/status/${TCP}`, { token: viewer }), () => publicCall(`/api/v1/status/${TCP}`, viewer)]) {
      const r = await call();
      expect(r.status).toBe(200);
      const text = JSON.stringify(r.body);
      for (const leak of ["SECRET-BANNER", "xxxx", "everyone", "untrusted"]) expect(text, leak).not.toContain(leak);
      expect(r.body.monitor.last_error.kind).toBe("keyword");
      expect(r.body.monitor.last_error.message).toContain(
        `db-internal.corp.test:5432: expected "PONG" but received ${BANNER.length} bytes before the server closed the connection`,
      );
      expect(r.body.checks.filter((c: any) => !c.ok)).toHaveLength(2);
    }
  });

  it("a bad token is refused in public mode, not ignored", async () => {
    expect((await publicCall(`/api/v1/status/${TCP}`, "not-a-token")).status).toBe(401);
  });
});

describe("editors and admins", () => {
  it("get a tcp target's answer apart from the message, clipped and marked untrusted", async () => {
    for (const token of [editor, ADMIN]) {
      const r = await api("GET", `/api/v1/status/${TCP}`, { token });
      const last = r.body.monitor.last_error;
      expect(last.message).not.toContain("SECRET-BANNER");
      expect(last.message).toContain('expected "PONG"');
      expect(last.untrusted_target_answer).toContain("SECRET-BANNER");
      const long = r.body.checks.find((c: any) => !c.ok && c.error.untrusted_target_answer.startsWith('"xxx'));
      expect(long.error.untrusted_target_answer.length).toBeLessThanOrEqual(120);
      expect(long.error.untrusted_target_answer).not.toContain("SECRET-BANNER");
    }
  });
});
