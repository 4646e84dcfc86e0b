// How the agent talks to the edge: a fetch-shaped function over undici's request API and one
// keep-alive connection pool. The push runs every second; the web fetch API (streams, Request and
// Response objects) cost more CPU than everything else the push does, and loaded a second copy of undici.
import { Agent, EnvHttpProxyAgent, request, type Dispatcher } from "undici";
import type { EdgeProxy } from "./config.ts";

/** The part of a fetch Response the agent reads. A real `Response` has this shape too. */
export interface EdgeResponse {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export interface EdgeRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** What the pusher and the assignments client call; tests may pass `globalThis.fetch` or their own. */
export type EdgeFetch = (url: string, init?: EdgeRequestInit) => Promise<EdgeResponse>;

/**
 * A keep-alive pool for the edge: a few connections, kept between pushes. With a proxy, requests
 * to the edge tunnel through it (CONNECT), except for hosts NO_PROXY lists. Only the given proxy
 * settings count: undici's own reading of the environment is not relied on.
 */
export function createEdgeDispatcher(proxy: EdgeProxy | null = null): Dispatcher {
  const pool = { connections: 4, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000 };
  if (!proxy) return new Agent(pool);
  // As curl and Go do it: an https:// edge uses HTTPS_PROXY, an http:// one HTTP_PROXY, neither the
  // other. "" rather than undefined: an unset one must not fall back to the process environment.
  return new EnvHttpProxyAgent({
    ...pool,
    httpProxy: proxy.httpProxy ?? "",
    httpsProxy: proxy.httpsProxy ?? "",
    noProxy: proxy.noProxy ?? "",
  });
}

/** One pool for everything the agent sends to the edge, closed when the agent stops. */
export function createEdgeClient(proxy: EdgeProxy | null = null): { fetch: EdgeFetch; close(): Promise<void> } {
  const dispatcher = createEdgeDispatcher(proxy);
  return { fetch: edgeFetch(dispatcher), close: () => dispatcher.destroy().catch(() => {}) };
}

/** An EdgeFetch over undici.request. Bodies are read whole (the edge answers small JSON documents). */
export function edgeFetch(dispatcher: Dispatcher = createEdgeDispatcher()): EdgeFetch {
  return async (url, init = {}) => {
    const res = await request(url, {
      method: (init.method ?? "GET") as Dispatcher.HttpMethod,
      ...(init.headers ? { headers: init.headers } : {}),
      ...(init.body !== undefined ? { body: init.body } : {}),
      ...(init.signal ? { signal: init.signal } : {}),
      dispatcher,
    });
    const text = await res.body.text();
    const headers = res.headers;
    return {
      status: res.statusCode,
      headers: {
        get(name: string): string | null {
          const v = headers[name.toLowerCase()];
          if (v === undefined) return null;
          return Array.isArray(v) ? v.join(", ") : String(v);
        },
      },
      text: async () => text,
    };
  };
}
