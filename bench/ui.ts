// Benchmark: the status page with 100 monitors (90 days of history each) under wrangler dev in headless
// Chromium: its weight (HTML + JS + CSS + icon + the status JSON, raw and gzipped) and the time to
// first render (navigation start to the monitors drawn, and first contentful paint), on a cold cache.
import { gzipSync } from "node:zlib";
import { launchChromium } from "../test/services/chromium.ts";
import { d1File, fleet, scenario, seedStatus } from "../test/services/status-seed.ts";
import { cleanup, migrate, percentile, round, tempState, worker } from "./lib.ts";

/** The page's budget from the issue: everything it loads, gzipped. */
export const WEIGHT_BUDGET_BYTES = 60 * 1024;

export async function benchUi(o: { runs: number } = { runs: 20 }) {
  const state = tempState("ium-bench-ui-");
  try {
    await migrate(state);
    const monitors = [...scenario(), ...fleet(91)];
    seedStatus(d1File(state), monitors, Date.now());
    const w = await worker(state, { PUBLIC_STATUS: "true", LOG_LEVEL: "warn" });
    const browser = await launchChromium();
    try {
      // Weight: every resource the page loads, as the Worker serves it, gzipped here (level 6, as a CDN would).
      const resources: Record<string, { raw: number; gzip: number }> = {};
      for (const p of ["/", "/assets/app.js", "/assets/app.css", "/assets/favicon.svg", "/api/v1/status"]) {
        const res = await fetch(`${w.url}${p}`);
        if (res.status !== 200) throw new Error(`${p}: ${res.status}`);
        const body = Buffer.from(await res.arrayBuffer());
        resources[p] = { raw: body.length, gzip: gzipSync(body, { level: 6 }).length };
      }
      const total = Object.values(resources).reduce((s, r) => ({ raw: s.raw + r.raw, gzip: s.gzip + r.gzip }), { raw: 0, gzip: 0 });

      const rendered: number[] = [];
      const fcp: number[] = [];
      let requests: string[] = [];
      for (let i = 0; i < o.runs + 2; i++) {
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        const page = await context.newPage();
        const seen: string[] = [];
        page.on("request", (r) => seen.push(new URL(r.url()).pathname));
        await page.goto(w.url);
        await page.waitForFunction(
          () => performance.getEntriesByName("uptime:rendered").length > 0 && document.querySelectorAll("li.mon").length > 0,
        );
        const t = (await page.evaluate(() => ({
          rendered: performance.getEntriesByName("uptime:rendered")[0]!.startTime,
          fcp: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN,
          monitors: document.querySelectorAll("li.mon").length,
        }))) as { rendered: number; fcp: number; monitors: number };
        if (t.monitors !== monitors.length) throw new Error(`the page shows ${t.monitors} monitors, expected ${monitors.length}`);
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
      const unaccounted = requests.filter((p) => !(p in resources));
      if (unaccounted.length) throw new Error(`the page loaded resources the weight does not count: ${unaccounted.join(", ")}`);
      return {
        monitors: monitors.length,
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
        note: "first render = navigation start to the 100 monitors drawn from /api/v1/status (performance mark uptime:rendered), headless Chromium, local wrangler dev, cold cache",
      };
    } finally {
      await browser.close();
      await w.stop();
    }
  } finally {
    cleanup(state);
  }
}
