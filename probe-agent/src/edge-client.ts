// How the agent talks to the edge: a fetch-shaped function over undici's request API and one
// keep-alive connection pool. The push runs every second; the web fetch API (streams, Request and
// Response objects) cost more CPU than everything else the push does, and loaded a second copy of undici.
import { Agent, request, type Dispatcher } from "undici";

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

/** A keep-alive pool for the edge: a few connections, kept between pushes. */
export function createEdgeDispatcher(): Dispatcher {
  return new Agent({ connections: 4, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000 });
}

/** One pool for everything the agent sends to the edge, closed when the agent stops. */
export function createEdgeClient(): { fetch: EdgeFetch; close(): Promise<void> } {
  const dispatcher = createEdgeDispatcher();
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
