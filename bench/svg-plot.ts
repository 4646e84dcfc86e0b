// A tiny dependency-free SVG line-chart writer for the benchmarks' figures (docs/img/*.svg):
// axes with round ticks, labels, a title, a legend, dashed series, markers and labelled vertical lines.
// Several charts stack into one figure (panels sharing a width).

export type Series = {
  name: string;
  points: Array<[number, number]>;
  dashed?: boolean;
  /** Draw a dot at each point (for charts with few points). */
  dots?: boolean;
  /** Steps (value holds until the next point) instead of straight segments. */
  step?: boolean;
  /** Dots only, no line (a scatter). */
  noLine?: boolean;
};

export type Chart = {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Ticks on the x axis; default: round numbers over the data's range. */
  xTicks?: number[];
  /** Lower end of the y axis (default 0, or the data's least value if below 0). */
  yMin?: number;
  yMax?: number;
  /** Vertical lines at x, labelled at the top of the plot. */
  marks?: Array<{ x: number; label: string }>;
  width?: number;
  height?: number;
};

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';
const MARGIN = { left: 64, right: 24, bottom: 52 };
const LEGEND_ROW = 16;

export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** About `count` round tick values (1, 2 or 5 times a power of ten apart) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / Math.max(1, count);
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  if (out[out.length - 1]! < hi) out.push(Number((out[out.length - 1]! + step).toPrecision(12)));
  return out;
}

const fmt = (v: number) => (Math.abs(v) >= 1000 ? v.toLocaleString("en-US") : String(Number(v.toPrecision(6))));
const num = (v: number) => v.toFixed(1);

/** The legend's entries placed in rows under the title, wrapping at the plot's width. */
function legendLayout(c: Chart, width: number): Array<{ x: number; row: number }> {
  const out: Array<{ x: number; row: number }> = [];
  let x = MARGIN.left;
  let row = 0;
  for (const s of c.series) {
    const w = 27 + s.name.length * 6.2 + 18;
    if (x > MARGIN.left && x + w > width - MARGIN.right) {
      x = MARGIN.left;
      row++;
    }
    out.push({ x, row });
    x += w;
  }
  return out;
}

/** The chart's elements (no <svg> wrapper), drawn in a box of its width × height. */
function chartBody(c: Chart, width: number, height: number): string {
  const legend = legendLayout(c, width);
  const top = 40 + LEGEND_ROW * (Math.max(0, ...legend.map((l) => l.row)) + 1);
  const all = c.series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const xTicks = c.xTicks ?? niceTicks(Math.min(...xs), Math.max(...xs), 8);
  const x0 = Math.min(...xTicks, ...xs);
  const x1 = Math.max(...xTicks, ...xs);
  const yTicks = niceTicks(c.yMin ?? Math.min(0, ...ys), c.yMax ?? Math.max(...ys, 1e-9), 5);
  const y0 = yTicks[0]!;
  const y1 = yTicks[yTicks.length - 1]!;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - top - MARGIN.bottom;
  const sx = (x: number) => MARGIN.left + ((x - x0) / (x1 - x0 || 1)) * plotW;
  const sy = (y: number) => top + plotH - ((y - y0) / (y1 - y0 || 1)) * plotH;
  const out: string[] = [];
  out.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600">${escapeXml(c.title)}</text>`);
  // Grid and ticks.
  for (const t of yTicks) {
    const y = num(sy(t));
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${y}" dy="4" text-anchor="end" font-size="11">${fmt(t)}</text>`);
  }
  for (const t of xTicks) {
    const x = num(sx(t));
    out.push(`<line x1="${x}" x2="${x}" y1="${top + plotH}" y2="${top + plotH + 5}" stroke="#333"/>`);
    out.push(`<text x="${x}" y="${top + plotH + 18}" text-anchor="middle" font-size="11">${fmt(t)}</text>`);
  }
  out.push(
    `<rect x="${MARGIN.left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${height - 10}" text-anchor="middle" font-size="12">${escapeXml(c.xLabel)}</text>`,
    `<text transform="translate(16 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escapeXml(c.yLabel)}</text>`,
  );
  // Vertical marks, labels staggered so neighbours do not overlap; right of the line, or left of it near the right edge.
  (c.marks ?? []).forEach((m, i) => {
    const x = num(sx(m.x));
    const left = sx(m.x) > MARGIN.left + plotW * 0.75;
    out.push(`<line x1="${x}" x2="${x}" y1="${top}" y2="${top + plotH}" stroke="#888" stroke-dasharray="2 3"/>`);
    out.push(
      `<text x="${x}" y="${top + 12 + (i % 3) * 13}" dx="${left ? -3 : 3}"${left ? ' text-anchor="end"' : ""} font-size="10" fill="#555">${escapeXml(m.label)}</text>`,
    );
  });
  // Series.
  c.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    const path: string[] = [];
    pts.forEach(([x, y], j) => {
      if (j > 0 && s.step) path.push(`${num(sx(x))},${num(sy(pts[j - 1]![1]))}`);
      path.push(`${num(sx(x))},${num(sy(y))}`);
    });
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : "";
    if (!s.noLine) out.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${path.join(" ")}"/>`);
    if (s.dots || s.noLine) for (const [x, y] of pts) out.push(`<circle cx="${num(sx(x))}" cy="${num(sy(y))}" r="3.5" fill="${color}"/>`);
  });
  // Legend: rows under the title.
  c.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const { x, row } = legend[i]!;
    const y = 40 + row * LEGEND_ROW;
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : "";
    if (s.noLine) out.push(`<circle cx="${x + 11}" cy="${y}" r="3.5" fill="${color}"/>`);
    else out.push(`<line x1="${x}" x2="${x + 22}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${x + 27}" y="${y + 4}" font-size="11">${escapeXml(s.name)}</text>`);
  });
  return out.join("\n");
}

/** One chart as a standalone SVG document. */
export function lineChart(c: Chart): string {
  return stackCharts([c]);
}

/** Charts one above the other in one SVG document (each at its own height, the widest width). */
export function stackCharts(charts: Chart[]): string {
  const width = Math.max(...charts.map((c) => c.width ?? 720));
  let y = 0;
  const panels: string[] = [];
  for (const c of charts) {
    const h = c.height ?? 360;
    panels.push(`<g transform="translate(0 ${y})">\n${chartBody(c, width, h)}\n</g>`);
    y += h;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" ${FONT} fill="#222">`,
    `<rect width="${width}" height="${y}" fill="#fff"/>`,
    ...panels,
    "</svg>",
    "",
  ].join("\n");
}
