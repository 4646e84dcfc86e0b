// The status UI in a real headless Chromium (Debian's, driven by playwright-core) against wrangler dev
// with 100 seeded monitors: what it shows agrees with the API (compact and cards views), honest days,
// the filter, "problems first", collapsed groups, the chart, staleness, no configuration on a public
// page, the token flow, accessibility (axe-core), and screenshots.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain ESM helper without types
import { ROOT } from "../scripts/lib/proc.mjs";
// @ts-expect-error plain ESM helper without types
import { applyMigrations, startWorker } from "../scripts/lib/wrangler-dev.mjs";
import { STATUS_TEXT, ms, pct } from "../ui/src/format.ts";
import { groups, overall } from "../ui/src/model.ts";
import type { MonitorPayload, StatusPayload } from "../ui/src/types.ts";
import { launchChromium } from "./services/chromium.ts";
import { HOUR, SCENARIO_SECRETS, d1File, fleet, scenario, seedStatus } from "./services/status-seed.ts";

const TOKEN = "ui-test-admin-token-0123456789";
const SHOTS = path.join(ROOT, ".artifacts/screenshots");
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

type Worker = { url: string; stop(): Promise<void> };
let state: string;
let worker: Worker;
let browser: Browser;
const logs: string[] = [];

async function start(vars: Record<string, string>) {
  worker = await startWorker({
    persistTo: state,
    vars: { ADMIN_TOKEN: TOKEN, LOG_LEVEL: "warn", ...vars },
    onLine: (l: string) => logs.push(l),
  });
}

