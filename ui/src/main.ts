// The status UI's entry: picks the page from the path, loads its data, refreshes it every 30 s
// without a reload, says when the data is stale or the API unreachable, and asks for a token when
// the status API is not public.
import { HttpError, Unreachable, session } from "./api.ts";
import { h } from "./dom.ts";
import { ago } from "./format.ts";
import { monitorPage } from "./monitor-page.ts";
import type { Page } from "./page.ts";
import { statusPage } from "./status-page.ts";

export const REFRESH_MS = 30_000;
/** Data older than this is called stale even if nothing failed (a sleeping tab, a stuck request). */
const STALE_MS = 2 * REFRESH_MS + 5_000;

const main = document.getElementById("main")!;
const notice = document.getElementById("notice")!;
const updated = document.getElementById("updated")!;
const sessionNav = document.getElementById("session")!;

let lastOk: { at: number; data: unknown } | null = null;
let lastError: Error | null = null;
let timer: number | undefined;
let loading = false;

function describeError(e: Error): string {
  if (e instanceof Unreachable) return `Cannot reach the API (${e.message}).`;
  if (e instanceof HttpError) return `The API answered ${e.status}: ${e.message}`;
  return `Something went wrong: ${e.message}`;
}

function clock(t: number): string {
  return new Date(t).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/**
 * The notice line and footer: fresh, stale, or failing, always in words. The notice is a live
 * region, so it changes only when what it says changes (no ticking ages in it).
 */
function showState() {
  const now = Date.now();
  let next: { cls: string; icon: string; text: string; stale: boolean } | null = null;
  if (lastOk && (lastError || now - lastOk.at > STALE_MS))
    next = {
      cls: "notice notice-warn",
      icon: "⚠",
      text: `Stale data: ${lastError ? describeError(lastError) : "no fresh data for a while."} Showing what the API said at ${clock(lastOk.at)}; retrying every ${REFRESH_MS / 1000} s.`,
      stale: true,
    };
  else if (!lastOk && lastError && !(lastError instanceof HttpError && (lastError.status === 401 || lastError.status === 403)))
    next = {
      cls: "notice notice-error",
      icon: "✕",
      text: `${describeError(lastError)} Retrying every ${REFRESH_MS / 1000} s.`,
      stale: false,
    };
  if ((next?.text ?? "") !== (notice.dataset.text ?? "")) {
    notice.className = next?.cls ?? "notice";
    notice.dataset.text = next?.text ?? "";
    notice.replaceChildren(
      ...(next
        ? [
            h("span", { class: "icon", "aria-hidden": "true" }, next.icon),
            h("span", { "data-stale": next.stale ? "true" : null }, next.text),
          ]
        : []),
    );
  }
  updated.textContent = lastOk
    ? `Updated ${clock(lastOk.at)} (${ago(new Date(lastOk.at).toISOString(), now)}) · refreshes every ${REFRESH_MS / 1000} s`
    : "";
}

function showSessionNav() {
  sessionNav.replaceChildren();
  if (!session.token()) return;
  const forget = h("button", { type: "button", class: "link" }, "Forget token");
  forget.addEventListener("click", () => {
    session.forget();
    location.reload();
  });
  sessionNav.append(forget);
}

/** The token form: shown when the status API needs a token (PUBLIC_STATUS is not true). */
function askForToken<T>(page: Page<T>, refused: HttpError | null) {
  stop();
  const input = h("input", {
    id: "token",
    name: "token",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    "aria-describedby": "token-help",
  });
  const form = h(
    "form",
    { class: "card token-form" },
    h("h1", {}, "This status page is private"),
    refused ? h("p", { class: "notice notice-error", role: "alert" }, `That token was refused: ${refused.message}`) : null,
    h(
      "p",
      { id: "token-help" },
      "Enter an API token with the status role or above. It is kept in this browser tab only (session storage) and is sent only to this site's API.",
    ),
    h("label", { for: "token" }, "API token"),
    input,
    h("button", { type: "submit" }, "Show status"),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const t = input.value.trim();
    if (!t) return;
    session.save(t);
    showSessionNav();
    void refresh(page);
  });
  main.replaceChildren(form);
  document.title = "Sign in · Status";
  input.focus();
}

/**
 * Keeps keyboard focus on the same control across a re-render. A page may update itself in place and
 * return the element already shown (the status page keeps its filter box): then nothing is replaced,
 * and focus moves only if the focused control was redrawn.
 */
function renderKeepingFocus(render: () => Node) {
  const active = document.activeElement as HTMLElement | null;
  const key = active?.dataset.focusKey;
  const node = render();
  if (node.parentNode !== main || main.childNodes.length !== 1) main.replaceChildren(node);
  if (key && document.activeElement !== active)
    (main.querySelector(`[data-focus-key="${CSS.escape(key)}"]`) as HTMLElement | null)?.focus({ preventScroll: true });
}

async function refresh<T>(page: Page<T>) {
  if (loading) return;
  loading = true;
  try {
    const data = await page.load();
    const at = Date.now();
    lastOk = { at, data };
    lastError = null;
    renderKeepingFocus(() => page.render(data, at));
    document.title = page.title(data);
    if (!performance.getEntriesByName("uptime:rendered").length) performance.mark("uptime:rendered");
  } catch (e) {
    lastError = e instanceof Error ? e : new Error(String(e));
    if (lastError instanceof HttpError && (lastError.status === 401 || lastError.status === 403)) {
      const hadToken = session.token() !== null;
      session.forget();
      showSessionNav();
      askForToken(page, hadToken ? lastError : null);
      return;
    }
    if (lastError instanceof HttpError && lastError.status === 404 && !lastOk)
      main.replaceChildren(
        h(
          "div",
          { class: "card" },
          h("h1", {}, "Not found"),
          h("p", {}, lastError.message),
          h("p", {}, h("a", { href: "/" }, "All monitors")),
        ),
      );
  } finally {
    loading = false;
    showState();
    schedule(page);
  }
}

function stop() {
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
}

function schedule<T>(page: Page<T>) {
  stop();
  timer = setTimeout(() => void refresh(page), REFRESH_MS);
}

function start() {
  const m = /^\/monitors\/([^/]+)\/?$/.exec(location.pathname);
  const page = (m ? monitorPage(decodeURIComponent(m[1]!)) : statusPage()) as Page<unknown>;
  page.setReload?.(() => void refresh(page));
  showSessionNav();
  // Ages ("3 min ago") and staleness move on between refreshes too.
  setInterval(() => {
    showState();
    for (const t of main.querySelectorAll<HTMLTimeElement>("time[data-ago]")) t.textContent = ago(t.dateTime, Date.now());
  }, 5_000);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && lastOk && Date.now() - lastOk.at > REFRESH_MS) void refresh(page);
  });
  void refresh(page);
}

start();
