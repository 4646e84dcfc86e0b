// The monitor page (/monitors/:id): state and since when, last error, the latency chart for
// 24h / 7d / 30d, uptime per window, the 90-day bar and the recent checks with errors and locations.
import { getJson } from "./api.ts";
import { chartModel, renderChart } from "./chart.ts";
import { dayBar } from "./days.ts";
import { h } from "./dom.ts";
import { STATUS_TEXT, duration, ms, pct } from "./format.ts";
import type { Page } from "./page.ts";
import { agoTime, statusBadge } from "./widgets.ts";
import type { MonitorPayload, RecentCheck, Series, SeriesWindow, UptimeWindow } from "./types.ts";

const SERIES_WINDOWS: SeriesWindow[] = ["24h", "7d", "30d"];
const UPTIME_WINDOWS: UptimeWindow[] = ["24h", "7d", "30d", "90d"];

const when = (t: number) =>
  new Date(t).toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });

function axisLabel(window: SeriesWindow): (t: number) => string {
  if (window === "24h") return (t) => new Date(t).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  if (window === "7d") return (t) => new Date(t).toLocaleDateString(undefined, { weekday: "short", day: "numeric" });
  return (t) => new Date(t).toLocaleDateString(undefined, { month: "short", day: "numeric" });
}

function bucketLabel(s: Series): (t: number) => string {
  return (t) => `${when(t)} – ${new Date(t + s.bucket_s * 1000).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" })}`;
}

function initialWindow(): SeriesWindow {
  const w = new URLSearchParams(location.search).get("window");
  return SERIES_WINDOWS.includes(w as SeriesWindow) ? (w as SeriesWindow) : "24h";
}

// The chart is drawn for the width it gets, so its labels stay legible on a phone; one listener
// redraws whichever chart is current.
let redraw: (() => void) | null = null;
let resizeTimer: number | undefined;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => redraw?.(), 150);
});

function chartWidth(): number {
  return Math.round(Math.min(720, Math.max(300, document.documentElement.clientWidth - 48)));
}

function latencySection(d: MonitorPayload, state: { window: SeriesWindow }): HTMLElement {
  const figure = h("div", { class: "chart-box" });
  const buttons = SERIES_WINDOWS.map((w) =>
    h(
      "button",
      { type: "button", class: "seg", "aria-pressed": String(w === state.window), "data-window": w, "data-focus-key": `window:${w}` },
      w,
    ),
  );
  const draw = () => {
    const s = d.latency[state.window];
    const width = chartWidth();
    const model = chartModel(s, width, width < 500 ? 200 : 240);
    const step = s.bucket_s >= 3600 ? `${s.bucket_s / 3600} hour${s.bucket_s === 3600 ? "" : "s"}` : `${s.bucket_s / 60} minutes`;
    const title = `Average latency of successful checks over the last ${state.window}, one point per ${step}, in milliseconds`;
    const rows = model.points.map((p) =>
      h("tr", {}, h("td", {}, bucketLabel(s)(p.start)), h("td", {}, ms(p.value)), h("td", {}, `${p.up} of ${p.checks}`)),
    );
    figure.replaceChildren(
      model.points.length
        ? renderChart(model, { id: "latency", title, label: axisLabel(state.window), bucket: bucketLabel(s) })
        : h("p", { class: "empty" }, `No latency measured in the last ${state.window}.`),
      h(
        "p",
        { class: "caption" },
        `${title}. ${model.points.length} point${model.points.length === 1 ? "" : "s"}; gaps are periods without a successful check.`,
      ),
      rows.length
        ? h(
            "details",
            {},
            h("summary", {}, "Show the data as a table"),
            h(
              "table",
              {},
              h(
                "thead",
                {},
                h(
                  "tr",
                  {},
                  h("th", { scope: "col" }, "Period"),
                  h("th", { scope: "col" }, "Average latency"),
                  h("th", { scope: "col" }, "Checks up"),
                ),
              ),
              h("tbody", {}, ...rows),
            ),
          )
        : "",
    );
    for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.window === state.window));
  };
  for (const b of buttons)
    b.addEventListener("click", () => {
      state.window = b.dataset.window as SeriesWindow;
      const url = new URL(location.href);
      url.searchParams.set("window", state.window);
      history.replaceState(null, "", url);
      draw();
    });
  draw();
  redraw = draw;
  return h(
    "section",
    { "aria-labelledby": "latency-h" },
    h(
      "div",
      { class: "section-head" },
      h("h2", { id: "latency-h" }, "Latency"),
      h("div", { class: "segs", role: "group", "aria-label": "Time window" }, ...buttons),
    ),
    figure,
  );
}

