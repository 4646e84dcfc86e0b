// The Grafana dashboards in dashboards/ as the tests see them: their panels' InfluxQL, the substitution Grafana does before
// sending it, and what a panel draws from the answer (Grafana 12's InfluxQL frames, the transformations the dashboards use).
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";

export const DASHBOARDS_DIR = path.resolve(import.meta.dirname, "../../dashboards");

export type Target = {
  refId: string;
  query: string;
  rawQuery?: boolean;
  resultFormat?: string;
  alias?: string;
  datasource?: { type?: string; uid?: string };
};
export type Transformation = { id: string; options: Record<string, any>; disabled?: boolean };
export type Panel = {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  transformations?: Transformation[];
  options?: Record<string, any>;
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

export function loadDashboards(dir = DASHBOARDS_DIR): Array<{ file: string; dashboard: Dashboard }> {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(readFileSync(path.join(dir, file), "utf8")) as Dashboard }));
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

// What a panel draws. Grafana 12 runs InfluxQL in its backend (pkg/tsdb/influxdb/influxql, the buffered parser),
// hands the panel data frames, applies the panel's transformations in the browser (@grafana/data), then the panel
// picks its values. Below is that path for what the dashboards use; anything else throws rather than guess.

/** A column of a data frame, as Grafana's frontend holds it. */
export type Field = {
  name: string;
  type: "time" | "number" | "string" | "boolean";
  values: unknown[];
  labels?: Record<string, string>;
  config: { displayName?: string; displayNameFromDS?: string };
};
export type Frame = { name?: string; refId?: string; fields: Field[] };
/** One series of InfluxDB's JSON answer, asked with epoch=ms as Grafana does. */
export type InfluxSeries = { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] };

/** Runs one statement as Grafana's data source does (GET /query with epoch=ms) and returns its series. */
export async function influxSelect(url: string, database: string, q: string): Promise<InfluxSeries[]> {
  const res = await fetch(`${url}/query?${new URLSearchParams({ db: database, epoch: "ms", q })}`);
  const body = (await res.json()) as { error?: string; results?: Array<{ error?: string; series?: InfluxSeries[] }> };
  const error = body.error ?? body.results?.[0]?.error;
  if (!res.ok || error) throw new Error(`InfluxDB ${res.status} for ${q}: ${error}`);
  return body.results?.[0]?.series ?? [];
}

const frameLength = (f: Frame) => f.fields[0]?.values.length ?? 0;

/** A column's type as the parser infers it: from its first non-null value (json.Number, string or bool). */
function valueType(values: unknown[]): Field["type"] {
  const v = values.find((x) => x !== null && x !== undefined);
  return typeof v === "string" ? "string" : typeof v === "boolean" ? "boolean" : "number";
}

/** gtime.FormatInterval, for $__interval in an alias. */
function formatInterval(ms: number): string {
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ] as const)
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** util.FormatFrameName: a time series' name from the target's alias ($m, $col, $tag_<key>, $<n>, [[…]]), else measurement.column { tags }. */
function frameName(s: InfluxSeries, column: string, target: Target, intervalMs: number): string {
  const tags = s.tags ?? {};
  if (!target.alias) {
    const base = `${s.name}.${column}`;
    const pairs = Object.entries(tags).map(([k, v]) => `${k}: ${v}`);
    return pairs.length ? `${base} { ${pairs.join(", ")} }` : base;
  }
  const segments = s.name.split(".");
  return target.alias.replace(/\$(\w+)|\[\[([\s\S]+?)\]\]/g, (whole, a: string | undefined, b: string | undefined) => {
    const format = (a ?? b)!;
    if (format === "m" || format === "measurement") return s.name;
    if (format === "col") return column;
    if (format === "__interval") return formatInterval(intervalMs);
    if (format === "__interval_ms") return String(intervalMs);
    if (/^\d+$/.test(format) && segments.length > Number(format)) return segments[Number(format)]!;
    if (!format.startsWith("tag_")) return whole;
    const value = tags[format.slice(4)];
    return value ?? whole;
  });
}

