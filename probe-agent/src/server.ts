// The operations endpoint: GET /healthz (status JSON) and GET /metrics (Prometheus) on AGENT_LISTEN.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { Listen } from "./config.ts";
import type { Logger } from "./log.ts";

/** What /healthz reports; `healthy` decides 200 or 503. */
export type Health = { healthy: boolean; body: Record<string, unknown> };

export type OpsServer = { url: string; port: number; close(): Promise<void> };

export async function startServer(listen: Listen, health: () => Health, registry: Registry, logger: Logger): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    if (req.method !== "GET" && req.method !== "HEAD")
      return send(405, "application/json", JSON.stringify({ error: { code: "method_not_allowed", message: "use GET" } }));
    if (path === "/healthz") {
      let h: Health;
      try {
        h = health();
      } catch (e) {
        h = { healthy: false, body: { status: "failing", error: e instanceof Error ? e.message : String(e) } };
      }
      return send(h.healthy ? 200 : 503, "application/json", JSON.stringify(h.body));
    }
    if (path === "/metrics") {
      registry.metrics().then(
        (text) => send(200, registry.contentType, text),
        (e: unknown) => {
          logger.error({ err: e }, "metrics collection failed");
          send(500, "text/plain", "metrics collection failed\n");
        },
      );
      return;
    }
    send(404, "application/json", JSON.stringify({ error: { code: "not_found", message: "try /healthz or /metrics" } }));
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  const url = `http://${host === "0.0.0.0" ? "127.0.0.1" : host === "[::]" ? "[::1]" : host}:${addr.port}`;
  return {
    url,
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
