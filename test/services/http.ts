// Small HTTP helpers shared by the cross-process tests, their services and the benchmarks.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/** The edge's JSON API with a bearer token: status, parsed body (null when empty) and the raw text. `base` is read per call. */
export function apiClient(base: () => string, token: string) {
  return async (method: string, p: string, body?: unknown): Promise<{ status: number; body: any; text: string }> => {
    const res = await fetch(`${base()}${p}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, text };
  };
}

/** Listens on a free loopback port; close() runs `beforeClose`, drops every connection and stops the server. */
export async function listenLoopback(
  server: Server,
  beforeClose: () => void = () => {},
): Promise<{ url: string; port: number; close(): Promise<void> }> {
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        beforeClose();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
