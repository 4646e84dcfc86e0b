// The Grafana dashboards and their provisioning files: valid structure, unique ids, every data source reference the provisioned one.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DASHBOARDS_DIR, allPanels, loadDashboards } from "./services/dashboards.ts";

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