/**
 * The frames Grafana makes of one target's answer. Table format: one frame for all series, Time, then a column per
 * tag of the first series, then the selected columns (transformRowsForTable). Otherwise a frame per series and column,
 * Time and Value, the series' tags as labels and the alias-formatted name (transformRowsForTimeSeries).
 */
export function targetFrames(series: InfluxSeries[], target: Target, intervalMs: number): Frame[] {
  if (series.length === 0) return [];
  const refId = target.refId;
  if (target.resultFormat === "table") {
    const [first] = series as [InfluxSeries];
    const column = (i: number) => series.flatMap((s) => s.values.map((v) => v[i]));
    const fields: Field[] = [];
    const hasTime = first.columns[0] === "time";
    if (hasTime) fields.push({ name: "Time", type: "time", config: {}, values: column(0) });
    else
      fields.push({
        name: first.columns[0]!,
        type: valueType(column(0)),
        config: { displayNameFromDS: first.columns[0]! },
        values: column(0),
      });
    for (const key of Object.keys(first.tags ?? {}))
      fields.push({
        name: key,
        type: "string",
        config: { displayNameFromDS: key },
        values: series.flatMap((s) => s.values.map(() => s.tags?.[key] ?? "")),
      });
    for (let i = 1; i < first.columns.length; i++) {
      const values = column(i);
      fields.push({ name: first.columns[i]!, type: valueType(values), config: { displayNameFromDS: first.columns[i]! }, values });
    }
    return [{ name: first.name, refId, fields }];
  }
  return series.flatMap((s) => {
    const t = s.columns.indexOf("time");
    if (t !== 0) throw new Error(`a time series panel needs a time column: ${s.columns.join(", ")}`);
    return s.columns.slice(1).map((column, j) => {
      const name = frameName(s, column, target, intervalMs);
      const values = s.values.map((v) => v[j + 1]);
      return {
        name,
        refId,
        fields: [
          { name: "Time", type: "time", config: {}, values: s.values.map((v) => v[0]) },
          { name: "Value", type: valueType(values), labels: { ...s.tags }, config: { displayNameFromDS: name }, values },
        ],
      } satisfies Frame;
    });
  });
}

/**
 * getFieldDisplayName for the fields these dashboards produce: the configured name, the data source's name (only when
 * the frame is given, as Grafana does), else the field's name. Labelled fields without either are not handled.
 */
export function displayName(field: Field, frame?: Frame): string {
  if (field.config.displayName) return field.config.displayName;
  if (frame && field.config.displayNameFromDS) return field.config.displayNameFromDS;
  if (field.labels && Object.keys(field.labels).length) throw new Error(`display name of labelled field ${field.name} is not implemented`);
  return field.name;
}

/** fieldReducer's calculations (nulls ignored, as by default). */
function reduce(calc: string, field: Pick<Field, "type" | "values">): unknown {
  const numeric = field.type === "number" || field.type === "time";
  const present = field.values.filter((v) => v !== null && v !== undefined);
  switch (calc) {
    case "first":
      return field.values[0];
    case "lastNotNull": {
      const v = present.filter((x) => !Number.isNaN(x));
      return v.length ? v[v.length - 1] : null;
    }
    case "sum":
      return numeric ? present.reduce((a: number, v) => (Number.isNaN(v) ? a : a + (v as number)), 0) : 0;
    default:
      throw new Error(`reducer ${calc} is not implemented`);
  }
}
const reducedType = (calc: string, type: Field["type"]): Field["type"] =>
  ["count", "distinctCount", "changeCount", "countAll"].includes(calc) ? "number" : type;

type Transformer = (data: Frame[], options: Record<string, any>) => Frame[];

/** Grafana's sortDataFrame comparers for the types sorted here. */
function compareValues(type: Field["type"], desc: boolean) {
  return (a: unknown, b: unknown) => {
    let c: number;
    if (type === "number" || type === "time") c = (a as number) - (b as number);
    else if (type === "string") c = String(a).localeCompare(String(b));
    else throw new Error(`sorting ${type} fields is not implemented`);
    return desc ? -c : c;
  };
}