/** A check's error; for a heartbeat, what the job sent (or that it was missed) first, and its message when shown. */
function checkText(c: RecentCheck): Node | string {
  const event = c.event ? HEARTBEAT_EVENTS[c.event] : null;
  if (c.error) return h("span", {}, event ? `${event} · ` : "", h("strong", {}, c.error.kind), `: ${c.error.message}`);
  if (event) return h("span", {}, event, c.message ? `: ${c.message}` : "");
  return "—";
}

const HEARTBEAT_EVENTS: Record<NonNullable<RecentCheck["event"]>, string> = {
  success: "ping",
  fail: "failure ping",
  start: "start",
  missed: "missed",
};

function checksSection(d: MonitorPayload, now: number): HTMLElement {
  const head = h("h2", { id: "checks-h" }, "Recent checks");
  if (d.checks === null)
    return h(
      "section",
      { "aria-labelledby": "checks-h" },
      head,
      h("p", { class: "notice notice-warn" }, d.checks_error ?? "Recent checks are unavailable."),
    );
  if (d.checks.length === 0)
    return h("section", { "aria-labelledby": "checks-h" }, head, h("p", { class: "empty" }, "No checks in the last 7 days."));
  return h(
    "section",
    { "aria-labelledby": "checks-h" },
    head,
    h(
      "div",
      { class: "table-scroll", tabindex: 0, role: "region", "aria-labelledby": "checks-h" },
      h(
        "table",
        { class: "checks" },
        h("thead", {}, h("tr", {}, ...["Time", "Result", "Latency", "Location", "Error"].map((c) => h("th", { scope: "col" }, c)))),
        h(
          "tbody",
          {},
          ...d.checks.map((c) =>
            h(
              "tr",
              { class: c.ok ? "ok" : "fail" },
              h("td", {}, agoTime(c.ts, now)),
              h("td", {}, statusBadge(c.ok ? "up" : "down")),
              h("td", {}, ms(c.latency_ms)),
              h("td", {}, c.location),
              h("td", { class: "err" }, checkText(c)),
            ),
          ),
        ),
      ),
    ),
  );
}

export function monitorPage(id: string): Page<MonitorPayload> {
  const state = { window: initialWindow() };
  return {
    load: () => getJson<MonitorPayload>(`/api/v1/status/${encodeURIComponent(id)}`),
    title: (d) => `${d.monitor.status === "down" ? "(down) " : ""}${d.monitor.name} · Status`,
    render(d, now) {
      const m = d.monitor;
      const since = m.since ? Date.parse(m.since) : null;
      const frag = document.createDocumentFragment();
      frag.append(
        h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: "/" }, "← All monitors")),
        h(
          "header",
          { class: `mon-top st-${m.status}` },
          h("div", { class: "mon-head" }, h("h1", {}, m.name), statusBadge(m.status)),
          h(
            "p",
            { class: "since" },
            `${STATUS_TEXT[m.status]}${since ? ` since ${when(since)} (${duration(now - since)})` : ""}`,
            ...(m.kind === "heartbeat"
              ? [" · last ping ", agoTime(m.last_ping_at ?? null, now)]
              : [" · last checked ", agoTime(m.last_check_at, now)]),
            m.latency_ms !== null ? ` · ${ms(m.latency_ms)}` : "",
          ),
          h(
            "p",
            { class: "meta" },
            [m.kind.toUpperCase(), m.group].filter(Boolean).join(" · "),
            m.target ? h("span", {}, " · ", h("code", { class: "target" }, m.target)) : "",
          ),
        ),
        m.last_error
          ? h(
              "section",
              { class: "card last-error", "aria-labelledby": "error-h" },
              h("h2", { id: "error-h" }, "Last error"),
              h("p", {}, h("strong", {}, m.last_error.kind), `: ${m.last_error.message}`),
            )
          : "",
        h(
          "section",
          { "aria-labelledby": "uptime-h" },
          h("h2", { id: "uptime-h" }, "Uptime"),
          h(
            "dl",
            { class: "figs figs-wide" },
            ...UPTIME_WINDOWS.map((w) => h("div", {}, h("dt", {}, w), h("dd", { class: `f-${w}` }, pct(m.uptime[w])))),
          ),
          dayBar(m.days, m.name, "days:monitor"),
        ),
        latencySection(d, state),
        checksSection(d, now),
      );
      return frag;
    },
  };
}
