// Benchmark: the status page with 100 or 1,000 monitors (90 days of history each) under wrangler dev in
// headless Chromium: the weight of its first view (HTML + JS + CSS + icon + the status JSON it asks
// for, raw and gzipped) and the time to first render (navigation start to the monitors drawn, and
// first contentful paint), on a cold cache.
import { gzipSync } from "node:zlib";
import { launchChromium } from "../test/services/chromium.ts";
import { d1File, fleet, scenario, seedStatus } from "../test/services/status-seed.ts";
import { cleanup, migrate, percentile, round, tempState, worker } from "./lib.ts";

/** The page's budget from the issue: everything it loads, gzipped. */
export const WEIGHT_BUDGET_BYTES = 60 * 1024;

/** Monitors the page draws in its first view (ui/src/status-page.ts PAGE). */
const FIRST_VIEW = 100;

export async function benchUi(o: { runs: number; monitors?: number } = { runs: 20 }) {
  const state = tempState("ium-bench-ui-");
  try {
    await migrate(state);
    const monitors = [...scenario(), ...fleet((o.monitors ?? 100) - scenario().length)];
    const shown = Math.min(FIRST_VIEW, monitors.length);
    seedStatus(d1File(state), monitors, Date.now());
    const w = await worker(state, { PUBLIC_STATUS: "true", LOG_LEVEL: "warn" });
    const browser = await launchChromium();
    try {
      // Weight: every resource the page loads, as the Worker serves it, gzipped here (level 6, as a CDN would).
      // The paths are what the page requested on its last run (query strings included).
      const weigh = async (paths: string[]) => {
        const out: Record<string, { raw: number; gzip: number }> = {};
        for (const p of paths) {
          const res = await fetch(`${w.url}${p}`);
          if (res.status !== 200) throw new Error(`${p}: ${res.status}`);
          const body = Buffer.from(await res.arrayBuffer());
          out[p] = { raw: body.length, gzip: gzipSync(body, { level: 6 }).length };
        }
        return out;
      };
      const resources: Record<string, { raw: number; gzip: number }> = {};

      const rendered: number[] = [];
      const fcp: number[] = [];
      let requests: string[] = [];
      for (let i = 0; i < o.runs + 2; i++) {
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        const page = await context.newPage();
        const seen: string[] = [];
        page.on("request", (r) => seen.push(new URL(r.url()).pathname + new URL(r.url()).search));
        await page.goto(w.url);
        await page.waitForFunction(
          () => performance.getEntriesByName("uptime:rendered").length > 0 && document.querySelectorAll(".mon").length > 0,
        );
        const t = (await page.evaluate(() => ({
          rendered: performance.getEntriesByName("uptime:rendered")[0]!.startTime,
          fcp: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN,
          monitors: document.querySelectorAll(".mon").length,
        }))) as { rendered: number; fcp: number; monitors: number };
        if (t.monitors !== shown) throw new Error(`the page shows ${t.monitors} monitors, expected ${shown}`);
        if (i >= 2) {
          // The first two warm up wrangler dev and Chromium; every run has a fresh, empty cache.
          rendered.push(t.rendered);
          fcp.push(t.fcp);
        }
        requests = seen;
        await context.close();
      }
      rendered.sort((a, b) => a - b);
      fcp.sort((a, b) => a - b);
      Object.assign(resources, await weigh([...new Set(requests)]));
      const total = Object.values(resources).reduce((s, r) => ({ raw: s.raw + r.raw, gzip: s.gzip + r.gzip }), { raw: 0, gzip: 0 });
      // The whole list as one answer, for comparison (what the page asked for before it paged).
      const whole = (await weigh(["/api/v1/status"]))["/api/v1/status"]!;
      return {
        monitors: monitors.length,
        first_view_monitors: shown,
        whole_list_json_bytes: whole,
        weight_bytes: resources,
        total_raw_bytes: total.raw,
        total_gzip_bytes: total.gzip,
        total_gzip_kib: round(total.gzip / 1024, 1),
        budget_gzip_kib: WEIGHT_BUDGET_BYTES / 1024,
        within_budget: total.gzip <= WEIGHT_BUDGET_BYTES,
        runs: o.runs,
        first_render_ms_p50: round(percentile(rendered, 50), 1),
        first_render_ms_p90: round(percentile(rendered, 90), 1),
        first_contentful_paint_ms_p50: round(percentile(fcp, 50), 1),
        note: `first render = navigation start to the first ${shown} monitors drawn from /api/v1/status?limit=${FIRST_VIEW} (performance mark uptime:rendered), headless Chromium, local wrangler dev, cold cache; weight = every request of that view`,
      };
    } finally {
      await browser.close();
      await w.stop();
    }
  } finally {
    cleanup(state);
  }
}