const TRANSFORMERS: Record<string, Transformer> = {
  // Several frames into one; the dashboards only ever merge a single frame, which Grafana passes through.
  merge: (data) => {
    if (data.length <= 1) return data;
    throw new Error("merging several frames is not implemented");
  },

  // Rows grouped by the values of the "groupby" fields (in order of first appearance), one row per group, with each
  // "aggregate" field reduced per group into "<name> (<calculation>)"; frames without a group-by field are dropped.
  groupBy: (data, options) => {
    const spec = options.fields as Record<string, { operation?: string; aggregations?: string[] }>;
    const names = Object.entries(spec)
      .filter(([, v]) => v.operation === "groupby")
      .map(([k]) => k);
    if (names.length === 0) return data;
    const out: Frame[] = [];
    for (const frame of data) {
      const by = frame.fields.filter((f) => names.includes(f.name) || names.includes(displayName(f, frame)));
      if (by.length === 0) continue;
      const groups = new Map<string, Record<string, unknown[]>>();
      for (let row = 0; row < frameLength(frame); row++) {
        const key = String(by.map((f) => f.values[row]));
        let group = groups.get(key);
        if (!group) groups.set(key, (group = {}));
        for (const f of frame.fields) (group[displayName(f)] ??= []).push(f.values[row]);
      }
      const list = [...groups.values()];
      const fields: Field[] = by.map((f) => ({
        name: f.name,
        type: f.type,
        config: { ...f.config },
        values: list.map((g) => g[displayName(f)]![0]),
      }));
      for (const f of frame.fields) {
        const name = displayName(f);
        const { operation, aggregations = [] } = spec[name] ?? {};
        const calculate =
          operation === "aggregate"
            ? aggregations.length > 0
            : operation === "groupby" && aggregations.length === 1 && aggregations[0] === "count";
        if (!calculate) continue;
        for (const calc of aggregations)
          fields.push({
            name: `${name} (${calc})`,
            type: reducedType(calc, f.type),
            config: {},
            values: list.map((g) => reduce(calc, { type: f.type, values: g[name]! })),
          });
      }
      out.push({ refId: frame.refId, fields });
    }
    return out;
  },

  // Each frame's rows sorted by the first sort field (matched by display name); a missing field leaves the frame as it is.
  sortBy: (data, options) => {
    const [sort] = (options.sort ?? []) as Array<{ field: string; desc?: boolean }>;
    if (!sort || data.length === 0) return data;
    return data.map((frame) => {
      const field = frame.fields.find((f) => displayName(f, frame) === sort.field);
      if (!field) return frame;
      const order = [...Array(frameLength(frame)).keys()];
      const cmp = compareValues(field.type, Boolean(sort.desc));
      order.sort((i, j) => cmp(field.values[i], field.values[j]));
      return { ...frame, fields: frame.fields.map((f) => ({ ...f, values: order.map((i) => f.values[i]) })) };
    });
  },

  // A row per value of rowField, a column per value of columnField (named by it), cells from valueField; the last row of
  // a pair wins, missing cells take emptyValue. Only a single frame is turned into a matrix.
  groupingToMatrix: (data, options) => {
    if (data.length !== 1) return data;
    const frame = data[0]!;
    const find = (name: string) => frame.fields.find((f) => displayName(f) === name);
    const columnField = options.columnField || "Time";
    const rowField = options.rowField || "Time";
    const [col, row, value] = [find(columnField), find(rowField), find(options.valueField || "Value")];
    if (!col || !row || !value) return data;
    const empty = ({ true: true, false: false, null: null, zero: 0 } as Record<string, unknown>)[options.emptyValue ?? "empty"];
    const columns = [...new Set(col.values)];
    const rows = [...new Set(row.values)];
    const cells = new Map<unknown, Map<unknown, unknown>>();
    value.values.forEach((v, i) => {
      if (!cells.has(col.values[i])) cells.set(col.values[i], new Map());
      cells.get(col.values[i])!.set(row.values[i], v);
    });
    const config = { ...value.config };
    delete config.displayName;
    return [
      {
        fields: [
          { name: `${rowField}\\${columnField}`, type: row.type, config: { ...row.config }, values: rows },
          ...columns.map((c) => ({
            name: String(c),
            type: value.type,
            config,
            values: rows.map((r) => cells.get(c)!.get(r) ?? (empty === undefined ? "" : empty)),
          })),
        ],
      },
    ];
  },

  // A field computed row by row from two fields (by display name) or numbers; only the binary mode, on each frame as it is.
  calculateField: (data, options) => {
    if (options.mode !== "binary") throw new Error(`calculateField mode ${options.mode} is not implemented`);
    if (options.timeSeries !== false) throw new Error("calculateField with timeSeries (joins frames first) is not implemented");
    const names = data.flatMap((f) => f.fields.map((x) => x.name));
    const operand = (v: unknown) =>
      typeof v !== "string" ? v : Number.isNaN(Number(v)) || names.includes(v) ? { matcher: { id: "byName", options: v } } : { fixed: v };
    const left = operand(options.binary?.left ?? "") as { matcher?: { id: string; options: string }; fixed?: string };
    const right = operand(options.binary?.right ?? "") as typeof left;
    const ops: Record<string, (a: number, b: number) => number> = {
      "+": (a, b) => a + b,
      "-": (a, b) => a - b,
      "*": (a, b) => a * b,
      "/": (a, b) => a / b,
    };
    const op = ops[options.binary?.operator ?? "+"];
    if (!op) throw new Error(`operator ${options.binary?.operator} is not implemented`);
    const valuesOf = (frame: Frame, o: typeof left) => {
      if (o.matcher?.id === "byName") {
        const f = frame.fields.find((x) => displayName(x, frame) === o.matcher!.options);
        if (f) return f.type === "boolean" ? f.values.map((v) => (v ? 1 : 0)) : f.values;
      }
      const n = Number.parseFloat(o.fixed ?? o.matcher?.options ?? "");
      return Number.isNaN(n) ? undefined : new Array(frameLength(frame)).fill(n);
    };
    const leftName = left.matcher?.options ?? left.fixed ?? "";
    const rightName = right.matcher?.options ?? right.fixed ?? "";
    const name = options.alias || (leftName && rightName ? `${leftName} ${options.binary?.operator ?? "+"} ${rightName}` : "");
    return data.flatMap((frame) => {
      const [a, b] = [valuesOf(frame, left), valuesOf(frame, right)];
      if (!a || !b) return options.replaceFields ? [] : [frame];
      const field: Field = {
        name,
        type: "number",
        config: options.alias ? { displayName: options.alias } : {},
        values: a.map((v, i) => op(v as number, b[i] as number)),
      };
      return [{ ...frame, fields: options.replaceFields ? [field] : [...frame.fields, field] }];
    });
  },

  // Renames (a display name, the field keeps its name) and drops fields by display name; reordering is not implemented.
  organize: (data, options) => {
    for (const key of ["indexByName", "includeByName"])
      if (Object.keys(options[key] ?? {}).length) throw new Error(`organize ${key} is not implemented`);
    const exclude = new Set(Object.keys(options.excludeByName ?? {}).filter((k) => options.excludeByName[k]));
    const rename = (options.renameByName ?? {}) as Record<string, string>;
    return data.map((frame) => ({
      ...frame,
      fields: frame.fields
        .filter((f) => !exclude.has(f.name) && !exclude.has(displayName(f, frame)))
        .map((f) => {
          const to = rename[displayName(f, frame)];
          return typeof to === "string" && to.length ? { ...f, config: { ...f.config, displayName: to } } : f;
        }),
    }));
  },
};

