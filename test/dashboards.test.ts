// The Grafana dashboards and their provisioning files: valid structure, unique ids, every data source reference the
// provisioned one; and the agents dashboard's numbers, drawn as Grafana draws them from points in a real InfluxDB.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { TlsCertificate } from "../contract/index.ts";
import type { StoredResult } from "../edge/src/points/store.ts";
import { toLines } from "../edge/src/points/telegraf.ts";
import {
  DASHBOARDS_DIR,
  type PanelView,
  type Values,
  allPanels,
  drawPanel,
  influxSelect,
  loadDashboards,
  substitute,
} from "./services/dashboards.ts";
import { createDatabase, startInflux, type InfluxServer } from "./services/influxdb.ts";

const provisioning = (p: string) => parse(readFileSync(path.join(DASHBOARDS_DIR, "provisioning", p), "utf8"));
const datasources = provisioning("datasources/influxdb.yaml");
const providers = provisioning("dashboards/uptime.yaml");
const dashboards = loadDashboards();
const BUILTIN = new Set([
  "timeFilter",
  "__interval",
  "__interval_ms",
  "tag_monitor",
  "tag_location",
  "tag_agent",
  "tag_result",
  "tag_status_code",
  "col",
]);

describe("provisioning", () => {
  it("provisions one InfluxDB data source, with InfluxQL, and a file provider for the dashboards", () => {
    expect(datasources.apiVersion).toBe(1);
    expect(datasources.datasources).toHaveLength(1);
    expect(datasources.datasources[0]).toMatchObject({
      type: "influxdb",
      uid: "uptime-influxdb",
      access: "proxy",
      jsonData: { version: "InfluxQL" },
    });
    expect(providers.apiVersion).toBe(1);
    expect(providers.providers).toHaveLength(1);
    expect(providers.providers[0]).toMatchObject({ type: "file", options: { path: "/etc/dashboards/uptime" } });
  });
});

describe("dashboards", () => {
  const uid = datasources.datasources[0].uid as string;

  it("are the overview, the monitor detail and the agents dashboards, with unique uids", () => {
    expect(dashboards.map((d) => d.file)).toEqual(["agents.json", "monitor.json", "overview.json"]);
    const uids = dashboards.map((d) => d.dashboard.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const { dashboard } of dashboards) expect(dashboard.title).toMatch(/^Uptime /);
  });

  for (const { file, dashboard } of dashboards)
    describe(file, () => {
      const panels = allPanels(dashboard);

      it("has unique panel ids, and panels that fit the 24-column grid without overlapping", () => {
        const ids = panels.map((p) => p.id);
        expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
        expect(new Set(ids).size).toBe(ids.length);
        const boxes = panels.map((p) => ({
          id: p.id,
          ...(p as unknown as { gridPos: { x: number; y: number; w: number; h: number } }).gridPos,
        }));
        for (const b of boxes) expect(b.x + b.w, `panel ${b.id}`).toBeLessThanOrEqual(24);
        for (const a of boxes)
          for (const b of boxes)
            if (a.id < b.id)
              expect(a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h, `panels ${a.id} and ${b.id} overlap`).toBe(
                false,
              );
      });

      it("refers to the provisioned data source everywhere, with raw InfluxQL queries", () => {
        const refs = [
          ...panels.filter((p) => p.targets).flatMap((p) => [p.datasource, ...p.targets!.map((t) => t.datasource)]),
          ...dashboard.templating.list.map((v) => v.datasource),
        ];
        expect(refs.length).toBeGreaterThan(0);
        for (const ref of refs) expect(ref).toEqual({ type: "influxdb", uid });
        for (const p of panels)
          for (const t of p.targets ?? []) {
            expect(t.rawQuery, `${p.title} ${t.refId}`).toBe(true);
            expect(t.query).toMatch(/^(SELECT|SHOW) /);
          }
        const withTargets = panels.filter((p) => p.targets?.length);
        expect(new Set(withTargets.flatMap((p) => p.targets!.map((t) => `${p.id}/${t.refId}`))).size).toBe(
          withTargets.flatMap((p) => p.targets!).length,
        );
      });

      it("uses only variables it defines", () => {
        const defined = new Set(dashboard.templating.list.map((v) => v.name));
        const queries = [...panels.flatMap((p) => (p.targets ?? []).map((t) => t.query)), ...dashboard.templating.list.map((v) => v.query)];
        for (const q of queries)
          for (const [, a, b] of q.matchAll(/\$\{(\w+)\}|\$(\w+)/g)) {
            const name = (a ?? b)!;
            expect(defined.has(name) || BUILTIN.has(name), `$${name} in ${q}`).toBe(true);
          }
      });
    });
});

