// The Grafana dashboards in dashboards/ as the tests see them: their panels' InfluxQL, and the substitution Grafana does before sending it.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";

export const DASHBOARDS_DIR = path.resolve(import.meta.dirname, "../../dashboards");

export type Target = {
  refId: string;
  query: string;
  rawQuery?: boolean;
  resultFormat?: string;
  datasource?: { type?: string; uid?: string };
};
export type Panel = {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
};
export type Variable = {
  name: string;
  type: string;
  query: string;
  multi?: boolean;
  includeAll?: boolean;
  datasource?: { type?: string; uid?: string };
};
export type Dashboard = { uid: string; title: string; panels: Panel[]; templating: { list: Variable[] } };

export function loadDashboards(): Array<{ file: string; dashboard: Dashboard }> {
  return readdirSync(DASHBOARDS_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(readFileSync(path.join(DASHBOARDS_DIR, file), "utf8")) as Dashboard }));
}

/** Every panel, rows' nested panels included. */
export function allPanels(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** Grafana's escaping of a variable's value inside an InfluxQL regex (/^$var$/). */
const escapeRegex = (v: string) => v.replace(/[\\^$*+?.()|[\]{}/]/g, "\\$&");

export type Values = Record<string, string[]>;
export type Range = { from: number; to: number; intervalMs: number };

/**
 * A query as Grafana's InfluxDB data source sends it: $timeFilter as an absolute range, $__interval and
 * $__interval_ms for the range's resolution, and each variable as a regex-escaped value, or (a|b|…)
 * when several (or All) are selected.
 */
export function substitute(query: string, values: Values, range: Range): string {
  return query
    .replaceAll("$timeFilter", `time >= ${range.from}ms and time <= ${range.to}ms`)
    .replaceAll("$__interval_ms", String(range.intervalMs))
    .replaceAll("$__interval", `${range.intervalMs / 1000}s`)
    .replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, a: string | undefined, b: string | undefined) => {
      const name = (a ?? b)!;
      const v = values[name];
      if (!v) return whole;
      if (v.length === 0) throw new Error(`variable $${name} has no values`);
      return v.length === 1 ? escapeRegex(v[0]!) : `(${v.map(escapeRegex).join("|")})`;
    });
}