async function apiJson<T>(p: string, token: string | null = null): Promise<T> {
  const res = await fetch(`${worker.url}${p}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  expect(res.status, p).toBe(200);
  return (await res.json()) as T;
}

type Opened = { page: Page; context: BrowserContext; errors: string[]; bodies: string[] };

type OpenOptions = {
  width?: number;
  height?: number;
  dark?: boolean;
  clock?: boolean;
  /** The status page's view, as if the visitor had picked it (set before every load of the context). */
  view?: "compact" | "cards";
  /** Rewrites each answer of GET /api/v1/status before the page sees it (a fleet the seed does not have). */
  alter?: (d: StatusPayload) => StatusPayload;
};

/** A fresh browser context and page; console errors, page errors and every API body are collected. */
async function open(p: string, opts: OpenOptions = {}): Promise<Opened> {
  const context = await browser.newContext({
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 },
    colorScheme: opts.dark ? "dark" : "light",
  });
  if (opts.view) await context.addInitScript((v) => localStorage.setItem("uptime-monitor.view", v), opts.view);
  const page = await context.newPage();
  const alter = opts.alter;
  if (alter)
    await page.route(/\/api\/v1\/status\?/, async (route) => {
      const res = await route.fetch();
      await route.fulfill({ response: res, json: alter((await res.json()) as StatusPayload) });
    });
  const errors: string[] = [];
  const bodies: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("response", async (r) => {
    if (r.url().includes("/api/")) bodies.push(await r.text().catch(() => ""));
  });
  if (opts.clock) await page.clock.install();
  await page.goto(`${worker.url}${p}`);
  return { page, context, errors, bodies };
}

async function axe(page: Page, label: string) {
  await page.evaluate(AXE);
  const result = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] })")) as {
    violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[] }> }>;
  };
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad.map((v) => `${label}: ${v.impact} ${v.id}: ${v.help} (${v.nodes.length}× e.g. ${v.nodes[0]?.target.join(" ")})`)).toEqual([]);
}

async function shot(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

const MONITORS = [...scenario(), ...fleet(91)];
let seededAt = 0;

/**
 * How many of a window's buckets hold seeded latency: the seed writes every hour up to the one it ran in, but not
 * the hours in `gapHours` (counted back from that hour). Counted from the window's own `from`, so a test that runs
 * after the hour has turned expects the new, empty hour and not the seeded one that fell out of the window.
 */
function seededBuckets(window: { from: string; bucket_s: number; avg_latency_ms: unknown[] }, gapHours: readonly number[]): number {
  const seedHour = Math.floor(seededAt / HOUR);
  const from = Date.parse(window.from) / HOUR;
  const per = window.bucket_s / 3600;
  let n = 0;
  for (let b = 0; b < window.avg_latency_ms.length; b++) {
    const hours = Array.from({ length: per }, (_, i) => from + b * per + i).filter(
      (h) => h <= seedHour && !gapHours.includes(seedHour - h),
    );
    if (hours.length > 0) n++;
  }
  return n;
}

beforeAll(async () => {
  state = mkdtempSync(path.join(tmpdir(), "ium-ui-"));
  await applyMigrations({ persistTo: state });
  seededAt = Date.now();
  seedStatus(d1File(state), MONITORS, seededAt);
  await start({ PUBLIC_STATUS: "true" });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  if (state) rmSync(state, { recursive: true, force: true });
});

describe("status page (public)", () => {
  it("lists every monitor with the status and uptime text the API returns (cards view)", async () => {
    const { page, context, errors } = await open("/", { view: "cards" });
    await page.waitForSelector("li.mon");
    const api = await apiJson<StatusPayload>("/api/v1/status");
    expect(api.monitors).toHaveLength(100);
    const shown = await page.$$eval("li.mon", (els) =>
      els.map((e) => ({
        id: e.getAttribute("data-id"),
        name: e.querySelector(".mon-name")!.textContent,
        status: e.querySelector(".status-text")!.textContent,
        icon: e.querySelector(".badge .icon")!.textContent,
        latency: e.querySelector(".f-latency")!.textContent,
        u24: e.querySelector(".f-24h")!.textContent,
        u30: e.querySelector(".f-30d")!.textContent,
        u90: e.querySelector(".f-90d")!.textContent,
        checked: e.querySelector(".f-checked")!.textContent,
        days: e.querySelectorAll(".days .d").length,
      })),
    );
    expect(shown).toHaveLength(100);
    for (const m of api.monitors) {
      const s = shown.find((x) => x.id === m.id);
      expect(s, m.id).toMatchObject({
        name: m.name,
        status: STATUS_TEXT[m.status],
        latency: ms(m.latency_ms),
        u24: pct(m.uptime["24h"]),
        u30: pct(m.uptime["30d"]),
        u90: pct(m.uptime["90d"]),
        days: 90,
      });
      expect(s!.icon, m.id).not.toBe("");
    }
    expect(shown.find((s) => s.id === "db-primary")).toMatchObject({ status: "Down", latency: "—" });
    expect(shown.find((s) => s.id === "queue")!.u30).toMatch(/%$/);
    expect(shown.find((s) => s.id === "legacy-ftp")).toMatchObject({ status: "Paused", u24: "no data", checked: "30 d ago" });
    // Groups in name order, the ungrouped last.
    expect(await page.$$eval("section.group h2", (hs) => hs.map((h) => h.textContent))).toEqual([
      "Databases",
      "Internal",
      "Website",
      "Workers fleet",
      "Other",
    ]);
    const banner = await page.textContent(".banner h1");
    expect(banner).toBe(overall(api.monitors).title);
    expect(banner).toBe("1 of 98 monitors down");
    expect(await page.textContent(".banner-counts")).toBe("96 up · 1 down · 1 pending · 1 in maintenance · 1 paused");
    expect(await page.title()).toBe("(1 down) Status");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("weighs at most 60 KB gzipped with 100 monitors, everything it loads counted", async () => {
    const { page, context } = await open("/");
    const loaded: string[] = [];
    page.on("request", (r) => loaded.push(new URL(r.url()).pathname + new URL(r.url()).search));
    await page.reload();
    // The first view of a fleet this size is the compact one.
    await page.waitForSelector("table.compact tr.mon");
    expect(await page.locator("tr.mon").count()).toBe(100);
    let gzip = 0;
    for (const p of new Set(loaded)) {
      const body = Buffer.from(await (await fetch(`${worker.url}${p}`)).arrayBuffer());
      gzip += gzipSync(body).length;
    }
    // The first view asks for one page of the list (100 monitors: here, all of them).
    expect([...new Set(loaded)].sort()).toEqual([
      "/",
      "/api/v1/status?limit=100",
      "/assets/app.css",
      "/assets/app.js",
      "/assets/favicon.svg",
    ]);
    expect(await page.locator("button.more").count()).toBe(0);
    expect(gzip).toBeLessThanOrEqual(60 * 1024);
    await context.close();
  });

  it("never shows a day without checks as up", async () => {
    const { page, context, errors } = await open("/", { view: "cards" });
    await page.waitForSelector("li.mon");
    const api = await apiJson<StatusPayload>("/api/v1/status");
    const billing = api.monitors.find((m) => m.id === "billing")!;
    const empty = billing.days.checks.flatMap((c, i) => (c === 0 ? [i] : []));
    // 60 days old with a 3-day gap 12-14 days ago: the 29 whole days before it started, then the gap.
    expect(empty).toEqual([...Array.from({ length: 29 }, (_, i) => i), 89 - 14, 89 - 13, 89 - 12]);
    const drawn = await page.$$eval('li[data-id="billing"] .days .d', (ds) =>
      ds.map((d) => ({ cls: d.className, title: d.getAttribute("title"), bg: getComputedStyle(d).backgroundColor })),
    );
    const green = await page.$eval('li[data-id="billing"] .days .d-ok', (d) => getComputedStyle(d).backgroundColor);
    for (const i of empty) {
      expect(drawn[i]!.cls, `day ${i}`).toBe("d d-none");
      expect(drawn[i]!.title).toMatch(/: no data \(no checks\)$/);
      expect(drawn[i]!.bg).not.toBe(green);
      expect(drawn[i]!.bg).toBe("rgba(0, 0, 0, 0)");
    }
    // Across the page: a block is drawn as data exactly when the API says that day had checks.
    const all = await page.$$eval("li.mon", (els) =>
      els.map((e) => ({
        id: e.getAttribute("data-id")!,
        none: Array.from(e.querySelectorAll(".days .d")).map((d) => d.classList.contains("d-none")),
      })),
    );
    for (const { id, none } of all) expect(none, id).toEqual(api.monitors.find((m) => m.id === id)!.days.checks.map((c) => c === 0));
    // The focus text says so too: keyboard to the first gap day.
    await page.focus('li[data-id="billing"] .days');
    await page.keyboard.press("End");
    for (let i = 0; i < 12; i++) await page.keyboard.press("ArrowLeft");
    expect(await page.textContent('li[data-id="billing"] .day-detail')).toMatch(/^\d{4}-\d{2}-\d{2}: no data \(no checks\)$/);
    await page.keyboard.press("ArrowRight");
    expect(await page.textContent('li[data-id="billing"] .day-detail')).toMatch(/: 100% up, 1440 of 1440 checks passed$/);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("shows the stale warning when the API becomes unreachable, and clears it when it is back", async () => {
    const { page, context, errors } = await open("/", { clock: true });
    await page.waitForSelector(".mon");
    expect(await page.isVisible("[data-stale]")).toBe(false);
    await page.route("**/api/v1/**", (r) => r.abort("connectionrefused"));
    await page.clock.fastForward("00:31");
    await page.waitForSelector("[data-stale]");
    expect(await page.textContent("#notice")).toMatch(
      /Stale data: Cannot reach the API \(the request failed\)\. Showing what the API said at .+; retrying every 30 s\./,
    );
    expect(await page.locator(".mon").count()).toBe(100);
    await page.unroute("**/api/v1/**");
    await page.clock.fastForward("00:31");
    await page.waitForSelector("[data-stale]", { state: "detached" });
    expect(errors.filter((e) => !/Failed to load resource: net::ERR_CONNECTION_REFUSED/.test(e))).toEqual([]);
    await context.close();
  });

  it("leaks no configuration: no private targets, headers, bodies, keywords or addresses", async () => {
    for (const p of ["/", "/monitors/admin", "/monitors/db-primary", "/monitors/billing"]) {
      const { page, context, errors, bodies } = await open(p);
      await page.waitForSelector("main h1");
      await page.waitForLoadState("networkidle");
      const html = await page.content();
      for (const text of [html, ...bodies]) for (const secret of SCENARIO_SECRETS) expect(text, `${p}: ${secret}`).not.toContain(secret);
      expect(bodies.length, p).toBeGreaterThan(0);
      expect(errors, p).toEqual([]);
      await context.close();
    }
    const { page, context } = await open("/monitors/web-home");
    expect(await page.textContent("code.target")).toBe("https://www.example.test/");
    await context.close();
  });

  it("passes axe-core with no serious or critical violation, light and dark, and fits 375 px (cards view)", async () => {
    for (const dark of [false, true])
      for (const [p, ready] of [
        ["/", "li.mon"],
        ["/monitors/db-primary", "svg.chart"],
      ] as const) {
        const { page, context, errors } = await open(p, { dark, view: "cards" });
        await page.waitForSelector(ready);
        await axe(page, `${p} ${dark ? "dark" : "light"}`);
        await page.setViewportSize({ width: 375, height: 812 });
        expect(await page.evaluate(() => document.documentElement.scrollWidth), `${p} at 375 px`).toBeLessThanOrEqual(375);
        expect(errors).toEqual([]);
        await context.close();
      }
  }, 120_000);

  it("saves screenshots: desktop and 375 px, light and dark (cards view)", async () => {
    const files: string[] = [];
    for (const dark of [false, true])
      for (const [name, width, height] of [
        ["desktop", 1280, 900],
        ["mobile", 375, 812],
      ] as const)
        for (const [page_, p, ready] of [
          ["status-cards", "/", "li.mon"],
          ["monitor", "/monitors/db-primary", "svg.chart"],
        ] as const) {
          const { page, context } = await open(p, { width, height, dark, view: "cards" });
          await page.waitForSelector(ready);
          files.push(await shot(page, `${page_}-${name}-${dark ? "dark" : "light"}`));
          await context.close();
        }
    expect(files).toHaveLength(8);
  }, 120_000);
});

describe("monitor page (public)", () => {
  it("draws the latency chart with one point per bucket that has a latency, with axes and units", async () => {
    const { page, context, errors } = await open("/monitors/web-home");
    await page.waitForSelector("svg.chart");
    const api = await apiJson<MonitorPayload>("/api/v1/status/web-home");
    const points = (w: "24h" | "7d" | "30d") => api.latency[w].avg_latency_ms.filter((v) => v !== null).length;
    // 24 hourly buckets, three of them (5-7 hours ago) without checks: 21, or 20 once the hour has turned since seeding.
    const gaps = MONITORS.find((m) => m.input.id === "web-home")!.gapHours!;
    expect(points("24h")).toBe(seededBuckets(api.latency["24h"], gaps));
    expect(points("24h")).toBeGreaterThanOrEqual(20);
    expect(await page.locator("svg.chart circle.pt").count()).toBe(points("24h"));
    expect(await page.getAttribute("svg.chart", "data-points")).toBe(String(points("24h")));
    expect(await page.locator("svg.chart path.line").count()).toBe(2);
    expect(await page.textContent("svg.chart text.unit")).toBe("latency (ms)");
    expect(await page.locator("svg.chart text.ytick").count()).toBe(5);
    expect(await page.locator("svg.chart text.xtick").count()).toBe(5);
    expect(await page.textContent("svg.chart title")).toMatch(/over the last 24h, one point per 1 hour, in milliseconds/);
    await page.click('button[data-window="7d"]');
    expect(await page.locator("svg.chart circle.pt").count()).toBe(points("7d"));
    expect(points("7d")).toBe(seededBuckets(api.latency["7d"], gaps));
    expect(points("7d")).toBeGreaterThanOrEqual(164);
    expect(await page.getAttribute('button[data-window="7d"]', "aria-pressed")).toBe("true");
    expect(page.url()).toMatch(/\?window=7d$/);
    await page.click('button[data-window="30d"]');
    expect(await page.locator("svg.chart circle.pt").count()).toBe(points("30d"));
    // Buckets with failed checks are marked.
    expect(await page.locator("svg.chart circle.pt-fail").count()).toBeGreaterThan(0);
    expect(await page.textContent("code.target")).toBe("https://www.example.test/");
    for (const w of ["24h", "7d", "30d", "90d"] as const) expect(await page.textContent(`.f-${w}`)).toBe(pct(api.monitor.uptime[w]));
    expect(errors).toEqual([]);
    await context.close();
  });

  it("shows state and since when, the last error, and recent checks with errors and locations", async () => {
    const { page, context, errors } = await open("/monitors/db-primary");
    await page.waitForSelector("table.checks");
    expect(await page.textContent("main h1")).toBe("Primary database");
    expect(await page.textContent(".since")).toMatch(/^Down since .+ \(1[4-9] min\) · last checked (\d+ s|1 min) ago$/);
    expect(await page.textContent(".last-error")).toBe("Last errorrefused: connection refused");
    const rows = await page.$$eval("table.checks tbody tr", (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll("td")).map((td) => td.textContent)),
    );
    expect(rows).toHaveLength(30);
    expect(rows[0]!.slice(1)).toEqual(["✕Down", "—", "dc1", "refused: connection refused"]);
    expect(rows[1]![3]).toBe("dc2");
    expect(rows[20]!.slice(1, 5)).toEqual(["✓Up", rows[20]![2], "dc1", "—"]);
    expect(await page.title()).toBe("(down) Primary database · Status");
    // A private target is not shown on a public page.
    expect(await page.locator("code.target").count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("shows a heartbeat's last ping instead of a target, and its pings as events (the job's words not on a public page)", async () => {
    const admin = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
    const created = await fetch(`${worker.url}/api/v1/monitors`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ id: "ui-nightly", name: "Nightly backup", kind: "heartbeat", interval_s: 86400 }),
    });
    expect(created.status).toBe(201);
    const url = ((await created.json()) as { ping_url: string }).ping_url;
    try {
      expect((await fetch(url, { method: "POST", body: "rsync done" })).status).toBe(200);
      expect((await fetch(`${url}/fail`, { method: "POST", body: "disk /srv/secret full" })).status).toBe(200);
      const { page, context, errors, bodies } = await open("/monitors/ui-nightly");
      await page.waitForSelector("table.checks");
      expect(await page.textContent(".since")).toMatch(/^Down since .+ · last ping (\d+ s|1 min) ago$/);
      expect(await page.textContent(".meta")).toBe("HEARTBEAT");
      const rows = await page.$$eval("table.checks tbody tr", (trs) => trs.map((tr) => tr.querySelectorAll("td")[4]!.textContent));
      expect(rows).toHaveLength(2);
      expect(rows[0]).toMatch(/^failure ping · other: /);
      expect(rows[1]).toBe("ping");
      expect(bodies.join("")).not.toContain("/srv/secret");
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await fetch(`${worker.url}/api/v1/monitors/ui-nightly`, { method: "DELETE", headers: admin });
    }
  });

  it("says so for an unknown monitor", async () => {
    const { page, context, errors } = await open("/monitors/nope");
    await page.waitForSelector("main h1");
    expect(await page.textContent("main h1")).toBe("Not found");
    expect(errors.filter((e) => !/status of 404/.test(e))).toEqual([]);
    await context.close();
  });
});

/** The ids of the monitor rows a visitor can see, in page order. */
function visibleRows(page: Page): Promise<string[]> {
  return page.$$eval("tr.mon", (rows) => rows.filter((r) => r.checkVisibility()).map((r) => r.getAttribute("data-id")!));
}

const groupNames = (page: Page) => page.$$eval("section.group h2", (hs) => hs.map((h) => h.textContent));

/** The seeded fleet with one more monitor down (fleet-050), in a group of its own name order. */
function oneMoreDown(d: StatusPayload): StatusPayload {
  return {
    ...d,
    counts: { ...d.counts, up: d.counts.up - 1, down: d.counts.down + 1 },
    monitors: d.monitors.map((m) => (m.id === "fleet-050" ? { ...m, status: "down", latency_ms: null } : m)),
  };
}

describe("compact view (public)", () => {
  it("is the first view of a fleet: one row per monitor with the API's status, latency, uptime and 90 days", async () => {
    const { page, context, errors } = await open("/");
    await page.waitForSelector("table.compact tr.mon");
    const api = await apiJson<StatusPayload>("/api/v1/status");
    expect(await page.locator("li.mon").count()).toBe(0);
    expect(await page.getAttribute('button[data-view="compact"]', "aria-pressed")).toBe("true");
    expect(await page.getAttribute('button[data-view="cards"]', "aria-pressed")).toBe("false");
    expect(await page.$eval("table.compact", (t) => Array.from(t.querySelectorAll("thead th"), (th) => th.textContent))).toEqual([
      "Status",
      "Monitor",
      "Latency",
      "Uptime 24h",
      "Uptime 90d",
      "Last 90 days",
    ]);
    const shown = await page.$$eval("tr.mon", (rows) =>
      rows.map((r) => ({
        id: r.getAttribute("data-id"),
        name: r.querySelector("th[scope=row]")!.textContent,
        href: r.querySelector("th[scope=row] a")!.getAttribute("href"),
        status: r.querySelector(".status-text")!.textContent,
        icon: r.querySelector(".badge .icon")!.textContent,
        latency: r.querySelector(".f-latency")!.textContent,
        u24: r.querySelector(".f-24h")!.textContent,
        u90: r.querySelector(".f-90d")!.textContent,
        none: Array.from(r.querySelectorAll(".days .d")).map((d) => d.classList.contains("d-none")),
        label: r.querySelector(".days")!.getAttribute("aria-label"),
        height: r.getBoundingClientRect().height,
      })),
    );
    expect(shown).toHaveLength(100);
    for (const m of api.monitors) {
      const s = shown.find((x) => x.id === m.id);
      expect(s, m.id).toMatchObject({
        name: m.name,
        href: `/monitors/${m.id}`,
        status: STATUS_TEXT[m.status],
        latency: ms(m.latency_ms),
        u24: pct(m.uptime["24h"]),
        u90: pct(m.uptime["90d"]),
        // A day is drawn as data exactly when the API says it had checks.
        none: m.days.checks.map((c) => c === 0),
      });
      expect(s!.icon, m.id).not.toBe("");
      expect(s!.label, m.id).toMatch(/ over 90 days/);
      // One line each: a row, not a card.
      expect(s!.height, m.id).toBeLessThan(45);
    }
    expect(shown.find((s) => s.id === "billing")!.label).toMatch(/; 32 days without data/);
    // Rows in list order: groups by name, the ungrouped last, monitors by name.
    expect(await groupNames(page)).toEqual(["Databases", "Internal", "Website", "Workers fleet", "Other"]);
    expect(shown.map((s) => s.id)).toEqual(groups(api.monitors).flatMap((g) => g.monitors.map((m) => m.id)));
    expect(await page.textContent("section.group .group-counts")).toBe("1 up · 1 down");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("filters by name or group as one types, says how many match in a live region, and keeps the filter across a refresh", async () => {
    const { page, context, errors } = await open("/", { clock: true });
    await page.waitForSelector("tr.mon");
    expect(await page.getAttribute("#filter-count", "role")).toBe("status");
    expect(await page.textContent("#filter-count")).toBe("");
    await page.getByLabel("Filter").fill("database");
    expect(await visibleRows(page)).toEqual(["db-primary", "db-replica"]);
    expect(await page.textContent("#filter-count")).toBe("2 of 100 monitors match.");
    expect(await page.$$eval("section.group", (ss) => ss.filter((s) => s.checkVisibility()).length)).toBe(1);
    // A group's name matches all of its monitors; several words must all match.
    await page.getByLabel("Filter").fill("internal");
    expect(await visibleRows(page)).toEqual(["admin", "billing", "queue", "search"]);
    await page.getByLabel("Filter").fill("fleet NODE 01");
    expect(await visibleRows(page)).toEqual(["fleet-001", ...Array.from({ length: 10 }, (_, i) => `fleet-01${i}`)]);
    expect(await page.textContent("#filter-count")).toBe("11 of 100 monitors match.");
    expect(await page.textContent("section.group:not([hidden]) .group-counts")).toBe("11 of 91 match");
    // The 30 s refresh redraws the rows but not the box: still filtered, still focused, nothing lost.
    await page.focus("#filter");
    const stamp = () => page.$eval("#updated", (e) => e.textContent!.split(" (")[0]);
    const before = await stamp();
    await page.clock.fastForward("00:31");
    await expect.poll(stamp, { timeout: 20_000 }).not.toBe(before);
    await page.keyboard.type("5");
    expect(await page.evaluate(() => [document.activeElement?.id, (document.activeElement as HTMLInputElement).value])).toEqual([
      "filter",
      "fleet NODE 015",
    ]);
    expect(await visibleRows(page)).toEqual(["fleet-015"]);
    expect(await page.textContent("#filter-count")).toBe("1 of 100 monitors matches.");
    await page.getByLabel("Filter").fill("no such monitor");
    expect(await visibleRows(page)).toEqual([]);
    expect(await page.textContent("#filter-count")).toBe("None of 100 monitors match.");
    await page.getByLabel("Filter").fill("");
    expect(await visibleRows(page)).toHaveLength(100);
    expect(await page.textContent("#filter-count")).toBe("");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("says when the filter covers only the monitors loaded so far, and offers to load them all", async () => {
    // The seeded 100 as the first page of 250: the filter works on what is loaded and says so.
    const { page, context, errors } = await open("/", {
      alter: (d) => ({ ...d, total: 250, next_cursor: d.next_cursor ?? "more" }),
    });
    await page.waitForSelector("tr.mon");
    await page.getByLabel("Filter").fill("database");
    expect(await page.textContent("#filter-count")).toBe("2 of the 100 loaded monitors (250 in all) match.");
    expect(await page.textContent(".more-wrap")).toBe("Showing 100 of 250 monitors. Show 100 moreShow all 250");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("puts problems first when asked: down, pending and maintenance before up, groups with a monitor down first; remembered", async () => {
    const { page, context, errors } = await open("/", { alter: oneMoreDown });
    await page.waitForSelector("tr.mon");
    const before = await visibleRows(page);
    expect(before.indexOf("fleet-050")).toBe(before.indexOf("fleet-000") + 50);
    await page.getByLabel("Problems first").check();
    expect(await groupNames(page)).toEqual(["Databases", "Workers fleet", "Internal", "Website", "Other"]);
    const rows = await page.$$eval("section.group", (ss) =>
      ss.map((s) => Array.from(s.querySelectorAll("tr.mon")).map((r) => `${r.getAttribute("data-id")}:${r.getAttribute("data-status")}`)),
    );
    expect(rows[0]).toEqual(["db-primary:down", "db-replica:up"]);
    expect(rows[1]!.slice(0, 2)).toEqual(["fleet-050:down", "fleet-000:up"]);
    expect(rows[2]).toEqual(["queue:pending", "search:maintenance", "admin:up", "billing:up"]);
    expect(rows[4]).toEqual(["legacy-ftp:paused"]);
    // Within every group: down, pending, maintenance, up, then paused.
    const urgency = ["down", "pending", "maintenance", "up", "paused"];
    for (const g of rows) {
      const ranks = g.map((r) => urgency.indexOf(r.split(":")[1]!));
      expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    }
    await page.reload();
    await page.waitForSelector("tr.mon");
    expect(await page.isChecked("#problems-first")).toBe(true);
    expect((await visibleRows(page)).slice(0, 3)).toEqual(["db-primary", "db-replica", "fleet-050"]);
    await page.getByLabel("Problems first").uncheck();
    expect(await visibleRows(page)).toEqual(before);
    expect(await page.evaluate(() => localStorage.getItem("uptime-monitor.problems-first"))).toBeNull();
    expect(errors).toEqual([]);
    await context.close();
  });

  it("collapses a group with its button (mouse or keyboard), hides its rows, and keeps it collapsed after a reload", async () => {
    const { page, context, errors } = await open("/");
    await page.waitForSelector("tr.mon");
    const fleetToggle = page.getByRole("button", { name: "Workers fleet" });
    expect(await fleetToggle.getAttribute("aria-expanded")).toBe("true");
    const controls = (await fleetToggle.getAttribute("aria-controls"))!;
    expect(await page.locator(`#${controls} tr.mon`).count()).toBe(91);
    await fleetToggle.click();
    expect(await fleetToggle.getAttribute("aria-expanded")).toBe("false");
    expect(await page.isVisible(`#${controls}`)).toBe(false);
    expect(await visibleRows(page)).toHaveLength(9);
    // By keyboard: Internal too.
    await page.getByRole("button", { name: "Internal" }).focus();
    await page.keyboard.press("Enter");
    expect(await visibleRows(page)).toEqual(["db-primary", "db-replica", "web-home", "web-api", "legacy-ftp"]);
    await page.reload();
    await page.waitForSelector("tr.mon");
    expect(await page.getByRole("button", { name: "Workers fleet" }).getAttribute("aria-expanded")).toBe("false");
    expect(await visibleRows(page)).toHaveLength(5);
    expect(await page.evaluate(() => JSON.parse(localStorage.getItem("uptime-monitor.collapsed")!))).toEqual(["Workers fleet", "Internal"]);
    // The cards view folds the same groups.
    await page.click('button[data-view="cards"]');
    expect(await page.$$eval("li.mon", (ls) => ls.filter((l) => l.checkVisibility()).length)).toBe(5);
    await page.click('button[data-view="compact"]');
    await page.getByRole("button", { name: "Workers fleet" }).click();
    await page.getByRole("button", { name: "Internal" }).click();
    expect(await visibleRows(page)).toHaveLength(100);
    expect(await page.evaluate(() => localStorage.getItem("uptime-monitor.collapsed"))).toBeNull();
    expect(errors).toEqual([]);
    await context.close();
  });

  it("switches between compact and cards and remembers the choice; a small fleet starts in cards", async () => {
    const { page, context, errors } = await open("/");
    await page.waitForSelector("tr.mon");
    await page.click('button[data-view="cards"]');
    expect(await page.locator("li.mon").count()).toBe(100);
    expect(await page.locator("tr.mon").count()).toBe(0);
    expect(await page.getAttribute('button[data-view="cards"]', "aria-pressed")).toBe("true");
    await page.reload();
    await page.waitForSelector("li.mon");
    expect(await page.locator("tr.mon").count()).toBe(0);
    await page.click('button[data-view="compact"]');
    expect(await page.locator("tr.mon").count()).toBe(100);
    await page.reload();
    await page.waitForSelector("tr.mon");
    expect(await page.evaluate(() => localStorage.getItem("uptime-monitor.view"))).toBe("compact");
    expect(errors).toEqual([]);
    await context.close();
    // Twenty monitors or fewer: cards, each with every figure.
    const small = await open("/", { alter: (d) => ({ ...d, total: 12, monitors: d.monitors.slice(0, 12), next_cursor: null }) });
    await small.page.waitForSelector("li.mon");
    expect(await small.page.locator("li.mon").count()).toBe(12);
    expect(await small.page.getAttribute('button[data-view="cards"]', "aria-pressed")).toBe("true");
    expect(small.errors).toEqual([]);
    await small.context.close();
  });

  it("passes axe-core with no serious or critical violation, light and dark, and fits 375 px without the 90-day strip", async () => {
    for (const dark of [false, true]) {
      const { page, context, errors } = await open("/", { dark });
      await page.waitForSelector("tr.mon");
      await axe(page, `compact ${dark ? "dark" : "light"}`);
      // Filtered, with a group collapsed and problems first: still clean.
      await page.getByLabel("Filter").fill("a");
      await page.getByRole("button", { name: "Internal" }).click();
      await page.getByLabel("Problems first").check();
      await axe(page, `compact ${dark ? "dark" : "light"}, filtered`);
      await page.getByLabel("Filter").fill("");
      await page.setViewportSize({ width: 375, height: 812 });
      expect(await page.evaluate(() => document.documentElement.scrollWidth), "at 375 px").toBeLessThanOrEqual(375);
      // Every cell's content fits its cell; the strip and the 90-day figure give way.
      const over = await page.$$eval(".compact th, .compact td", (cells) =>
        cells.filter((c) => c.checkVisibility() && c.scrollWidth > c.clientWidth + 1).map((c) => `${c.className}: ${c.textContent}`),
      );
      expect(over).toEqual([]);
      expect(await page.locator(".days-strip").first().isVisible()).toBe(false);
      expect(await page.locator("tr.mon .f-latency").first().isVisible()).toBe(true);
      await axe(page, `compact ${dark ? "dark" : "light"} at 375 px`);
      expect(errors).toEqual([]);
      await context.close();
    }
  }, 120_000);

  it("saves screenshots of the compact view: desktop and 375 px, light and dark", async () => {
    const files: string[] = [];
    for (const dark of [false, true])
      for (const [name, width, height] of [
        ["desktop", 1280, 900],
        ["mobile", 375, 812],
      ] as const) {
        const { page, context } = await open("/", { width, height, dark });
        await page.waitForSelector("tr.mon");
        files.push(await shot(page, `status-compact-${name}-${dark ? "dark" : "light"}`));
        await context.close();
      }
    expect(files).toHaveLength(4);
    // The README's picture; refreshed on demand so that a test run leaves the work tree clean.
    if (process.env.UPDATE_DOCS_SCREENSHOT === "1") {
      mkdirSync(path.join(ROOT, "docs"), { recursive: true });
      copyFileSync(path.join(SHOTS, "status-compact-desktop-light.png"), path.join(ROOT, "docs/status-page.png"));
    }
  }, 120_000);
});

