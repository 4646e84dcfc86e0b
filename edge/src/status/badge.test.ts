// Badge builders: exact SVG and shields.io JSON for each status and uptime band.
import { describe, expect, it } from "vitest";
import { badgeSvg, formatUptime, shieldsEndpoint, statusBadge, textWidth, uptimeBadge } from "./badge.ts";

describe("badgeSvg", () => {
  it("draws a status badge exactly", () => {
    expect(badgeSvg(statusBadge("up"))).toBe(
      '<svg xmlns="http://www.w3.org/2000/svg" width="68" height="20" role="img" aria-label="status: up"><title>status: up</title>' +
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>' +
        '<clipPath id="r"><rect width="68" height="20" rx="3" fill="#fff"/></clipPath>' +
        '<g clip-path="url(#r)"><rect width="44" height="20" fill="#555"/><rect x="44" width="24" height="20" fill="#4c1"/><rect width="68" height="20" fill="url(#s)"/></g>' +
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">' +
        '<text x="22" y="15" fill="#010101" fill-opacity=".3">status</text><text x="22" y="14">status</text>' +
        '<text x="56" y="15" fill="#010101" fill-opacity=".3">up</text><text x="56" y="14">up</text></g></svg>',
    );
  });

  it("draws an uptime badge exactly", () => {
    expect(badgeSvg(uptimeBadge("30d", 0.99953))).toBe(
      '<svg xmlns="http://www.w3.org/2000/svg" width="128" height="20" role="img" aria-label="uptime 30d: 99.95%"><title>uptime 30d: 99.95%</title>' +
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>' +
        '<clipPath id="r"><rect width="128" height="20" rx="3" fill="#fff"/></clipPath>' +
        '<g clip-path="url(#r)"><rect width="74" height="20" fill="#555"/><rect x="74" width="54" height="20" fill="#4c1"/><rect width="128" height="20" fill="url(#s)"/></g>' +
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">' +
        '<text x="37" y="15" fill="#010101" fill-opacity=".3">uptime 30d</text><text x="37" y="14">uptime 30d</text>' +
        '<text x="101" y="15" fill="#010101" fill-opacity=".3">99.95%</text><text x="101" y="14">99.95%</text></g></svg>',
    );
  });

  it("escapes text as XML", () => {
    const out = badgeSvg({ label: `a<b>"c'`, message: "x&y", color: "red" });
    expect(out).toContain("<title>a&#60;b&#62;&#34;c&#39;: x&#38;y</title>");
    expect(out).not.toMatch(/<b>|x&y/);
  });

  it("sizes text by Verdana advance widths, rounded up", () => {
    expect(textWidth("status")).toBe(34);
    expect(textWidth("99.95%")).toBe(44);
    expect(textWidth("")).toBe(0);
  });
});

describe("badges", () => {
  it("colour each status", () => {
    expect(statusBadge("up")).toEqual({ label: "status", message: "up", color: "brightgreen" });
    expect(statusBadge("down")).toEqual({ label: "status", message: "down", color: "red" });
    expect(statusBadge("pending").color).toBe("lightgrey");
    expect(statusBadge("paused").color).toBe("lightgrey");
    expect(statusBadge("maintenance").color).toBe("blue");
  });

  it("band uptime, and say 'no data' rather than inventing 100%", () => {
    expect(uptimeBadge("24h", 1)).toEqual({ label: "uptime 24h", message: "100%", color: "brightgreen" });
    expect(uptimeBadge("7d", 0.995).color).toBe("green");
    expect(uptimeBadge("7d", 0.96).color).toBe("yellow");
    expect(uptimeBadge("7d", 0.91).color).toBe("orange");
    expect(uptimeBadge("7d", 0.5)).toEqual({ label: "uptime 7d", message: "50.00%", color: "red" });
    expect(uptimeBadge("90d", null)).toEqual({ label: "uptime 90d", message: "no data", color: "lightgrey" });
  });

  it("never round uptime up", () => {
    expect(formatUptime(0.99999)).toBe("99.99%");
    expect(formatUptime(0.999949)).toBe("99.99%");
    expect(formatUptime(0)).toBe("0.00%");
  });

  it("follow the shields.io endpoint schema", () => {
    expect(shieldsEndpoint(statusBadge("down"))).toEqual({ schemaVersion: 1, label: "status", message: "down", color: "red" });
  });
});
