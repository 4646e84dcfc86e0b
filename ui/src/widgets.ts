// Small elements both pages show: a monitor's status badge and a relative time that refreshes itself.
import { h } from "./dom.ts";
import { STATUS_ICON, STATUS_TEXT, ago } from "./format.ts";
import type { Status } from "./types.ts";

export function statusBadge(status: Status): HTMLElement {
  return h(
    "span",
    { class: `badge st-${status}` },
    h("span", { class: "icon", "aria-hidden": "true" }, STATUS_ICON[status]),
    h("span", { class: "status-text" }, STATUS_TEXT[status]),
  );
}

export function agoTime(iso: string | null, now: number): Node {
  if (!iso) return document.createTextNode("never");
  return h("time", { datetime: iso, "data-ago": true, title: new Date(iso).toLocaleString() }, ago(iso, now));
}
