// The status page (/): the overall banner (over every monitor), a filter box, "problems first" and the
// choice of view, then the monitors by group, each group collapsible. The compact view (the default
// for a fleet) is a table row per monitor: status, name, latency, uptime and the 90-day strip; the
// cards view gives each monitor every figure and a 90-day bar to step through. The first PAGE
// monitors are loaded, PAGE more on each "Show more" (a fleet of 1,000 stays light); the filter and
// the ordering work on the monitors loaded, and say so when there are more.
import { getJson } from "./api.ts";
import { dayBar, dayStrip } from "./days.ts";
import { h } from "./dom.ts";
import { ms, pct } from "./format.ts";
import type { Page } from "./page.ts";
import {
  type View,
  countsText,
  defaultView,
  filterSummary,
  filterTerms,
  groups,
  matches,
  overall,
  overallOf,
  problemsFirst,
} from "./model.ts";
import { prefs } from "./prefs.ts";
import { agoTime, statusBadge } from "./widgets.ts";
import type { MonitorSummary, StatusPayload } from "./types.ts";

const BANNER_ICON = { up: "✓", degraded: "!", down: "✕", none: "–" } as const;

const monitorHref = (m: MonitorSummary) => `/monitors/${encodeURIComponent(m.id)}`;

function fig(label: string, cls: string, value: Node | string): HTMLElement {
  return h("div", {}, h("dt", {}, label), h("dd", { class: cls }, value));
}

