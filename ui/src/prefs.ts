// The status page's view settings, remembered in this browser (localStorage): only how to show the
// page, never data or a token (the token stays in sessionStorage, see api.ts).
import type { View } from "./model.ts";

const VIEW = "uptime-monitor.view";
const PROBLEMS_FIRST = "uptime-monitor.problems-first";
const COLLAPSED = "uptime-monitor.collapsed";
/** Bounds what a stored list can grow to (group names are the operator's, but storage is shared). */
const MAX_COLLAPSED = 500;

// Storage can be off (privacy modes) or full: the page then works without remembering.
function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key: string, value: string | null) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    /* not remembered */
  }
}

export const prefs = {
  /** The view the visitor picked, or null for the default (by fleet size). */
  view(): View | null {
    const v = read(VIEW);
    return v === "compact" || v === "cards" ? v : null;
  },
  setView(v: View) {
    write(VIEW, v);
  },
  problemsFirst(): boolean {
    return read(PROBLEMS_FIRST) === "true";
  },
  setProblemsFirst(on: boolean) {
    write(PROBLEMS_FIRST, on ? "true" : null);
  },
  /** Names of the groups the visitor collapsed. */
  collapsed(): Set<string> {
    try {
      const v: unknown = JSON.parse(read(COLLAPSED) ?? "[]");
      return new Set(Array.isArray(v) ? v.filter((x): x is string => typeof x === "string").slice(0, MAX_COLLAPSED) : []);
    } catch {
      return new Set();
    }
  },
  setCollapsed(names: Set<string>) {
    write(COLLAPSED, names.size ? JSON.stringify([...names].slice(-MAX_COLLAPSED)) : null);
  },
};
