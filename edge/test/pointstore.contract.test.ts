// One contract for every PointStore: the embedded store on D1 and InfluxDB (with and without auth) must answer alike.
import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckResult } from "../../contract/index.ts";
import type { InfluxConfig } from "../src/config/config.ts";
import { EmbeddedPointStore } from "../src/db/points.ts";
import { InfluxPointStore } from "../src/points/influx.ts";
import { PointStoreError, type PointStore, type StoredResult, type UptimeReport } from "../src/points/store.ts";
import { dropDatabase, freshDatabase, influxOpen, influxWithAuth, type Endpoint } from "./points-influx.ts";

const MIN = 60_000;
const H = 3_600_000;
/** 2025-11-27T00:00:00Z: a UTC midnight, so 1h and 1d buckets start on it. */
const D = 1_764_201_600_000;
/** 10:00 UTC on day 1. */
const H0 = D + 10 * H;

type Seed = { written: StoredResult; read: CheckResult };

/** The seeded results of one suite, with what checks() must return for each (the schema's normalisation spelled out by hand). */
function seed(p: string) {
  const ids = {
    web: `${p}-web`,
    other: `${p}-web2`,
    db: `${p}-db`,
    ping: `${p}-ping`,
    cert: `${p}-cert`,
    none: `${p}-none`,
    hb: `${p}-hb`,
    dns: `${p}-dns`,
  };
  let n = 0;
  type Given = Partial<CheckResult> & Pick<CheckResult, "ts" | "ok">;
  const make = (
    kind: StoredResult["kind"],
    target: string,
    r: Given & Pick<CheckResult, "monitor">,
    read: Partial<CheckResult> = {},
  ): Seed => {
    const written = {
      id: `${p}-r${String(++n).padStart(3, "0")}`,
      latency_ms: null,
      location: "edge",
      agent: null,
      error: null,
      ...r,
      kind,
      target,
    } as StoredResult;
    const { kind: _k, target: _t, ...base } = written;
    return { written, read: { ...base, ...read } };
  };
  const webUrl = "https://status.example.test/health?a=1,b=2 c";
  const web = (r: Given, read?: Partial<CheckResult>) => make("http", webUrl, { ...r, monitor: ids.web }, read);
  const ok200 = { status: 200, content_length: 512 };
  const noHttp = { http: { status: null, content_length: null } };

  const a = {
    beforeWindow: web({ ts: H0 - 1, ok: true, latency_ms: 100, http: ok200 }),
    onBoundary: web({ ts: H0, ok: true, latency_ms: 10, http: ok200 }),
    agentOk: web({
      ts: H0 + 15 * MIN,
      ok: true,
      latency_ms: 20,
      location: "dc1",
      agent: "dc1-a",
      http: { status: 200, content_length: null },
    }),
    failedWithLatency: web({
      ts: H0 + 30 * MIN,
      ok: false,
      latency_ms: 5000,
      error: { kind: "timeout", message: "no response within 5000 ms" },
      http: { status: null, content_length: null },
    }),
    okNoLatency: web({ ts: H0 + 45 * MIN, ok: true, latency_ms: null, http: { status: 204, content_length: 0 } }),
    noon: web({ ts: H0 + 2 * H, ok: true, latency_ms: 30, location: "dc1", agent: "dc1-a", http: { ...ok200, keyword_matched: true } }),
    status503: web({
      ts: H0 + 2 * H + 10 * MIN,
      ok: false,
      latency_ms: 40,
      error: { kind: "status", message: 'expected 2xx, got 503 "Service Unavailable" \\ retry, later=yes' },
      http: { status: 503, content_length: 17 },
    }),
    noonOk: web({ ts: H0 + 2 * H + 20 * MIN, ok: true, latency_ms: 50, http: ok200 }),
    atTo: web({ ts: H0 + 3 * H, ok: true, latency_ms: 999, http: ok200 }),
    day2: web({ ts: D + 24 * H + H, ok: true, latency_ms: 12.5, http: ok200 }),
    // No http block at all: it reads back with nulls, as the schema keeps it.
    day2Dns: web(
      { ts: D + 24 * H + 5 * H, ok: false, error: { kind: "dns", message: "getaddrinfo ENOTFOUND status.example.test" } },
      noHttp,
    ),
  };
  // Same monitor id but another kind: never mixed into the http queries.
  const webAsTcp = make("tcp", "status.example.test:443", {
    monitor: ids.web,
    ts: H0 + H + 30 * MIN,
    ok: true,
    latency_ms: 3,
    tcp: { port: 443 },
  });
  // Another monitor, in the same windows: must not leak in (b2 would fill the empty 11:00 bucket).
  const other = [
    make("http", webUrl, {
      monitor: ids.other,
      ts: H0 + 5 * MIN,
      ok: false,
      latency_ms: 1,
      error: { kind: "refused", message: "connection refused" },
      http: { status: null, content_length: null },
    }),
    make("http", webUrl, { monitor: ids.other, ts: H0 + H + 5 * MIN, ok: true, latency_ms: 7, http: ok200 }),
    make("http", webUrl, { monitor: ids.other, ts: D + 24 * H + H + 1, ok: true, latency_ms: 8, http: ok200 }),
  ];
  const tcp = [
    make("tcp", "db.internal:5432", {
      monitor: ids.db,
      ts: H0,
      ok: true,
      latency_ms: 1.84,
      location: "dc1",
      agent: "dc1-a",
      tcp: { port: 5432, expect_found: true },
    }),
    make("tcp", "db.internal:5432", {
      monitor: ids.db,
      ts: H0 + MIN,
      ok: false,
      latency_ms: 0.25,
      location: "dc1",
      agent: "dc1-b",
      error: { kind: "refused", message: "connect ECONNREFUSED 10.0.0.5:5432" },
      tcp: { port: 5432 },
    }),
    // No tcp block: the port comes back from the target.
    make(
      "tcp",
      "db.internal:5432",
      { monitor: ids.db, ts: H0 + 2 * MIN, ok: true, latency_ms: 2, location: "dc1", agent: "dc1-a" },
      { tcp: { port: 5432 } },
    ),
  ];
  const icmp = [
    make("icmp", "10.0.0.1", {
      monitor: ids.ping,
      ts: H0,
      ok: true,
      latency_ms: 0.5,
      location: "dc2",
      agent: "dc2-a",
      icmp: { sent: 3, received: 3, loss: 0, rtt_min_ms: 0.25, rtt_avg_ms: 0.5, rtt_max_ms: 0.75, rtt_stddev_ms: 0.204, ttl: 64 },
    }),
    make("icmp", "10.0.0.1", {
      monitor: ids.ping,
      ts: H0 + MIN,
      ok: false,
      location: "dc2",
      agent: "dc2-a",
      error: { kind: "timeout", message: "1 of 3 probes lost" },
      icmp: { sent: 3, received: 2, loss: 1 / 3, rtt_min_ms: 1.5, rtt_avg_ms: 2, rtt_max_ms: 2.5 },
    }),
    make("icmp", "10.0.0.1", {
      monitor: ids.ping,
      ts: H0 + 2 * MIN,
      ok: false,
      location: "dc2",
      agent: "dc2-a",
      error: { kind: "unreachable", message: "host unreachable" },
      icmp: { sent: 3, received: 0, loss: 1, rtt_min_ms: null, rtt_avg_ms: null, rtt_max_ms: null },
    }),
    make("icmp", "10.0.0.1", {
      monitor: ids.ping,
      ts: H0 + 3 * MIN,
      ok: true,
      latency_ms: 7,
      location: "dc2",
      agent: "dc2-a",
      icmp: { sent: 100, received: 93, loss: 0.07, rtt_min_ms: 1, rtt_avg_ms: 7, rtt_max_ms: 70.125 },
    }),
    make("icmp", "10.0.0.1", {
      monitor: ids.ping,
      ts: H0 + 4 * MIN,
      ok: false,
      location: "dc2",
      agent: "dc2-a",
      error: { kind: "dns", message: "no such host" },
    }),
  ];
  const certSummary = {
    expires_at: Date.UTC(2026, 0, 1),
    days_left: 34.5,
    issuer: "R3, Let's Encrypt = CA",
    common_name: "mail example, test",
    verified: true,
  };
  const chainCert = (type: "leaf" | "intermediate" | "root", common_name: string, issuer_common_name: string) => ({
    type,
    common_name,
    organization: null,
    organizational_unit: null,
    country: null,
    province: null,
    locality: null,
    serial_number: "1f",
    signature_algorithm: "SHA256-RSA",
    public_key_algorithm: "RSA",
    public_key_length: 2048,
    issuer_common_name,
    issuer_serial_number: null,
    san: type === "leaf" ? "mail.example.test" : null,
    not_before: Date.UTC(2025, 0, 1),
    not_after: Date.UTC(2026, 0, 1),
    verified: true,
    verification_error: null,
  });
  const tls = [
    // With its chain: InfluxDB gets three x509_cert points at the same time, and reads must still see one check.
    make(
      "tls",
      "mail.example.test:465",
      {
        monitor: ids.cert,
        ts: H0,
        ok: true,
        latency_ms: 12,
        tls: {
          ...certSummary,
          chain: [
            chainCert("leaf", "mail example, test", "R3, Let's Encrypt = CA"),
            chainCert("intermediate", "R3, Let's Encrypt = CA", "ISRG Root X1"),
            chainCert("root", "ISRG Root X1", "ISRG Root X1"),
          ],
        },
      },
      { tls: certSummary },
    ),
    make("tls", "mail.example.test:465", {
      monitor: ids.cert,
      ts: H0 + MIN,
      ok: false,
      latency_ms: 3,
      error: { kind: "tls", message: 'certificate "mail" expired\nsecond line \\ with a backslash' },
      tls: { expires_at: Date.UTC(2025, 10, 26), days_left: -1, issuer: "Example CA", common_name: "mail.example.test", verified: false },
    }),
    make("tls", "mail.example.test:465", {
      monitor: ids.cert,
      ts: H0 + 2 * MIN,
      ok: false,
      error: { kind: "connection", message: "socket hang up" },
    }),
  ];
  // Heartbeats: our own measurement; a run's start is kept as its duration, the job's message as a field.
  const hb = [
    make("heartbeat", "", {
      monitor: ids.hb,
      ts: H0,
      ok: true,
      latency_ms: 61_250,
      heartbeat: { event: "success", started_at: H0 - 61_250, message: 'backup done: 12 files\nsize="3 GB", a=b \\ end' },
    }),
    make("heartbeat", "", {
      monitor: ids.hb,
      ts: H0 + MIN,
      ok: false,
      error: { kind: "other", message: "the job exited with status 3" },
      heartbeat: { event: "fail", started_at: null, message: null },
    }),
    make("heartbeat", "", {
      monitor: ids.hb,
      ts: H0 + 2 * MIN,
      ok: false,
      error: { kind: "timeout", message: "no ping since 2025-01-01T10:01:00.000Z; expected one every 60 s, with a grace of 0 s" },
      heartbeat: { event: "missed", started_at: null, message: null },
    }),
  ];
  // DNS queries: Telegraf's dns_query; the server keeps its port (IPv6 bracketed), the values their spelling.
  const dns = [
    make("dns", "www.example.test", {
      monitor: ids.dns,
      ts: H0,
      ok: true,
      latency_ms: 0.75,
      location: "dc1",
      agent: "dc1-a",
      dns: {
        server: "192.0.2.53:53",
        record_type: "A",
        rcode_value: 0,
        rcode: "NOERROR",
        answers: 2,
        values: ["192.0.2.10", "192.0.2.11"],
      },
    }),
    make("dns", "www.example.test", {
      monitor: ids.dns,
      ts: H0 + MIN,
      ok: false,
      latency_ms: 1.25,
      location: "dc1",
      agent: "dc1-a",
      error: { kind: "keyword", message: 'DNS server [2001:db8::53]:5353: the answer lacks "v=spf1 -all"' },
      dns: {
        server: "[2001:db8::53]:5353",
        record_type: "TXT",
        rcode_value: 0,
        rcode: "NOERROR",
        answers: 2,
        values: ['say "hi", a=b \\ end', "line one\nline two"],
      },
    }),
    make("dns", "nope.example.test", {
      monitor: ids.dns,
      ts: H0 + 2 * MIN,
      ok: false,
      location: "dc1",
      agent: "dc1-a",
      error: { kind: "timeout", message: "DNS server 192.0.2.53:53: no response within 2000 ms (timeout_ms)" },
      dns: { server: "192.0.2.53:53", record_type: "MX", rcode_value: null, rcode: null, answers: null, values: [] },
    }),
  ];
  const all = [...Object.values(a), webAsTcp, ...other, ...tcp, ...icmp, ...tls, ...hb, ...dns];
  return { ids, a, webAsTcp, other, tcp, icmp, tls, hb, dns, all };
}

