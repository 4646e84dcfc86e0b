// Local HTTP targets for check tests: a node:http server on an ephemeral loopback port with one route per behaviour.
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";

export interface Targets {
  /** `http://127.0.0.1:<port>` of the running target server, no trailing slash. */
  baseUrl: string;
  /** The same routes on a second port: another origin, for cross-origin redirects. */
  altBaseUrl: string;
  /** `http://127.0.0.1:<port>/` of a port that was bound and closed again: connecting is refused. */
  refusedUrl: string;
  close(): Promise<void>;
}

/** 1 MiB: the most of a body a check reads. Routes below build bodies around this limit. */
export const MIB = 1024 * 1024;
export const KEYWORD_AFTER_MIB = "needle-after-one-mebibyte";

/**
 * Routes (query parameters in brackets):
 * - `/status/:code[?body=]` answers that status (node's reason phrase) with a small body.
 * - `/slow?ms=N` waits N ms before the response headers; `/slow-body?ms=N` sends headers and
 *   "start " at once, then the rest ("end") after N ms.
 * - `/redirect?to=URL[&code=302&ms=N]` one redirect (after N ms); `/chain/:n[?abs=1&code=302]` n hops to `/chain/0`
 *   (relative Location unless abs=1), which answers 200 "chain end"; `/loop` redirects to itself.
 * - `/echo` answers JSON `{method, url, headers, body}` describing the request it got.
 * - `/text?body=S` answers S as text/plain with a Content-Length; `/chunked?body=S` without one.
 * - `/big-keyword` 1 MiB of filler, then KEYWORD_AFTER_MIB (Content-Length set).
 * - `/endless?id=X` streams filler until the client goes away; `/endless-stats?id=X` answers
 *   `{bytes, closed}` for that stream, so a test can see that the client cancelled it.
 * - `/reset` accepts the request and resets the connection (TCP RST) without answering;
 *   `/reset-body` sends headers and part of the body, then resets.
 */
export async function startTargets(): Promise<Targets> {
  const endless = new Map<string, { bytes: number; closed: boolean }>();
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const handler: http.RequestListener = (req, res) => {
    const url = new URL(req.url ?? "/", "http://target.invalid");
    const q = url.searchParams;
    const parts = url.pathname.split("/").filter(Boolean);
    const text = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": String(Buffer.byteLength(body)), ...headers });
      res.end(req.method === "HEAD" ? undefined : body);
    };

    switch (parts[0]) {
      case "status": {
        const code = Number(parts[1]);
        return text(code, q.get("body") ?? `status ${code}\n`);
      }
      case "slow": {
        // At least `ms` by the monotonic clock: a timer alone may fire a fraction of a millisecond early.
        const ms = Number(q.get("ms") ?? 0);
        const arrived = performance.now();
        const answer = () => {
          const left = ms - (performance.now() - arrived);
          if (left > 0) return later(Math.ceil(left), answer);
          text(200, "slow answer\n");
        };
        return answer();
      }
      case "slow-body":
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("start ");
        return later(Number(q.get("ms") ?? 0), () => res.end("end\n"));
      case "redirect":
        return later(Number(q.get("ms") ?? 0), () => {
          res.writeHead(Number(q.get("code") ?? 302), { location: q.get("to") ?? "/" });
          res.end();
        });
      case "chain": {
        const n = Number(parts[1]);
        if (n <= 0) return text(200, "chain end\n");
        const next = `/chain/${n - 1}?${q.toString()}`;
        const location = q.get("abs") ? `http://${req.headers.host}${next}` : `${n - 1}?${q.toString()}`;
        res.writeHead(Number(q.get("code") ?? 302), { location });
        return res.end();
      }
      case "loop":
        res.writeHead(302, { location: "/loop" });
        return res.end();
      case "echo": {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          const json = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body });
          res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(json)) });
          res.end(req.method === "HEAD" ? undefined : json);
        });
        return;
      }
      case "text":
        return text(200, q.get("body") ?? "");
      case "chunked":
        res.writeHead(200, { "content-type": "text/plain" });
        res.write(q.get("body") ?? "");
        return res.end();
      case "big-keyword": {
        const body = Buffer.alloc(MIB, "a").toString() + KEYWORD_AFTER_MIB + "\n";
        return text(200, body);
      }
      case "endless": {
        const id = q.get("id") ?? "default";
        const stat = { bytes: 0, closed: false };
        endless.set(id, stat);
        const chunk = Buffer.alloc(64 * 1024, "b");
        res.writeHead(200, { "content-type": "text/plain" });
        let stopped = false;
        const pump = () => {
          while (!stopped) {
            stat.bytes += chunk.length;
            if (!res.write(chunk)) return void res.once("drain", pump);
          }
        };
        res.on("close", () => {
          stopped = true;
          stat.closed = true;
        });
        return pump();
      }
      case "endless-stats": {
        const stat = endless.get(q.get("id") ?? "default") ?? null;
        return text(200, JSON.stringify(stat), { "content-type": "application/json" });
      }
      case "reset":
        return req.socket.resetAndDestroy();
      case "reset-body":
        res.writeHead(200, { "content-type": "text/plain", "content-length": "100000" });
        res.write("partial ");
        return later(50, () => req.socket.resetAndDestroy());
      default:
        return text(404, `no route ${url.pathname}\n`);
    }
  };

  const listen = async () => {
    const server = http.createServer(handler);
    server.on("connection", (s) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  };
  const main = await listen();
  const alt = await listen();
  const refusedPort = await closedPort();

  return {
    baseUrl: main.url,
    altBaseUrl: alt.url,
    refusedUrl: `http://127.0.0.1:${refusedPort}/`,
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await Promise.all([main, alt].map(({ server }) => new Promise<void>((resolve) => server.close(() => resolve()))));
    },
  };
}

/** A loopback port that was just bound and released, so nothing listens on it. */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
