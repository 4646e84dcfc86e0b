// The status page (/): the overall banner, then every monitor by group with its status, latency,
// uptime for 24h/30d/90d, the 90-day bar and when it was last checked.
import { getJson } from "./api.ts";
import { dayBar } from "./days.ts";
import { h } from "./dom.ts";
import { ms, pct } from "./format.ts";
import type { Page } from "./page.ts";
import { countsText, groups, overall } from "./model.ts";
import { agoTime, statusBadge } from "./widgets.ts";
import type { MonitorSummary, StatusPayload } from "./types.ts";

const BANNER_ICON = { up: "✓", degraded: "!", down: "✕", none: "–" } as const;

function fig(label: string, cls: string, value: Node | string): HTMLElement {
  return h("div", {}, h("dt", {}, label), h("dd", { class: cls }, value));
}

function monitorItem(m: MonitorSummary, now: number): HTMLElement {
  return h(
    "li",
    { class: "mon", "data-id": m.id, "data-status": m.status },
    h(
      "div",
      { class: "mon-head" },
      h("h3", { class: "mon-name" }, h("a", { href: `/monitors/${encodeURIComponent(m.id)}`, "data-focus-key": `link:${m.id}` }, m.name)),
      statusBadge(m.status),
    ),
    h(
      "dl",
      { class: "figs" },
      fig("Latency", "f-latency", ms(m.latency_ms)),
      fig("24h", "f-24h", pct(m.uptime["24h"])),
      fig("30d", "f-30d", pct(m.uptime["30d"])),
      fig("90d", "f-90d", pct(m.uptime["90d"])),
      fig("Checked", "f-checked", agoTime(m.last_check_at, now)),
    ),
    dayBar(m.days, m.name, `days:${m.id}`),
  );
}

export function statusPage(): Page<StatusPayload> {
  return {
    load: () => getJson<StatusPayload>("/api/v1/status"),
    title: (d) => {
      const down = d.monitors.filter((m) => m.status === "down").length;
      return down ? `(${down} down) Status` : "Status";
    },
    render(d, now) {
      const o = overall(d.monitors);
      const frag = document.createDocumentFragment();
      frag.append(
        h(
          "section",
          { class: `banner banner-${o.level}`, "aria-labelledby": "banner-title" },
          h("span", { class: "banner-icon", "aria-hidden": "true" }, BANNER_ICON[o.level]),
          h(
            "div",
            {},
            h("h1", { id: "banner-title" }, o.title),
            h("p", { class: "banner-counts" }, countsText(o.counts) || "nothing to show"),
          ),
        ),
      );
      for (const [i, g] of groups(d.monitors).entries()) {
        const id = `group-${i}`;
        frag.append(
          h(
            "section",
            { class: "group", "aria-labelledby": id },
            h("h2", { id }, g.name),
            h("ul", { class: "mons" }, ...g.monitors.map((m) => monitorItem(m, now))),
          ),
        );
      }
      return frag;
    },
  };
}
