// Every route the Worker serves (edge/src/api/app.ts and edge/src/api/routes/*.ts), with what each one reads.
// fuzz.test.ts checks this list against the hono app's own route table, so a new route fails until it is added here.

export type Role = "anonymous" | "badToken" | "revoked" | "status" | "viewer" | "editor" | "admin" | "bootstrap" | "agent" | "agent2";
export const ROLES: readonly Role[] = [
  "anonymous",
  "badToken",
  "revoked",
  "status",
  "viewer",
  "editor",
  "admin",
  "bootstrap",
  "agent",
  "agent2",
];

/** What fills a route's `:id` (or `*`). */
export type IdKind = "monitor" | "window" | "channel" | "token" | "asset";
export type BodyKind = "monitor" | "monitorPatch" | "window" | "channel" | "channelPatch" | "token" | "rotate" | "agent" | "results";
export type QueryKind = "checks" | "uptime" | "incidents" | "monitorIncidents" | "notifications" | "audit" | "badge" | "none";
/** The role a route needs: null = anyone; "agent" = exactly an agent. */
export type Need = null | "status" | "viewer" | "editor" | "admin" | "agent";

export type RouteSpec = { method: string; path: string; need: Need; id?: IdKind; body?: BodyKind; query?: QueryKind };

export const ROUTES: readonly RouteSpec[] = [
  { method: "GET", path: "/healthz", need: null },
  { method: "GET", path: "/", need: null },
  { method: "GET", path: "/monitors/:id", need: null, id: "monitor" },
  { method: "GET", path: "/assets/*", need: null, id: "asset" },
  { method: "GET", path: "/readyz", need: null },
  { method: "GET", path: "/metrics", need: "status" },
  { method: "GET", path: "/api/v1/monitors", need: "viewer" },
  { method: "POST", path: "/api/v1/monitors", need: "editor", body: "monitor" },
  { method: "GET", path: "/api/v1/monitors/:id", need: "viewer", id: "monitor" },
  { method: "PATCH", path: "/api/v1/monitors/:id", need: "editor", id: "monitor", body: "monitorPatch" },
  { method: "DELETE", path: "/api/v1/monitors/:id", need: "editor", id: "monitor" },
  { method: "GET", path: "/api/v1/monitors/:id/checks", need: "viewer", id: "monitor", query: "checks" },
  { method: "GET", path: "/api/v1/monitors/:id/uptime", need: "viewer", id: "monitor", query: "uptime" },
  { method: "GET", path: "/api/v1/monitors/:id/incidents", need: "viewer", id: "monitor", query: "monitorIncidents" },
  { method: "GET", path: "/api/v1/incidents", need: "viewer", query: "incidents" },
  { method: "GET", path: "/api/v1/maintenance", need: "viewer" },
  { method: "GET", path: "/api/v1/maintenance/:id", need: "viewer", id: "window" },
  { method: "POST", path: "/api/v1/maintenance", need: "editor", body: "window" },
  { method: "PUT", path: "/api/v1/maintenance/:id", need: "editor", id: "window", body: "window" },
  { method: "DELETE", path: "/api/v1/maintenance/:id", need: "editor", id: "window" },
  { method: "GET", path: "/api/v1/status", need: "status" },
  { method: "GET", path: "/api/v1/status/:id", need: "status", id: "monitor" },
  { method: "POST", path: "/api/v1/tokens", need: "admin", body: "token" },
  { method: "GET", path: "/api/v1/tokens", need: "admin" },
  { method: "DELETE", path: "/api/v1/tokens/:id", need: "admin", id: "token" },
  { method: "POST", path: "/api/v1/tokens/:id/rotate", need: "admin", id: "token", body: "rotate" },
  { method: "POST", path: "/api/v1/agents", need: "admin", body: "agent" },
  { method: "GET", path: "/api/v1/agents", need: "admin" },
  { method: "GET", path: "/api/v1/agents/me/assignments", need: "agent" },
  { method: "POST", path: "/api/v1/results", need: "agent", body: "results" },
  { method: "POST", path: "/api/v1/channels", need: "admin", body: "channel" },
  { method: "GET", path: "/api/v1/channels", need: "admin" },
  { method: "GET", path: "/api/v1/channels/:id", need: "admin", id: "channel" },
  { method: "PATCH", path: "/api/v1/channels/:id", need: "admin", id: "channel", body: "channelPatch" },
  { method: "DELETE", path: "/api/v1/channels/:id", need: "admin", id: "channel" },
  { method: "POST", path: "/api/v1/channels/:id/test", need: "admin", id: "channel" },
  { method: "POST", path: "/api/v1/channels/:id/rotate-secret", need: "admin", id: "channel" },
  { method: "GET", path: "/api/v1/notifications", need: "admin", query: "notifications" },
  { method: "GET", path: "/api/v1/audit", need: "admin", query: "audit" },
  { method: "GET", path: "/badge/:id/status.svg", need: "status", id: "monitor" },
  { method: "GET", path: "/badge/:id/uptime.svg", need: "status", id: "monitor", query: "badge" },
  { method: "GET", path: "/badge/:id/shields.json", need: "status", id: "monitor", query: "badge" },
  // Heartbeat pings: the key in the path is the credential (no token); the fuzzer's keys are never a monitor's.
  { method: "GET", path: "/ping/:key", need: null },
  { method: "POST", path: "/ping/:key", need: null },
  { method: "GET", path: "/ping/:key/:suffix", need: null },
  { method: "POST", path: "/ping/:key/:suffix", need: null },
  { method: "POST", path: "/api/v1/monitors/:id/rotate-ping-key", need: "editor", id: "monitor" },
];

/** Roles that pass `need` (the fuzz test leans towards them so bodies get past authentication). */
export function rolesPassing(need: Need): Role[] {
  switch (need) {
    case null:
      return [...ROLES];
    case "agent":
      // Generated results are fx-agent's (dc1): agent2 (dc2) is mostly refused, so it gets fewer of them.
      return ["agent", "agent", "agent", "agent2"];
    case "status":
      return ["status", "viewer", "editor", "admin", "bootstrap"];
    case "viewer":
      return ["viewer", "editor", "admin", "bootstrap"];
    case "editor":
      return ["editor", "admin", "bootstrap"];
    case "admin":
      return ["admin", "bootstrap"];
  }
}

/** Changes stored state when it succeeds (so the fixtures are checked afterwards). */
export const isWrite = (method: string) => !["GET", "HEAD", "OPTIONS"].includes(method);
