// The agent's edge client against a local node:http server: what the pusher and the assignments
// client read (status, headers, text), one kept-alive connection across requests, and close().
import { createServer, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEdgeClient } from "./edge-client.ts";
import { startConnectProxy, waitFor } from "../test/helpers.ts";

describe("edge client", () => {
  const seen: Array<{ method: string; url: string; headers: IncomingMessage["headers"]; body: string }> = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  let base = "";
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (d: string) => (body += d));
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (req.url === "/busy") {
        res.writeHead(503, { "retry-after": "7", "content-type": "application/json" });
        return res.end('{"error":{"code":"busy"}}');
      }
      res.writeHead(202, { etag: '"v1"', "set-cookie": ["a=1", "b=2"] });
      res.end(`{"accepted":${body.length}}`);
    });
  });
  server.on("connection", (s: Socket) => {
    connections++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });

  it("sends method, headers and body; reads status, headers and text; keeps one connection; closes it", async () => {
    const edge = createEdgeClient();
    const before = connections;
    const r = await edge.fetch(`${base}/api/v1/results`, {
      method: "POST",
      headers: { authorization: "Bearer t", "content-type": "application/json" },
      body: "12345",
    });
    expect(r.status).toBe(202);
    expect(await r.text()).toBe('{"accepted":5}');
    expect(r.headers.get("ETag")).toBe('"v1"');
    expect(r.headers.get("set-cookie")).toBe("a=1, b=2");
    expect(r.headers.get("x-missing")).toBeNull();
    expect(seen.at(-1)).toMatchObject({ method: "POST", url: "/api/v1/results", body: "12345", headers: { authorization: "Bearer t" } });

    await new Promise((r) => setTimeout(r, 20)); // pushes are a second apart: the connection is idle again
    const busy = await edge.fetch(`${base}/busy`);
    expect(busy.status).toBe(503);
    expect(busy.headers.get("retry-after")).toBe("7");
    expect(JSON.parse(await busy.text())).toEqual({ error: { code: "busy" } });
    expect(seen.at(-1)!.method).toBe("GET");
    // Both requests went over one kept-alive connection.
    expect(connections - before).toBe(1);
    expect(sockets.size).toBe(1);

    await edge.close();
    await waitFor(() => sockets.size === 0, 2000, "the connection to close");
    expect(sockets.size).toBe(0);
  });

  it("rejects when the edge cannot be reached, and when the signal aborts", async () => {
    const edge = createEdgeClient();
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    await expect(edge.fetch(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    const hang = createServer(() => {});
    await new Promise<void>((r) => hang.listen(0, "127.0.0.1", r));
    const hangPort = (hang.address() as { port: number }).port;
    await expect(edge.fetch(`http://127.0.0.1:${hangPort}/`, { signal: AbortSignal.timeout(100) })).rejects.toThrow();
    await edge.close();
    hang.closeAllConnections();
    await new Promise((r) => hang.close(r));
  });

  it("goes through the configured proxy (CONNECT), except to hosts NO_PROXY names", async () => {
    const proxy = await startConnectProxy();
    const { tunnels } = proxy;
    const proxyUrl = proxy.url.replace("http://", "http://agent:s3cret@");
    try {
      const via = createEdgeClient({ httpProxy: proxyUrl });
      const before = seen.length;
      const r = await via.fetch(`${base}/api/v1/results`, { method: "POST", body: "abc" });
      expect(r.status).toBe(202);
      expect(seen.length).toBe(before + 1);
      expect(tunnels).toEqual([`${base.slice("http://".length)} Basic ${Buffer.from("agent:s3cret").toString("base64")}`]);
      await via.close();

      // NO_PROXY naming the edge's host: straight there.
      const bypass = createEdgeClient({ httpProxy: proxyUrl, noProxy: "example.net,127.0.0.1" });
      expect((await bypass.fetch(`${base}/x`)).status).toBe(202);
      await bypass.close();
      // Only HTTPS_PROXY set, and the edge is http://: straight there too (as curl does).
      const httpsOnly = createEdgeClient({ httpsProxy: proxyUrl });
      expect((await httpsOnly.fetch(`${base}/y`)).status).toBe(202);
      await httpsOnly.close();
      expect(tunnels).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });
});
