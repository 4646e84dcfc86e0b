// Badges: pure builders of flat SVG badges (shields.io's look) and shields.io endpoint JSON.
import type { MonitorStatus } from "../../../contract/index.ts";

/** shields.io's named colours and the hex each one draws with. */
export const COLORS = {
  brightgreen: "#4c1",
  green: "#97ca00",
  yellow: "#dfb317",
  orange: "#fe7d37",
  red: "#e05d44",
  blue: "#007ec6",
  lightgrey: "#9f9f9f",
} as const;
export type Color = keyof typeof COLORS;

export type Badge = { label: string; message: string; color: Color };

// Advance widths of Verdana at 11 px (the badge font), close enough to size the two halves.
const WIDTHS: Record<string, number> = {
  " ": 3.9,
  "%": 11.9,
  "-": 4.6,
  ".": 3.5,
  ":": 4.6,
  "(": 4.5,
  ")": 4.5,
  "/": 4.6,
  a: 6.7,
  b: 6.9,
  c: 5.8,
  d: 6.9,
  e: 6.6,
  f: 3.9,
  g: 6.9,
  h: 7,
  i: 3,
  j: 3.8,
  k: 6.5,
  l: 3,
  m: 10.7,
  n: 7,
  o: 6.7,
  p: 6.9,
  q: 6.9,
  r: 4.7,
  s: 5.7,
  t: 4.3,
  u: 7,
  v: 6.5,
  w: 8.9,
  x: 6.5,
  y: 6.5,
  z: 5.8,
};

/** Width in px of `text` set in 11 px Verdana, rounded up. */
export function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += WIDTHS[ch] ?? (/[0-9]/.test(ch) ? 7 : /[A-Z]/.test(ch) ? 7.5 : 7);
  return Math.ceil(w);
}

const escapeXml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A 20 px high flat badge: grey label on the left, coloured message on the right. */
export function badgeSvg({ label, message, color }: Badge): string {
  const lw = textWidth(label) + 10;
  const mw = textWidth(message) + 10;
  const w = lw + mw;
  const l = escapeXml(label);
  const m = escapeXml(message);
  const lx = lw / 2;
  const mx = lw + mw / 2;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" role="img" aria-label="${l}: ${m}">` +
    `<title>${l}: ${m}</title>` +
    `<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>` +
    `<clipPath id="r"><rect width="${w}" height="20" rx="3" fill="#fff"/></clipPath>` +
    `<g clip-path="url(#r)"><rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${mw}" height="20" fill="${COLORS[color]}"/><rect width="${w}" height="20" fill="url(#s)"/></g>` +
    `<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">` +
    `<text x="${lx}" y="15" fill="#010101" fill-opacity=".3">${l}</text><text x="${lx}" y="14">${l}</text>` +
    `<text x="${mx}" y="15" fill="#010101" fill-opacity=".3">${m}</text><text x="${mx}" y="14">${m}</text>` +
    `</g></svg>`
  );
}

const STATUS_COLORS: Record<MonitorStatus, Color> = {
  up: "brightgreen",
  down: "red",
  pending: "lightgrey",
  paused: "lightgrey",
  maintenance: "blue",
};

export function statusBadge(status: MonitorStatus): Badge {
  return { label: "status", message: status, color: STATUS_COLORS[status] };
}

/** Uptime as a percentage that never rounds up to a better figure: 0.99996 is "99.99%", only 1 is "100%". */
export function formatUptime(uptime: number): string {
  if (uptime >= 1) return "100%";
  return `${(Math.floor(uptime * 10000) / 100).toFixed(2)}%`;
}

export function uptimeBadge(window: string, uptime: number | null): Badge {
  const label = `uptime ${window}`;
  if (uptime === null) return { label, message: "no data", color: "lightgrey" };
  const color: Color =
    uptime >= 0.999 ? "brightgreen" : uptime >= 0.99 ? "green" : uptime >= 0.95 ? "yellow" : uptime >= 0.9 ? "orange" : "red";
  return { label, message: formatUptime(uptime), color };
}

/** The shields.io endpoint schema (https://shields.io/badges/endpoint-badge). */
export function shieldsEndpoint(b: Badge) {
  return { schemaVersion: 1, label: b.label, message: b.message, color: b.color };
}