/** The panel's transformations applied in order, as Grafana does before the panel sees the frames. */
export function transform(frames: Frame[], transformations: Transformation[] = []): Frame[] {
  return transformations
    .filter((t) => !t.disabled)
    .reduce((data, t) => {
      const transformer = TRANSFORMERS[t.id];
      if (!transformer) throw new Error(`transformation ${t.id} is not implemented in test/services/dashboards.ts`);
      return transformer(data, t.options ?? {});
    }, frames);
}

export type PanelView =
  /** A line per number field, named by its display name, over the frame's time field. */
  | { type: "timeseries"; series: Array<{ name: string; points: Array<[number, unknown]> }> }
  /** The values a bar gauge or stat shows, each with its title. */
  | { type: "bargauge" | "stat"; values: Array<{ title: string; value: unknown }> }
  /** Each frame as rows keyed by display name (Grafana's table shows one frame at a time). */
  | { type: "table"; tables: Array<Array<Record<string, unknown>>> };

/** getSmartDisplayNameForRow: a row's title is its string cells, plus the field's name when other numbers are beside it. */
function rowTitle(frame: Frame, field: Field, row: number): string {
  if (field.config.displayName) return field.config.displayName;
  const parts: string[] = [];
  let otherNumbers = 0;
  for (const other of frame.fields) {
    if (other === field) continue;
    if (other.type === "string") {
      const v = String(other.values[row] ?? "");
      if (v.length > 0) parts.push(v);
    } else if (other.type === "number") otherNumbers++;
  }
  if (otherNumbers || parts.length === 0) parts.push(displayName(field, frame));
  return parts.join(" ");
}