const bucket = (start: number, checks: number, up: number, avg: number | null) => ({
  start,
  checks,
  up,
  uptime: checks === 0 ? null : up / checks,
  avg_latency_ms: avg,
});

type Factory = () => Promise<{ store: PointStore; cleanup?: () => Promise<void> }>;

/** The shared contract: every PointStore must pass it as is. */
function pointStoreContract(name: string, factory: Factory) {
  describe(`PointStore contract: ${name}`, () => {
    const prefix = `c${crypto.randomUUID().slice(0, 8)}`;
    const s = seed(prefix);
    let store: PointStore;
    let cleanup: (() => Promise<void>) | undefined;
    const writes = () => s.all.map((x) => x.written);

    beforeAll(async () => {
      ({ store, cleanup } = await factory());
      await store.write(writes());
    });
    afterAll(async () => {
      await cleanup?.();
    });

    it("is reachable", async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it("returns a monitor's checks in [from, to), newest first, exactly as written", async () => {
      const got = await store.checks({ monitor: s.ids.web, kind: "http", from: H0, to: H0 + 3 * H, limit: 100 });
      const { a } = s;
      expect(got).toEqual([a.noonOk, a.status503, a.noon, a.okNoLatency, a.failedWithLatency, a.agentOk, a.onBoundary].map((x) => x.read));
    });

    it("honours the limit, keeping the newest", async () => {
      const got = await store.checks({ monitor: s.ids.web, kind: "http", from: H0, to: H0 + 3 * H, limit: 3 });
      expect(got.map((c) => c.id)).toEqual([s.a.noonOk, s.a.status503, s.a.noon].map((x) => x.written.id));
      expect(await store.checks({ monitor: s.ids.web, kind: "http", from: H0, to: H0 + 3 * H, limit: 0 })).toEqual([]);
    });

    it("spans days, and keeps another monitor and another kind of the same id apart", async () => {
      const got = await store.checks({ monitor: s.ids.web, kind: "http", from: D, to: D + 48 * H, limit: 100 });
      const { a } = s;
      expect(got).toEqual(
        [
          a.day2Dns,
          a.day2,
          a.atTo,
          a.noonOk,
          a.status503,
          a.noon,
          a.okNoLatency,
          a.failedWithLatency,
          a.agentOk,
          a.onBoundary,
          a.beforeWindow,
        ].map((x) => x.read),
      );
      expect(await store.checks({ monitor: s.ids.web, kind: "tcp", from: D, to: D + 48 * H, limit: 100 })).toEqual([s.webAsTcp.read]);
      expect(await store.checks({ monitor: s.ids.none, kind: "http", from: D, to: D + 48 * H, limit: 100 })).toEqual([]);
    });

    it("round-trips every kind (tcp, icmp, tls, heartbeat, dns), escaping included", async () => {
      const range = { from: H0, to: H0 + H, limit: 100 };
      expect(await store.checks({ monitor: s.ids.db, kind: "tcp", ...range })).toEqual(s.tcp.map((x) => x.read).reverse());
      expect(await store.checks({ monitor: s.ids.ping, kind: "icmp", ...range })).toEqual(s.icmp.map((x) => x.read).reverse());
      expect(await store.checks({ monitor: s.ids.cert, kind: "tls", ...range })).toEqual(s.tls.map((x) => x.read).reverse());
      expect(await store.checks({ monitor: s.ids.hb, kind: "heartbeat", ...range })).toEqual(s.hb.map((x) => x.read).reverse());
      expect(await store.checks({ monitor: s.ids.dns, kind: "dns", ...range })).toEqual(s.dns.map((x) => x.read).reverse());
      // A chain's further certificates are points too, but not checks.
      const certs = await store.uptime({ monitor: s.ids.cert, kind: "tls", from: H0, to: H0 + H, bucket: null });
      expect([certs.checks, certs.up, certs.avg_latency_ms]).toEqual([3, 1, 12]);
    });

    it("computes hourly uptime with an empty bucket, a result on the boundary, failed and latency-less results", async () => {
      const r = await store.uptime({ monitor: s.ids.web, kind: "http", from: H0, to: H0 + 3 * H, bucket: "1h" });
      expect(r).toEqual<UptimeReport>({
        checks: 7,
        up: 5,
        uptime: 5 / 7,
        avg_latency_ms: 27.5, // (10 + 20 + 30 + 50) / 4: the failure's 5000 and the null are left out
        buckets: [bucket(H0, 4, 3, 15), bucket(H0 + H, 0, 0, null), bucket(H0 + 2 * H, 3, 2, 40)],
      });
      expect(r.buckets[1]).toEqual({ start: H0 + H, checks: 0, up: 0, uptime: null, avg_latency_ms: null });
    });

    it("computes daily uptime over two days", async () => {
      const r = await store.uptime({ monitor: s.ids.web, kind: "http", from: D, to: D + 48 * H, bucket: "1d" });
      expect(r).toEqual<UptimeReport>({
        checks: 11,
        up: 8,
        uptime: 8 / 11,
        avg_latency_ms: 174.5, // (100 + 10 + 20 + 30 + 50 + 999 + 12.5) / 7
        buckets: [bucket(D, 9, 7, 201.5), bucket(D + 24 * H, 2, 1, 12.5)],
      });
    });

    it("lists partial buckets at both ends of an unaligned window", async () => {
      const r = await store.uptime({ monitor: s.ids.web, kind: "http", from: H0 + 20 * MIN, to: H0 + 2 * H + 15 * MIN, bucket: "1h" });
      expect(r).toEqual<UptimeReport>({
        checks: 4,
        up: 2,
        uptime: 0.5,
        avg_latency_ms: 30,
        // 10:00 holds a failure and a success without latency: checks, but no average.
        buckets: [bucket(H0, 2, 1, null), bucket(H0 + H, 0, 0, null), bucket(H0 + 2 * H, 2, 1, 30)],
      });
      // From 13:00 on day 1 (only atTo) to 02:00 on day 2 (only day2; day2Dns at 05:00 is past `to`).
      const days = await store.uptime({ monitor: s.ids.web, kind: "http", from: H0 + 3 * H, to: D + 26 * H, bucket: "1d" });
      expect(days).toEqual<UptimeReport>({
        checks: 2,
        up: 2,
        uptime: 1,
        avg_latency_ms: (999 + 12.5) / 2,
        buckets: [bucket(D, 1, 1, 999), bucket(D + 24 * H, 1, 1, 12.5)],
      });
    });

    it("answers without buckets when none are asked for, and for other kinds", async () => {
      expect(await store.uptime({ monitor: s.ids.web, kind: "http", from: H0, to: H0 + 3 * H, bucket: null })).toEqual<UptimeReport>({
        checks: 7,
        up: 5,
        uptime: 5 / 7,
        avg_latency_ms: 27.5,
        buckets: [],
      });
      expect(await store.uptime({ monitor: s.ids.db, kind: "tcp", from: H0, to: H0 + H, bucket: null })).toEqual<UptimeReport>({
        checks: 3,
        up: 2,
        uptime: 2 / 3,
        avg_latency_ms: (1.84 + 2) / 2,
        buckets: [],
      });
      expect(await store.uptime({ monitor: s.ids.ping, kind: "icmp", from: H0, to: H0 + H, bucket: "1h" })).toEqual<UptimeReport>({
        checks: 5,
        up: 2,
        uptime: 0.4,
        avg_latency_ms: 3.75,
        buckets: [bucket(H0, 5, 2, 3.75)],
      });
    });

    it("reports a monitor without results as empty buckets, never as 100%", async () => {
      expect(await store.uptime({ monitor: s.ids.none, kind: "http", from: D, to: D + 3 * H, bucket: "1h" })).toEqual<UptimeReport>({
        checks: 0,
        up: 0,
        uptime: null,
        avg_latency_ms: null,
        buckets: [bucket(D, 0, 0, null), bucket(D + H, 0, 0, null), bucket(D + 2 * H, 0, 0, null)],
      });
      expect(await store.uptime({ monitor: s.ids.web, kind: "http", from: H0, to: H0, bucket: "1h" })).toEqual<UptimeReport>({
        checks: 0,
        up: 0,
        uptime: null,
        avg_latency_ms: null,
        buckets: [],
      });
    });

    it("stores a result once however often it is written", async () => {
      await store.write(writes());
      await store.write([s.a.noon.written, s.a.noon.written]);
      const r = await store.uptime({ monitor: s.ids.web, kind: "http", from: D, to: D + 48 * H, bucket: "1d" });
      expect([r.checks, r.up, r.avg_latency_ms]).toEqual([11, 8, 174.5]);
      expect(r.buckets.map((b) => b.checks)).toEqual([9, 2]);
      expect(await store.checks({ monitor: s.ids.web, kind: "http", from: D, to: D + 48 * H, limit: 100 })).toHaveLength(11);
      expect(await store.checks({ monitor: s.ids.cert, kind: "tls", from: H0, to: H0 + H, limit: 100 })).toHaveLength(3);
    });

    it("accepts an empty write", async () => {
      await expect(store.write([])).resolves.toBeUndefined();
    });
  });
}

// (a) The embedded store on the test D1, with tiny chunks so that multi-statement, multi-batch writes are exercised.
pointStoreContract("embedded (D1)", async () => ({
  store: new EmbeddedPointStore(env.DB, { rowsPerStatement: 4, statementsPerBatch: 3 }),
}));

async function influxFactory(ep: () => Endpoint, prefix: string, rp: string | null, maxLinesPerWrite?: number) {
  const endpoint = ep();
  const config = await freshDatabase(endpoint, prefix, rp);
  return {
    store: new InfluxPointStore(config, fetch, maxLinesPerWrite ? { maxLinesPerWrite } : {}),
    cleanup: () => dropDatabase(endpoint, config.database),
  };
}

// (b) InfluxDB without auth, writes split into several requests; (c) with auth (username/password) and a non-default retention policy.
pointStoreContract("InfluxDB 1.x", () => influxFactory(influxOpen, "contract", null, 7));
pointStoreContract("InfluxDB 1.x with auth and a retention policy", () => influxFactory(influxWithAuth, "contract_auth", "raw"));

const result = (id: string): StoredResult => ({
  id,
  monitor: "errors-probe",
  ts: H0,
  ok: true,
  latency_ms: 1,
  location: "edge",
  agent: null,
  error: null,
  kind: "http",
  target: "http://127.0.0.1/",
  http: { status: 200, content_length: null },
});

async function rejection(p: Promise<unknown>): Promise<PointStoreError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(PointStoreError);
  return e as PointStoreError;
}