function monitorCard(m: MonitorSummary, now: number): HTMLElement {
  return h(
    "li",
    { class: "mon", "data-id": m.id, "data-status": m.status },
    h(
      "div",
      { class: "mon-head" },
      h("h3", { class: "mon-name" }, h("a", { href: monitorHref(m), "data-focus-key": `link:${m.id}` }, m.name)),
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

function monitorRow(m: MonitorSummary): HTMLElement {
  return h(
    "tr",
    { class: "mon", "data-id": m.id, "data-status": m.status },
    h("td", { class: "c-status" }, statusBadge(m.status)),
    h("th", { scope: "row", class: "c-name mon-name" }, h("a", { href: monitorHref(m), "data-focus-key": `link:${m.id}` }, m.name)),
    h("td", { class: "c-num f-latency" }, ms(m.latency_ms)),
    h("td", { class: "c-num f-24h" }, pct(m.uptime["24h"])),
    h("td", { class: "c-num f-90d wide" }, pct(m.uptime["90d"])),
    h("td", { class: "c-days wide" }, dayStrip(m.days)),
  );
}

/** One group's monitors as a table; the columns are the same widths in every group, so they line up. */
function compactTable(id: string, labelledBy: string, monitors: MonitorSummary[]): HTMLElement {
  return h(
    "table",
    { class: "compact", id, "aria-labelledby": labelledBy },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col", class: "c-status" }, "Status"),
        h("th", { scope: "col", class: "c-name" }, "Monitor"),
        h("th", { scope: "col", class: "c-num c-latency" }, "Latency"),
        h("th", { scope: "col", class: "c-num c-24h" }, h("span", { class: "long" }, "Uptime "), "24h"),
        h("th", { scope: "col", class: "c-num c-90d wide" }, "Uptime 90d"),
        h("th", { scope: "col", class: "c-days wide" }, "Last 90 days"),
      ),
    ),
    h("tbody", {}, ...monitors.map(monitorRow)),
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

type Drawn = { section: HTMLElement; counts: HTMLElement; monitors: MonitorSummary[]; rows: HTMLElement[] };

export function statusPage(): Page<StatusPayload> {
  let want = PAGE;
  let reload = () => {};
  let shown: { d: StatusPayload; now: number } | null = null;
  let terms: string[] = [];
  let drawn: Drawn[] = [];
  const collapsed = prefs.collapsed();

  // The controls and the filter's live region are made once and never leave the page, so a refresh
  // neither interrupts typing nor re-announces the count; the banner, the groups and "Show more" are
  // redrawn in their places.
  const filter = h("input", {
    id: "filter",
    type: "search",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "Name or group",
    "aria-describedby": "filter-count",
    "data-focus-key": "filter",
  });
  const problems = h("input", { id: "problems-first", type: "checkbox", "data-focus-key": "problems-first" });
  problems.checked = prefs.problemsFirst();
  const viewButtons = (["compact", "cards"] as const).map((v) =>
    h("button", { type: "button", class: "seg", "data-view": v, "data-focus-key": `view:${v}` }, v === "compact" ? "Compact" : "Cards"),
  );
  const count = h("p", { id: "filter-count", class: "filter-count", role: "status" });
  const top = h("div", {});
  const list = h("div", { class: "groups" });
  const foot = h("div", {});
  const root = h(
    "div",
    { class: "status" },
    top,
    h(
      "div",
      { class: "controls" },
      h("div", { class: "filter", role: "search" }, h("label", { for: "filter" }, "Filter"), filter),
      h("label", { class: "check", for: "problems-first" }, problems, "Problems first"),
      h("div", { class: "segs", role: "group", "aria-label": "View" }, ...viewButtons),
    ),
    count,
    list,
    foot,
  );

  function groupSection(g: { name: string; monitors: MonitorSummary[] }, i: number, view: View, now: number): Drawn {
    const id = `group-${i}`;
    const open = !collapsed.has(g.name);
    const toggle = h(
      "button",
      {
        type: "button",
        class: "group-toggle",
        "aria-expanded": String(open),
        "aria-controls": `${id}-body`,
        "data-focus-key": `group:${g.name}`,
      },
      g.name,
    );
    const body =
      view === "compact"
        ? compactTable(`${id}-body`, id, g.monitors)
        : h("ul", { class: "mons", id: `${id}-body` }, ...g.monitors.map((m) => monitorCard(m, now)));
    body.hidden = !open;
    toggle.addEventListener("click", () => {
      const opening = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(opening));
      body.hidden = !opening;
      if (opening) collapsed.delete(g.name);
      else collapsed.add(g.name);
      prefs.setCollapsed(collapsed);
    });
    const counts = h("span", { class: "group-counts" });
    const section = h(
      "section",
      { class: "group", "aria-labelledby": id },
      h("div", { class: "group-head" }, h("h2", { id }, toggle), counts),
      body,
    );
    return { section, counts, monitors: g.monitors, rows: [...body.querySelectorAll<HTMLElement>(".mon")] };
  }

  /** Hides what the filter leaves out (in place: typing redraws nothing) and says how much is left. */
  function applyFilter() {
    if (!shown) return;
    let matched = 0;
    for (const g of drawn) {
      let k = 0;
      g.monitors.forEach((m, j) => {
        const ok = matches(m, terms);
        g.rows[j]!.hidden = !ok;
        if (ok) k += 1;
      });
      matched += k;
      g.section.hidden = k === 0;
      g.counts.textContent = terms.length ? `${k} of ${g.monitors.length} match` : countsText(overall(g.monitors).counts);
    }
    const text = terms.length ? filterSummary(matched, shown.d.monitors.length, shown.d.total) : "";
    if (count.textContent !== text) count.textContent = text;
  }

  function draw() {
    if (!shown) return;
    const { d, now } = shown;
    const view = prefs.view() ?? defaultView(d.total);
    for (const b of viewButtons) b.setAttribute("aria-pressed", String(b.dataset.view === view));
    const ordered = problems.checked ? problemsFirst(groups(d.monitors)) : groups(d.monitors);
    drawn = ordered.map((g, i) => groupSection(g, i, view, now));
    list.className = `groups view-${view}`;
    list.replaceChildren(...drawn.map((g) => g.section));
    applyFilter();
  }

  filter.addEventListener("input", () => {
    terms = filterTerms(filter.value);
    applyFilter();
  });
  problems.addEventListener("change", () => {
    prefs.setProblemsFirst(problems.checked);
    draw();
  });
  for (const b of viewButtons)
    b.addEventListener("click", () => {
      prefs.setView(b.dataset.view as View);
      draw();
    });

  function moreButton(label: string, next: number, key: string): HTMLElement {
    const b = h("button", { type: "button", class: "more", "data-focus-key": key }, label);
    b.addEventListener("click", () => {
      want = next;
      b.disabled = true;
      b.textContent = "Loading…";
      reload();
    });
    return b;
  }

  return {
    load: () => loadFirst(want),
    setReload(fn) {
      reload = fn;
    },
    title: (d) => (d.counts.down ? `(${d.counts.down} down) Status` : "Status"),
    render(d, now) {
      shown = { d, now };
      const o = overallOf(d.counts);
      top.replaceChildren(
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
      draw();
      const left = d.total - d.monitors.length;
      foot.replaceChildren(
        ...(left > 0
          ? [
              h(
                "p",
                { class: "more-wrap" },
                h("span", {}, `Showing ${d.monitors.length} of ${d.total} monitors. `),
                moreButton(`Show ${Math.min(PAGE, left)} more`, d.monitors.length + PAGE, "more"),
                left > PAGE ? moreButton(`Show all ${d.total}`, d.total, "more-all") : null,
              ),
            ]
          : []),
      );
      return root;
    },
  };
}