/** What the panel shows for these (transformed) frames. */
export function panelView(panel: Panel, frames: Frame[]): PanelView {
  switch (panel.type) {
    case "timeseries":
      return {
        type: "timeseries",
        series: frames.flatMap((frame) => {
          const time = frame.fields.find((f) => f.type === "time");
          if (!time) return [];
          return frame.fields
            .filter((f) => f.type === "number")
            .map((f) => ({
              name: displayName(f, frame),
              points: time.values.map((t, i) => [t as number, f.values[i]] as [number, unknown]),
            }));
        }),
      };
    case "bargauge":
    case "stat": {
      const reduceOptions = panel.options?.reduceOptions ?? {};
      const calcs: string[] = reduceOptions.calcs?.length ? reduceOptions.calcs : ["last"];
      const matches = (f: Field, frame: Frame) =>
        reduceOptions.fields ? new RegExp(reduceOptions.fields).test(displayName(f, frame)) : f.type === "number";
      const values = frames.flatMap((frame) =>
        frame.fields
          .filter((f) => matches(f, frame))
          .flatMap((f) =>
            reduceOptions.values
              ? f.values.map((value, row) => ({ title: rowTitle(frame, f, row), value }))
              : calcs.map((calc) => ({ title: f.config.displayName || displayName(f, frame), value: reduce(calc, f) })),
          ),
      );
      // With a value per row, Grafana shows at most `limit` of them (25 unless set).
      return { type: panel.type, values: reduceOptions.values ? values.slice(0, reduceOptions.limit || 25) : values };
    }
    case "table":
      return {
        type: "table",
        tables: frames.map((frame) =>
          [...Array(frameLength(frame)).keys()].map((row) =>
            Object.fromEntries(frame.fields.map((f) => [displayName(f, frame), f.values[row]])),
          ),
        ),
      };
    default:
      throw new Error(`drawing a ${panel.type} panel is not implemented`);
  }
}

/** Runs a panel's queries against InfluxDB as Grafana sends them, transforms the frames and returns what it shows. */
export async function drawPanel(panel: Panel, influx: { url: string; database: string }, values: Values, range: Range): Promise<PanelView> {
  const frames: Frame[] = [];
  for (const target of panel.targets ?? []) {
    const series = await influxSelect(influx.url, influx.database, substitute(target.query, values, range));
    frames.push(...targetFrames(series, target, range.intervalMs));
  }
  return panelView(panel, transform(frames, panel.transformations));
}