describe("private status (PUBLIC_STATUS unset)", () => {
  beforeAll(async () => {
    await worker.stop();
    await start({});
  }, 120_000);

  const expected401 = (errors: string[]) => errors.filter((e) => !/status of 401/.test(e));

  it("asks for a token, refuses a wrong one, and keeps a good one for the session only", async () => {
    const { page, context, errors } = await open("/");
    await page.waitForSelector("form.token-form");
    expect(await page.textContent("main h1")).toBe("This status page is private");
    await axe(page, "token form");
    await page.fill("#token", "ium_wrong-token");
    await page.press("#token", "Enter");
    await page.waitForSelector("text=That token was refused");
    await page.fill("#token", TOKEN);
    await page.click("button[type=submit]");
    await page.waitForSelector(".mon");
    expect(await page.locator(".mon").count()).toBe(100);
    expect(await page.evaluate(() => [sessionStorage.length, localStorage.length, document.cookie])).toEqual([1, 0, ""]);
    expect(await page.evaluate(() => Object.values(sessionStorage))).toEqual([TOKEN]);
    // A reload in the same tab keeps it; a new session does not have it.
    await page.reload();
    await page.waitForSelector(".mon");
    const other = await open("/");
    await other.page.waitForSelector("form.token-form");
    await other.context.close();
    // A viewer sees the monitor's target; "Forget token" drops it.
    await page.goto(`${worker.url}/monitors/admin`);
    await page.waitForSelector("code.target");
    expect(await page.textContent("code.target")).toBe("https://admin.corp.example.test/login?key=seeded-key");
    await page.click("text=Forget token");
    await page.waitForSelector("form.token-form");
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(expected401(errors)).toEqual([]);
    await context.close();
  }, 60_000);
});
