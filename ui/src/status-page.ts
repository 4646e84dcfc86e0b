// The status page (/): the overall banner (over every monitor), then the monitors by group with
// their status, latency, uptime for 24h/30d/90d, the 90-day bar and when each was last checked: the
// first PAGE of them, and PAGE more each time "Show more" is pressed (a fleet of 1,000 stays light).
import { getJson } from "./api.ts";
import { dayBar } from "./days.ts";
import { h } from "./dom.ts";
import { ms, pct } from "./format.ts";
import type { Page } from "./page.ts";
import { countsText, groups, overallOf } from "./model.ts";
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

/** Monitors per page of the list: the first view, and each "Show more". */
export const PAGE = 100;
/** The API's largest page. */
const MAX_LIMIT = 1000;

/** The first `want` monitors of the list, in as few requests as the API's page size allows. */
async function loadFirst(want: number): Promise<StatusPayload> {
  let d: StatusPayload | null = null;
  let cursor: string | null = null;
  do {
    const limit = Math.min(MAX_LIMIT, want - (d?.monitors.length ?? 0));
    const next: StatusPayload = await getJson<StatusPayload>(
      `/api/v1/status?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    d = d ? { ...next, monitors: [...d.monitors, ...next.monitors] } : next;
    cursor = next.next_cursor;
  } while (cursor && d.monitors.length < want);
  return d;
}

export function statusPage(): Page<StatusPayload> {
  let want = PAGE;
  let reload = () => {};
  return {
    load: () => loadFirst(want),
    setReload(fn) {
      reload = fn;
    },
    title: (d) => (d.counts.down ? `(${d.counts.down} down) Status` : "Status"),
    render(d, now) {
      const o = overallOf(d.counts);
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
      if (d.monitors.length < d.total) {
        const more = h(
          "button",
          { type: "button", class: "more", "data-focus-key": "more" },
          `Show ${Math.min(PAGE, d.total - d.monitors.length)} more`,
        );
        more.addEventListener("click", () => {
          want = d.monitors.length + PAGE;
          more.disabled = true;
          more.textContent = "Loading…";
          reload();
        });
        frag.append(h("p", { class: "more-wrap" }, h("span", {}, `Showing ${d.monitors.length} of ${d.total} monitors. `), more));
      }
      return frag;
    },
  };
}
