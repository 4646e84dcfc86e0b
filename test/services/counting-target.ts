// A local HTTP target that counts: hits per path, requests in flight (and the most at once), and
// answers with a status the test can change. Used by the scheduler tests and the tick benchmark.
import http from "node:http";
import { listenLoopback } from "./http.ts";

export type CountingTarget = { url: string; close(): Promise<void> };

/**
 * Routes:
 * - `GET /hit/:name?ms=N` waits N ms (default 0), then answers the status set for :name (default 200);
 *   with `fail=K` the first K hits of :name answer 503 instead; with `failrate=P` each hit answers
 *   503 with probability P (a seeded generator, so runs repeat: `seed=N`).
 * - `POST /control/status/:name/:code` sets :name's status; `POST /control/reset` clears everything.
 * - `GET /control/stats` answers `{hits: {name: n}, max_in_flight, in_flight, total}`.
 */
export async function startCountingTarget(): Promise<CountingTarget> {
  let hits = new Map<string, number>();
  let statuses = new Map<string, number>();
  let inFlight = 0;
  // One deterministic generator per name (mulberry32), so a flaky target fails the same way every run.
  const generators = new Map<string, () => number>();
  const random = (name: string, seed: number) => {
    let g = generators.get(name);
    if (!g) {
      let a = seed >>> 0;
      g = () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
      generators.set(name, g);
    }
    return g();
  };
  let maxInFlight = 0;
  let total = 0;
  const server = http.createServer((req, res) => {
    // One request per connection: a pooled connection that this server closes after its keep-alive
    // timeout, reused by workerd at that moment, fails as "Network connection lost." in the test.
    res.setHeader("connection", "close");
    const url = new URL(req.url ?? "/", "http://target.invalid");
    const parts = url.pathname.split("/").filter(Boolean);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (parts[0] === "control") {
      if (parts[1] === "stats")
        return json(200, { hits: Object.fromEntries(hits), max_in_flight: maxInFlight, in_flight: inFlight, total });
      if (parts[1] === "reset") {
        hits = new Map();
        statuses = new Map();
        generators.clear();
        maxInFlight = inFlight;
        total = 0;
        return json(200, { ok: true });
      }
      if (parts[1] === "status" && parts[2] && parts[3]) {
        statuses.set(parts[2], Number(parts[3]));
        return json(200, { ok: true });
      }
      return json(404, { error: "unknown control route" });
    }
    if (parts[0] !== "hit" || !parts[1]) return json(404, { error: "unknown route" });
    const name = parts[1];
    hits.set(name, (hits.get(name) ?? 0) + 1);
    total += 1;
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const ms = Number(url.searchParams.get("ms") ?? 0);
    setTimeout(() => {
      inFlight -= 1;
      const failFirst = Number(url.searchParams.get("fail") ?? 0);
      const failRate = Number(url.searchParams.get("failrate") ?? 0);
      const randomFail = failRate > 0 && random(name, Number(url.searchParams.get("seed") ?? 1)) < failRate;
      const status = hits.get(name)! <= failFirst || randomFail ? 503 : (statuses.get(name) ?? 200);
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(`${name} ${status}\n`);
    }, ms);
  });
  const { url, close } = await listenLoopback(server);
  return { url, close };
}
