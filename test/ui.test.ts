// The status UI in a real headless Chromium (Debian's, driven by playwright-core) against wrangler dev
// with 100 seeded monitors: what it shows agrees with the API, honest days, the chart, staleness,
// no configuration on a public page, the token flow, accessibility (axe-core), and screenshots.
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
import { overall } from "../ui/src/model.ts";
import type { MonitorPayload, StatusPayload } from "../ui/src/types.ts";
import { launchChromium } from "./services/chromium.ts";
import { SCENARIO_SECRETS, d1File, fleet, scenario, seedStatus } from "./services/status-seed.ts";

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

/** A fresh browser context and page; console errors, page errors and every API body are collected. */
async function open(p: string, opts: { width?: number; height?: number; dark?: boolean; clock?: boolean } = {}): Promise<Opened> {
  const context = await browser.newContext({
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 },
    colorScheme: opts.dark ? "dark" : "light",
  });
  const page = await context.newPage();
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

beforeAll(async () => {
  state = mkdtempSync(path.join(tmpdir(), "ium-ui-"));
  await applyMigrations({ persistTo: state });
  seedStatus(d1File(state), MONITORS, Date.now());
  await start({ PUBLIC_STATUS: "true" });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  if (state) rmSync(state, { recursive: true, force: true });
});

describe("status page (public)", () => {
  it("lists every monitor with the status and uptime text the API returns", async () => {
    const { page, context, errors } = await open("/");
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
    await page.waitForSelector("li.mon");
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
    const { page, context, errors } = await open("/");
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
    await page.waitForSelector("li.mon");
    expect(await page.isVisible("[data-stale]")).toBe(false);
    await page.route("**/api/v1/**", (r) => r.abort("connectionrefused"));
    await page.clock.fastForward("00:31");
    await page.waitForSelector("[data-stale]");
    expect(await page.textContent("#notice")).toMatch(
      /Stale data: Cannot reach the API \(the request failed\)\. Showing what the API said at .+; retrying every 30 s\./,
    );
    expect(await page.locator("li.mon").count()).toBe(100);
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

  it("passes axe-core with no serious or critical violation, light and dark, and fits 375 px", async () => {
    for (const dark of [false, true])
      for (const [p, ready] of [
        ["/", "li.mon"],
        ["/monitors/db-primary", "svg.chart"],
      ] as const) {
        const { page, context, errors } = await open(p, { dark });
        await page.waitForSelector(ready);
        await axe(page, `${p} ${dark ? "dark" : "light"}`);
        await page.setViewportSize({ width: 375, height: 812 });
        expect(await page.evaluate(() => document.documentElement.scrollWidth), `${p} at 375 px`).toBeLessThanOrEqual(375);
        expect(errors).toEqual([]);
        await context.close();
      }
  }, 120_000);

  it("saves screenshots: desktop and 375 px, light and dark", async () => {
    const files: string[] = [];
    for (const dark of [false, true])
      for (const [name, width, height] of [
        ["desktop", 1280, 900],
        ["mobile", 375, 812],
      ] as const)
        for (const [page_, p, ready] of [
          ["status", "/", "li.mon"],
          ["monitor", "/monitors/db-primary", "svg.chart"],
        ] as const) {
          const { page, context } = await open(p, { width, height, dark });
          await page.waitForSelector(ready);
          files.push(await shot(page, `${page_}-${name}-${dark ? "dark" : "light"}`));
          await context.close();
        }
    expect(files).toHaveLength(8);
    // The README's picture; refreshed on demand so that a test run leaves the work tree clean.
    if (process.env.UPDATE_DOCS_SCREENSHOT === "1") {
      mkdirSync(path.join(ROOT, "docs"), { recursive: true });
      copyFileSync(path.join(SHOTS, "status-desktop-light.png"), path.join(ROOT, "docs/status-page.png"));
    }
  }, 120_000);
});

describe("monitor page (public)", () => {
  it("draws the latency chart with one point per bucket that has a latency, with axes and units", async () => {
    const { page, context, errors } = await open("/monitors/web-home");
    await page.waitForSelector("svg.chart");
    const api = await apiJson<MonitorPayload>("/api/v1/status/web-home");
    const points = (w: "24h" | "7d" | "30d") => api.latency[w].avg_latency_ms.filter((v) => v !== null).length;
    // 24 hourly buckets, three of them (5-7 hours ago) without checks.
    expect(points("24h")).toBe(21);
    expect(await page.locator("svg.chart circle.pt").count()).toBe(21);
    expect(await page.getAttribute("svg.chart", "data-points")).toBe("21");
    expect(await page.locator("svg.chart path.line").count()).toBe(2);
    expect(await page.textContent("svg.chart text.unit")).toBe("latency (ms)");
    expect(await page.locator("svg.chart text.ytick").count()).toBe(5);
    expect(await page.locator("svg.chart text.xtick").count()).toBe(5);
    expect(await page.textContent("svg.chart title")).toMatch(/over the last 24h, one point per 1 hour, in milliseconds/);
    await page.click('button[data-window="7d"]');
    expect(await page.locator("svg.chart circle.pt").count()).toBe(points("7d"));
    expect(points("7d")).toBe(165);
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

  it("says so for an unknown monitor", async () => {
    const { page, context, errors } = await open("/monitors/nope");
    await page.waitForSelector("main h1");
    expect(await page.textContent("main h1")).toBe("Not found");
    expect(errors.filter((e) => !/status of 404/.test(e))).toEqual([]);
    await context.close();
  });
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
    await page.waitForSelector("li.mon");
    expect(await page.locator("li.mon").count()).toBe(100);
    expect(await page.evaluate(() => [sessionStorage.length, localStorage.length, document.cookie])).toEqual([1, 0, ""]);
    expect(await page.evaluate(() => Object.values(sessionStorage))).toEqual([TOKEN]);
    // A reload in the same tab keeps it; a new session does not have it.
    await page.reload();
    await page.waitForSelector("li.mon");
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