describe("agents.json: the numbers it shows for points the product wrote", () => {
  const DB = "uptime_dashboards";
  const MINUTE = 60_000;
  // An hour boundary, so that GROUP BY time(1m) buckets start where the seeds' minutes do.
  const T0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;
  const range = { from: T0 - 5 * MINUTE, to: T0 + 5 * MINUTE, intervalMs: MINUTE };
  const agents = dashboards.find((d) => d.file === "agents.json")!.dashboard;
  const panel = (title: string) => allPanels(agents).find((p) => p.title === title)!;
  let influx: InfluxServer;
  let values: Values;

  // lab-a runs three monitors of three kinds (http, tcp, icmp), each twice a minute apart, its second http check (a 503,
  // timed) and second tcp check failing;
  // lab-b runs a tls monitor in the same location, far-c an http monitor elsewhere; the edge its own http check (no agent).
  const at = (s: number) => T0 + s * 1000;
  const ok = { ok: true, error: null } as const;
  const http = { kind: "http", target: "http://127.0.0.1:1/", http: { status: 200, content_length: 2 } } as const;
  const tcp = { kind: "tcp", target: "127.0.0.1:2", tcp: { port: 2 } } as const;
  const icmp = (rtt: number) =>
    ({
      kind: "icmp",
      target: "127.0.0.1",
      icmp: { sent: 1, received: 1, loss: 0, rtt_min_ms: rtt, rtt_avg_ms: rtt, rtt_max_ms: rtt },
    }) as const;
  const certificate = (type: TlsCertificate["type"], cn: string, issuer: string): TlsCertificate => ({
    type,
    common_name: cn,
    organization: null,
    organizational_unit: null,
    country: null,
    province: null,
    locality: null,
    serial_number: "1",
    signature_algorithm: "ECDSA-SHA256",
    public_key_algorithm: "ECDSA",
    public_key_length: 256,
    issuer_common_name: issuer,
    issuer_serial_number: null,
    san: null,
    not_before: T0 - 86_400_000,
    not_after: T0 + 20 * 86_400_000,
    verified: true,
    verification_error: null,
  });
  // A chain of three: the edge writes an x509_cert point per certificate, which must not count as checks.
  const tls = {
    kind: "tls" as const,
    target: "127.0.0.1:3",
    tls: {
      expires_at: T0 + 20 * 86_400_000,
      days_left: 20,
      issuer: "Test CA",
      common_name: "localhost",
      verified: true,
      chain: [
        certificate("leaf", "localhost", "Test CA"),
        certificate("intermediate", "Test CA", "Test Root"),
        certificate("root", "Test Root", "Test Root"),
      ],
    },
  };
  const lab = (agent: string) => ({ location: "lab", agent });
  const seeds: StoredResult[] = [
    { id: "a1", monitor: "http-a", ts: at(5), latency_ms: 40, ...ok, ...http, ...lab("lab-a") },
    { id: "a2", monitor: "tcp-a", ts: at(10), latency_ms: 4, ...ok, ...tcp, ...lab("lab-a") },
    { id: "a3", monitor: "icmp-a", ts: at(15), latency_ms: 1.5, ...ok, ...icmp(1.5), ...lab("lab-a") },
    {
      id: "a4",
      monitor: "http-a",
      ts: at(65),
      latency_ms: 60,
      ok: false,
      error: { kind: "status", message: "status 503" },
      ...http,
      http: { status: 503, content_length: 2 },
      ...lab("lab-a"),
    },
    {
      id: "a5",
      monitor: "tcp-a",
      ts: at(70),
      latency_ms: null,
      ok: false,
      error: { kind: "refused", message: "connection refused" },
      ...tcp,
      ...lab("lab-a"),
    },
    { id: "a6", monitor: "icmp-a", ts: at(75), latency_ms: 2.5, ...ok, ...icmp(2.5), ...lab("lab-a") },
    { id: "b1", monitor: "tls-b", ts: at(20), latency_ms: 30, ...ok, ...tls, ...lab("lab-b") },
    { id: "c1", monitor: "http-c", ts: at(25), latency_ms: 100, ...ok, ...http, location: "far", agent: "far-c" },
    { id: "e1", monitor: "edge-ok", ts: at(30), latency_ms: 20, ...ok, ...http, location: "edge", agent: null },
  ];
  const byAgent = seeds.filter((r) => r.agent !== null);

  beforeAll(async () => {
    influx = await startInflux();
    await createDatabase(influx, DB);
    // The lines the edge writes (edge/src/points/influx.ts sends them so, with precision=ms).
    const lines = seeds.flatMap(toLines);
    expect(lines.filter((l) => l.startsWith("x509_cert,"))).toHaveLength(3);
    const res = await fetch(`${influx.url}/write?db=${DB}&precision=ms`, { method: "POST", body: `${lines.join("\n")}\n` });
    expect(res.status, await res.text()).toBe(204);
    const variable = agents.templating.list.find((v) => v.name === "agent")!;
    const series = await influxSelect(influx.url, DB, variable.query);
    values = { agent: [...new Set(series.flatMap((s) => s.values.map((v) => String(v[s.columns.indexOf("value")]))))].sort() };
    expect(values.agent, "$agent: the agents, not the edge").toEqual(["far-c", "lab-a", "lab-b"]);
  });
  afterAll(async () => {
    await influx?.destroy();
  });

  const draw = (title: string) => drawPanel(panel(title), { url: influx.url, database: DB }, values, range);

  /** Sums per series name and minute of what `value` gives each seed that has a name for `key`. */
  function perMinute(rs: StoredResult[], key: (r: StoredResult) => string | null, value: (r: StoredResult) => number) {
    const out = new Map<string, Map<number, number>>();
    for (const r of rs) {
      const name = key(r);
      if (name === null) continue;
      const minute = Math.floor(r.ts / MINUTE) * MINUTE;
      const m = out.get(name) ?? new Map<number, number>();
      m.set(minute, (m.get(minute) ?? 0) + value(r));
      out.set(name, m);
    }
    return out;
  }

  /** One line per expected name, each point the expected value of its minute, or `otherwise` where none is expected. */
  function expectLines(view: PanelView, expected: Map<string, Map<number, number>>, otherwise: 0 | null) {
    if (view.type !== "timeseries") throw new Error(`expected a time series, got ${view.type}`);
    expect(view.series.map((s) => s.name).sort(), "one line per name").toEqual([...expected.keys()].sort());
    for (const s of view.series) {
      const want = expected.get(s.name)!;
      const got = new Map(s.points);
      for (const [minute, v] of want) expect(got.get(minute), `${s.name} at +${(minute - T0) / MINUTE} min`).toBeCloseTo(v, 9);
      for (const [minute, v] of got) if (!want.has(minute)) expect(v, `${s.name} at +${(minute - T0) / MINUTE} min`).toBe(otherwise);
    }
  }

  const perSecond = (n: number) => n / (MINUTE / 1000);

  it("Checks per second by agent: one line per agent, all its kinds together (lab-a: 3 checks a minute = 0.05/s)", async () => {
    const expected = perMinute(
      byAgent,
      (r) => r.agent,
      () => 1,
    );
    expect(expected.get("lab-a")).toEqual(
      new Map([
        [T0, 3],
        [T0 + MINUTE, 3],
      ]),
    );
    for (const m of expected.values()) for (const [k, n] of m) m.set(k, perSecond(n));
    expectLines(await draw("Checks per second by agent"), expected, 0);
  });

  it("Checks per second by location: one line per location, the edge's included (lab: 4 checks in the first minute)", async () => {
    const expected = perMinute(
      seeds,
      (r) => r.location,
      () => 1,
    );
    expect(expected.get("lab")).toEqual(
      new Map([
        [T0, 4],
        [T0 + MINUTE, 3],
      ]),
    );
    for (const m of expected.values()) for (const [k, n] of m) m.set(k, perSecond(n));
    expectLines(await draw("Checks per second by location"), expected, 0);
  });

  it("Failed checks per second by agent: lab-a's failed http and tcp checks together, in their minute", async () => {
    const expected = perMinute(
      byAgent.filter((r) => !r.ok),
      (r) => r.agent,
      () => perSecond(1),
    );
    expect(expected).toEqual(new Map([["lab-a", new Map([[T0 + MINUTE, perSecond(2)]])]]));
    expectLines(await draw("Failed checks per second by agent"), expected, 0);
  });

  it("Response time by agent: the mean over all of an agent's successful checks in each minute, whatever their kind", async () => {
    const up = byAgent.filter((r) => r.ok);
    const sums = perMinute(
      up,
      (r) => r.agent,
      (r) => r.latency_ms!,
    );
    const counts = perMinute(
      up,
      (r) => r.agent,
      () => 1,
    );
    const expected = new Map(
      [...sums].map(([agent, m]) => [agent, new Map([...m].map(([t, sum]) => [t, sum / counts.get(agent)!.get(t)!]))]),
    );
    // lab-a: (40 + 4 + 1.5) / 3 in the first minute; in the second only icmp's 2.5 (the failed 503 took 60 ms but is left out).
    expect(expected.get("lab-a")).toEqual(
      new Map([
        [T0, 45.5 / 3],
        [T0 + MINUTE, 2.5],
      ]),
    );
    expectLines(await draw("Response time by agent"), expected, null);
  });

  it("Monitors run by each agent: one bar per agent, counting monitors of every kind (lab-a: 3)", async () => {
    const view = await draw("Monitors run by each agent");
    if (view.type !== "bargauge") throw new Error(view.type);
    const monitors = new Map<string, Set<string>>();
    for (const r of byAgent) monitors.set(r.agent!, (monitors.get(r.agent!) ?? new Set()).add(r.monitor));
    const expected = [...monitors].map(([title, m]) => ({ title, value: m.size })).sort((a, b) => a.title.localeCompare(b.title));
    expect(expected).toEqual([
      { title: "far-c", value: 1 },
      { title: "lab-a", value: 3 },
      { title: "lab-b", value: 1 },
    ]);
    expect([...view.values].sort((a, b) => a.title.localeCompare(b.title))).toEqual(expected);
  });

  it("Latest check per agent: one row per agent, its newest check whatever the kind", async () => {
    const view = await draw("Latest check per agent");
    if (view.type !== "table") throw new Error(view.type);
    expect(view.tables).toHaveLength(1);
    const newest = new Map<string, StoredResult>();
    for (const r of byAgent) if (r.ts > (newest.get(r.agent!)?.ts ?? -1)) newest.set(r.agent!, r);
    const expected = [...newest.values()]
      .map((r) => ({ Agent: r.agent, "Checked at": r.ts, Up: r.ok ? 1 : 0, Monitor: r.monitor, Location: r.location }))
      .sort((a, b) => a.Agent!.localeCompare(b.Agent!));
    expect(expected.find((r) => r.Agent === "lab-a")).toMatchObject({ Monitor: "icmp-a", "Checked at": at(75) });
    expect([...view.tables[0]!].sort((a, b) => String(a.Agent).localeCompare(String(b.Agent)))).toEqual(expected);
  });

  it("monitor.json's certificate panels show the leaf, not the chain's other certificates", async () => {
    const monitorDash = dashboards.find((d) => d.file === "monitor.json")!.dashboard;
    const queries = allPanels(monitorDash)
      .flatMap((p) => p.targets ?? [])
      .map((t) => t.query)
      .filter((q): q is string => typeof q === "string" && q.includes('FROM "x509_cert"'));
    expect(queries.length).toBeGreaterThanOrEqual(2);
    for (const q of queries) {
      const series = await influxSelect(influx.url, DB, substitute(q, { monitor: ["tls-b"], location: ["lab"] }, range));
      // One series (the leaf's); grouped by common_name, the intermediate and the root would add two more.
      expect(
        series.map((x) => x.tags?.common_name ?? "localhost"),
        q,
      ).toEqual(["localhost"]);
    }
  });

  it("has a check above for every panel that queries", () => {
    const checked = [
      "Checks per second by agent",
      "Checks per second by location",
      "Failed checks per second by agent",
      "Response time by agent",
      "Monitors run by each agent",
      "Latest check per agent",
    ];
    expect(
      allPanels(agents)
        .filter((p) => p.targets?.length)
        .map((p) => p.title)
        .sort(),
    ).toEqual(checked.sort());
  });
});
