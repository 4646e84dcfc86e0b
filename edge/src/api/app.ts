// Builds the hono app: request context, configuration gate, routes, and the one error shape.
import { isPackConflict } from "../db/packs.ts";
import { loggedPath } from "./redact.ts";
import { type Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./context.ts";
import { loadConfig } from "../config/config.ts";
import { ApiError, errorResponse } from "./errors.ts";
import { d1LogFields, meterD1 } from "../db/meter.ts";
import { createLogger } from "../observability/log.ts";
import { securityHeaders } from "./headers.ts";
import { failedAuthLimit } from "./rate-limit.ts";
import { auditChanges } from "./audit.ts";
import { audit } from "./routes/audit.ts";
import { agents } from "./routes/agents.ts";
import { badges } from "./routes/badges.ts";
import { channels } from "./routes/channels.ts";
import { healthz, readyz } from "./routes/health.ts";
import { history } from "./routes/history.ts";
import { incidents, monitorIncidents } from "./routes/incidents.ts";
import { maintenance } from "./routes/maintenance.ts";
import { metrics } from "./routes/metrics.ts";
import { monitors } from "./routes/monitors.ts";
import { notifications } from "./routes/notifications.ts";
import { ping } from "./routes/ping.ts";
import { results } from "./routes/results.ts";
import { status } from "./routes/status.ts";
import { tokens } from "./routes/tokens.ts";
import { ui } from "./routes/ui.ts";

/** How long the request line waits for background work; waitUntil itself allows 30 s after the response. */
const BACKGROUND_WAIT_MS = 25_000;

/**
 * The promises this request hands to waitUntil from here on, so the request line can wait for them,
 * and the context's own waitUntil (for the request line itself). Each request has its own execution
 * context; its waitUntil is wrapped for this request only.
 */
function trackWaitUntil(c: Context<AppEnv>): { pending: Promise<unknown>[]; waitUntil: (p: Promise<unknown>) => void } {
  const pending: Promise<unknown>[] = [];
  let ctx: Context<AppEnv>["executionCtx"];
  try {
    ctx = c.executionCtx;
  } catch {
    return { pending, waitUntil: () => {} }; // no execution context (app.request in a unit test): nothing can be left running
  }
  const waitUntil = ctx.waitUntil.bind(ctx);
  ctx.waitUntil = (p: Promise<unknown>) => {
    pending.push(p);
    waitUntil(p);
  };
  return { pending, waitUntil };
}

/** Resolves once every promise settled (including ones added meanwhile), or after BACKGROUND_WAIT_MS with `background_timeout`. */
async function settled(pending: Promise<unknown>[]): Promise<Record<string, unknown>> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), BACKGROUND_WAIT_MS);
  });
  try {
    for (let seen = 0; seen < pending.length; ) {
      const batch = pending.slice(seen);
      seen = pending.length;
      if ((await Promise.race([Promise.allSettled(batch), timeout])) === "timeout") return { background_timeout: true };
    }
    return {};
  } finally {
    if (timer !== null) clearTimeout(timer);
  }
}

export function createApp() {
  const app = new Hono<AppEnv>();

  app.use("*", securityHeaders());
  app.route("/", healthz);
  // The UI's shell and assets carry no data, so they load even with a bad configuration and show what the API says.
  app.route("/", ui);

  // Everything below needs a valid configuration: a bad one answers 503 with every problem.
  app.use("*", async function configGate(c, next) {
    const result = loadConfig(c.env);
    if (!result.ok)
      throw new ApiError(
        "config_invalid",
        `the Worker's configuration is invalid (${result.issues.length} problem${result.issues.length === 1 ? "" : "s"}); fix it and redeploy`,
        result.issues,
      );
    // This request's D1 binding counts what the request asks of D1 (db/meter.ts).
    const meter = meterD1(result.config.db);
    c.set("config", { ...result.config, db: meter.db });
    const requestId = c.req.header("cf-ray") ?? c.req.header("x-request-id") ?? crypto.randomUUID();
    c.set("requestId", requestId);
    const log = createLogger(result.config.logLevel, { request_id: requestId });
    c.set("log", log);
    const background = trackWaitUntil(c);
    const started = Date.now();
    await next();
    c.header("x-request-id", requestId);
    const fields = {
      method: c.req.method,
      path: loggedPath(c.req.path),
      status: c.res.status,
      duration_ms: Date.now() - started,
      role: c.get("principal")?.role ?? null,
    };
    // The request line is the invocation's last: when the request left work in the background (a
    // token's last use, alert delivery), it waits for that work, so its D1 totals are the whole invocation's.
    if (background.pending.length === 0) log.info("request", { ...fields, ...d1LogFields(meter.totals()) });
    else
      background.waitUntil(
        settled(background.pending).then((late) => log.info("request", { ...fields, ...d1LogFields(meter.totals()), ...late })),
      );
  });

  // Failed authentication per client address (api/rate-limit.ts); the other limits apply where the caller is known (auth.ts).
  app.use("*", failedAuthLimit());
  app.route("/", readyz);
  app.route("/", metrics);
  // Every change by a token under /api/v1 is recorded before it is answered (docs/security.md#audit-log).
  app.use("/api/v1/*", auditChanges());
  app.route("/api/v1/monitors", monitors);
  app.route("/api/v1/monitors", history);
  app.route("/api/v1/monitors", monitorIncidents);
  app.route("/api/v1/incidents", incidents);
  app.route("/api/v1/maintenance", maintenance);
  app.route("/api/v1/status", status);
  app.route("/api/v1/tokens", tokens);
  app.route("/api/v1/agents", agents);
  app.route("/api/v1/results", results);
  app.route("/api/v1/channels", channels);
  app.route("/api/v1/notifications", notifications);
  app.route("/api/v1/audit", audit);
  app.route("/badge", badges);
  // Heartbeat pings: the key in the path is the credential (no token); outside /api/v1, so not audited.
  app.route("/ping", ping);

  app.notFound((c) => errorResponse(new ApiError("not_found", `no route for ${c.req.method} ${c.req.path}`)));

  app.onError((err, c) => {
    if (err instanceof ApiError) return errorResponse(err);
    // Writers of one state pack retry each other's conflicts (db/packs.ts); one that kept losing is told to come back.
    if (isPackConflict(err)) {
      (c.get("log") ?? createLogger()).warn("state pack kept changing under this write; answered 503", {
        method: c.req.method,
        path: loggedPath(c.req.path),
      });
      return errorResponse(
        new ApiError("unavailable", "too many concurrent writes to the same monitors' state; retry", [], { "retry-after": "1" }),
      );
    }
    if (err instanceof HTTPException && err.status < 500) {
      const code = err.status === 413 ? "payload_too_large" : err.status === 401 ? "unauthorized" : "invalid_input";
      return errorResponse(new ApiError(code, err.message || "bad request"));
    }
    (c.get("log") ?? createLogger()).error("unhandled error", { error: err, method: c.req.method, path: loggedPath(c.req.path) });
    return errorResponse(new ApiError("internal", "internal error; see the Worker's logs for the request id"));
  });

  return app;
}
