// The 90-day bar: one block per UTC day, drawn by that day's uptime; a day without checks is drawn
// as an empty outline (never as up). Hover shows a day's text; keyboard users focus the bar and step
// through the days with the arrow keys, and the text is announced. The compact view's strip is the
// same blocks in one row of a table: hover text, and the summary as its label.
import { h } from "./dom.ts";
import { dayLevel, dayText, pct } from "./format.ts";
import type { Days } from "./types.ts";

function summary(days: Days): string {
  const n = days.checks.length;
  const empty = days.checks.filter((c) => c === 0).length;
  let checks = 0;
  let up = 0;
  let worst: number | null = null;
  days.checks.forEach((c, i) => {
    checks += c;
    up += days.up[i] ?? 0;
    if (c > 0 && (worst === null || (days.up[i] ?? 0) / c < (days.up[worst] ?? 0) / (days.checks[worst] ?? 1))) worst = i;
  });
  const parts = [`${pct(checks ? up / checks : null)} over ${n} days`];
  if (empty) parts.push(`${empty} day${empty === 1 ? "" : "s"} without data`);
  if (worst !== null && (days.up[worst] ?? 0) < (days.checks[worst] ?? 0)) parts.push(`worst ${dayText(days, worst)}`);
  return parts.join("; ");
}

function blocksOf(days: Days): HTMLElement[] {
  return days.checks.map((c, i) =>
    h("span", { class: `d d-${dayLevel(c, days.up[i] ?? 0)}`, title: dayText(days, i), "data-i": i, "aria-hidden": "true" }),
  );
}

/** The compact view's 90-day strip: not a tab stop (a fleet's worth would be), its summary as its name. */
export function dayStrip(days: Days): HTMLElement {
  const bar = h("div", { class: "days days-strip", role: "img", "aria-label": summary(days) });
  bar.append(...blocksOf(days));
  return bar;
}

export function dayBar(days: Days, name: string, key: string): HTMLElement {
  const n = days.checks.length;
  const detail = h("p", { class: "day-detail", "aria-live": "polite" }, summary(days));
  const bar = h("div", {
    class: "days",
    tabindex: 0,
    role: "group",
    "aria-label": `${name}: uptime per UTC day, last ${n} days. Use the arrow keys to read each day.`,
    "data-focus-key": key,
  });
  const blocks = blocksOf(days);
  bar.append(...blocks);
  let sel = -1;
  const select = (i: number) => {
    blocks[sel]?.classList.remove("sel");
    sel = Math.max(0, Math.min(n - 1, i));
    blocks[sel]!.classList.add("sel");
    detail.textContent = dayText(days, sel);
  };
  bar.addEventListener("keydown", (ev) => {
    const moves: Record<string, number> = {
      ArrowLeft: sel - 1,
      ArrowRight: sel + 1,
      Home: 0,
      End: n - 1,
      PageUp: sel - 7,
      PageDown: sel + 7,
    };
    if (!(ev.key in moves)) return;
    ev.preventDefault();
    select(moves[ev.key]!);
  });
  bar.addEventListener("focus", () => select(sel < 0 ? n - 1 : sel));
  bar.addEventListener("blur", () => {
    blocks[sel]?.classList.remove("sel");
  });
  bar.addEventListener("mouseover", (ev) => {
    const i = (ev.target as HTMLElement).dataset.i;
    if (i !== undefined) select(Number(i));
  });
  return h(
    "div",
    { class: "days-wrap" },
    bar,
    h("div", { class: "days-axis", "aria-hidden": "true" }, h("span", {}, `${n} days ago`), h("span", {}, "today")),
    detail,
  );
}
