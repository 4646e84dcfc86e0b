// The latency chart: a pure model (scales, ticks, points) and its SVG rendering.
import { svg } from "./dom.ts";
import { ms } from "./format.ts";
import type { Series } from "./types.ts";

export type ChartPoint = { i: number; x: number; y: number; value: number; start: number; checks: number; up: number };
export type ChartModel = {
  width: number;
  height: number;
  plot: { left: number; top: number; right: number; bottom: number };
  points: ChartPoint[];
  /** One SVG path per run of buckets that have a latency; a bucket without one breaks the line. */
  segments: string[];
  yTicks: Array<{ y: number; value: number }>;
  xTicks: Array<{ x: number; start: number }>;
  yMax: number;
};

/** The smallest 1, 2 or 5 × 10^k at or above x. */
export function niceCeil(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x - 1e-9) return m * p;
  return 10 * p;
}

const r1 = (x: number) => Math.round(x * 10) / 10;

export function chartModel(series: Series, width = 720, height = 240): ChartModel {
  const plot = { left: 56, top: 12, right: width - 12, bottom: height - 28 };
  const n = series.avg_latency_ms.length;
  const from = Date.parse(series.from);
  const step = series.bucket_s * 1000;
  const values = series.avg_latency_ms.filter((v): v is number => v !== null);
  const top = Math.max(...values, 0);
  // Four intervals of a round step, so the ticks read 0, 5, 10, 15, 20 and the like.
  const tickStep = niceCeil((top * 1.1) / 4 || 0.25);
  const yMax = tickStep * 4;
  const xAt = (i: number) => r1(plot.left + ((i + 0.5) * (plot.right - plot.left)) / Math.max(n, 1));
  const yAt = (v: number) => r1(plot.bottom - (v / yMax) * (plot.bottom - plot.top));
  const points: ChartPoint[] = [];
  const segments: string[] = [];
  let run: string[] = [];
  series.avg_latency_ms.forEach((v, i) => {
    if (v === null) {
      if (run.length) segments.push(run.join(" "));
      run = [];
      return;
    }
    const p = { i, x: xAt(i), y: yAt(v), value: v, start: from + i * step, checks: series.checks[i] ?? 0, up: series.up[i] ?? 0 };
    points.push(p);
    run.push(`${run.length ? "L" : "M"}${p.x} ${p.y}`);
  });
  if (run.length) segments.push(run.join(" "));
  const yTicks = [0, 1, 2, 3, 4].map((k) => ({ value: tickStep * k, y: yAt(tickStep * k) }));
  const xTicks = n ? [0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(f * (n - 1))).map((i) => ({ x: xAt(i), start: from + i * step })) : [];
  return { width, height, plot, points, segments, yTicks, xTicks, yMax };
}

const tickValue = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(v < 1 ? 2 : 1));

/**
 * Renders the chart. `label` formats a bucket's start for the x axis; `describe` says what a point
 * is for its tooltip. The caller gives the chart its accessible name and a table of the same data.
 */
export function renderChart(
  model: ChartModel,
  opts: { id: string; title: string; label: (t: number) => string; bucket: (t: number) => string },
): SVGSVGElement {
  const { plot } = model;
  const root = svg("svg", {
    viewBox: `0 0 ${model.width} ${model.height}`,
    class: "chart",
    role: "img",
    "aria-labelledby": `${opts.id}-title`,
    "data-points": String(model.points.length),
  });
  root.append(svg("title", { id: `${opts.id}-title` }, opts.title));
  const grid = svg("g", { class: "grid" });
  for (const t of model.yTicks) {
    grid.append(svg("line", { x1: plot.left, x2: plot.right, y1: t.y, y2: t.y }));
    grid.append(svg("text", { x: plot.left - 6, y: t.y + 4, class: "ytick" }, tickValue(t.value)));
  }
  model.xTicks.forEach((t, i) => {
    grid.append(svg("line", { x1: t.x, x2: t.x, y1: plot.bottom, y2: plot.bottom + 4 }));
    // The outer labels hang inwards so that they are not cut at the chart's edges.
    const anchor = i === 0 ? "start" : i === model.xTicks.length - 1 ? "end" : "middle";
    grid.append(svg("text", { x: t.x, y: plot.bottom + 18, class: "xtick", "text-anchor": anchor }, opts.label(t.start)));
  });
  grid.append(
    svg(
      "text",
      { x: 14, y: (plot.top + plot.bottom) / 2, class: "unit", transform: `rotate(-90 14 ${(plot.top + plot.bottom) / 2})` },
      "latency (ms)",
    ),
  );
  grid.append(svg("line", { class: "axis", x1: plot.left, x2: plot.left, y1: plot.top, y2: plot.bottom }));
  grid.append(svg("line", { class: "axis", x1: plot.left, x2: plot.right, y1: plot.bottom, y2: plot.bottom }));
  root.append(grid);
  for (const d of model.segments) root.append(svg("path", { class: "line", d }));
  const dots = svg("g", { class: "pts" });
  for (const p of model.points) {
    const failed = p.checks - p.up;
    dots.append(
      svg(
        "circle",
        { class: failed ? "pt pt-fail" : "pt", cx: p.x, cy: p.y, r: failed ? 3 : 2 },
        svg(
          "title",
          {},
          `${opts.bucket(p.start)}: ${ms(p.value)} average, ${p.checks} check${p.checks === 1 ? "" : "s"}${failed ? `, ${failed} failed` : ""}`,
        ),
      ),
    );
  }
  root.append(dots);
  return root;
}