describe("InfluxDB refusals", () => {
  let config: InfluxConfig;
  const ep = () => influxWithAuth();
  beforeAll(async () => {
    config = await freshDatabase(ep(), "refusals");
  });
  afterAll(async () => {
    await dropDatabase(ep(), config.database);
  });

  it("wrong credentials: a non-retryable PointStoreError naming 401", async () => {
    const store = new InfluxPointStore({ ...config, auth: { username: ep().username, password: "wrong-password" } }, fetch);
    for (const call of [
      () => store.write([result("wrong-creds")]),
      () => store.checks({ monitor: "x", kind: "http", from: 0, to: H0, limit: 1 }),
    ]) {
      const e = await rejection(call());
      expect(e.retryable).toBe(false);
      expect(e.message).toContain("401");
      expect(e.message).toMatch(/INFLUX_USERNAME\/INFLUX_PASSWORD/);
    }
  });

  it("no credentials on a server that needs them: 401, not retryable", async () => {
    const e = await rejection(new InfluxPointStore({ ...config, auth: null }, fetch).write([result("no-creds")]));
    expect([e.retryable, e.message.includes("401")]).toEqual([false, true]);
  });

  it("a missing database is a configuration problem, not something to retry", async () => {
    const store = new InfluxPointStore({ ...config, database: "no_such_db_for_tests" }, fetch);
    for (const call of [
      () => store.write([result("no-db")]),
      () => store.checks({ monitor: "x", kind: "http", from: 0, to: H0, limit: 1 }),
      () => store.ping(),
    ]) {
      const e = await rejection(call());
      expect(e.retryable).toBe(false);
      expect(e.message).toContain('"no_such_db_for_tests"');
      expect(e.message).toMatch(/INFLUX_DATABASE/);
    }
  });

  it("a missing retention policy is a configuration problem too", async () => {
    const store = new InfluxPointStore({ ...config, retentionPolicy: "no_such_rp" }, fetch);
    for (const call of [() => store.write([result("no-rp")]), () => store.ping()]) {
      const e = await rejection(call());
      expect(e.retryable).toBe(false);
      expect(e.message).toMatch(/INFLUX_RETENTION_POLICY/);
    }
  });

  it("unreachable, 5xx and 429 are retryable; 400 is not", async () => {
    const failing = (f: typeof fetch) => new InfluxPointStore(config, f);
    const down = await rejection(failing(async () => Promise.reject(new TypeError("Network connection lost"))).write([result("down")]));
    expect(down.retryable).toBe(true);
    expect(down.message).toMatch(/unreachable.*Network connection lost/);
    const answer = (status: number, body: string) => failing(async () => new Response(body, { status }));
    for (const status of [500, 503, 429]) {
      const e = await rejection(
        answer(status, JSON.stringify({ error: "engine: cache maximum memory size exceeded" })).write([result(`s${status}`)]),
      );
      expect([e.retryable, e.message]).toEqual([true, `InfluxDB write failed with ${status}: engine: cache maximum memory size exceeded`]);
    }
    const bad = await rejection(
      answer(
        400,
        JSON.stringify({
          error:
            'partial write: field type conflict: input field "up" on measurement "http_response" is type float, already exists as type integer dropped=1',
        }),
      ).write([result("bad")]),
    );
    expect(bad.retryable).toBe(false);
    expect(bad.message).toContain("400: partial write: field type conflict");
  });

  it("sends a token as `Authorization: Token …`, one request per write, split above the line limit", async () => {
    const seen: { url: string; auth: string | null; lines: number }[] = [];
    const recorder: typeof fetch = async (input, init) => {
      const body = typeof init?.body === "string" ? init.body : "";
      seen.push({
        url: String(input),
        auth: new Headers(init?.headers).get("authorization"),
        lines: body.split("\n").filter(Boolean).length,
      });
      return new Response(null, { status: 204 });
    };
    const store = new InfluxPointStore(
      { url: "http://influx.test:8086/", database: "up time", retentionPolicy: "raw", auth: { token: "t0ken" } },
      recorder,
      { maxLinesPerWrite: 2 },
    );
    await store.write(["t1", "t2", "t3", "t4", "t5"].map(result));
    expect(seen).toEqual(
      [1, 2, 3].map((i) => ({
        url: "http://influx.test:8086/write?db=up+time&precision=ms&rp=raw",
        auth: "Token t0ken",
        lines: i === 3 ? 1 : 2,
      })),
    );
  });

  it("writes a large batch through the real server", async () => {
    const store = new InfluxPointStore(config, fetch, { maxLinesPerWrite: 5000 });
    const many = Array.from({ length: 6000 }, (_, i) => ({ ...result(`bulk-${i}`), monitor: "bulk", ts: D + i * 1000 }));
    await store.write(many);
    const r = await store.uptime({ monitor: "bulk", kind: "http", from: D, to: D + 2 * H, bucket: "1h" });
    expect(r.buckets.map((b) => b.checks)).toEqual([3600, 2400]);
  });
});

describe("embedded store limits", () => {
  it("writes a 1000-result batch (more rows than D1's 100 bound parameters would allow per statement)", async () => {
    const store = new EmbeddedPointStore(env.DB);
    const monitor = `bulk-${crypto.randomUUID().slice(0, 8)}`;
    const many = Array.from({ length: 1000 }, (_, i) => ({ ...result(`${monitor}-${i}`), monitor, ts: D + i * 1000 }));
    await store.write(many);
    await store.write(many);
    const r = await store.uptime({ monitor, kind: "http", from: D, to: D + H, bucket: null });
    expect([r.checks, r.up, r.avg_latency_ms]).toEqual([1000, 1000, 1]);
  });
});
