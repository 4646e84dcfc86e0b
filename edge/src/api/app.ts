// Builds the hono app: request context, configuration gate, routes, and the one error shape.
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./context.ts";
import { loadConfig } from "../config/config.ts";
import { ApiError, errorResponse } from "./errors.ts";
import { createLogger } from "../observability/log.ts";
import { securityHeaders } from "./headers.ts";
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
import { results } from "./routes/results.ts";
import { status } from "./routes/status.ts";
import { tokens } from "./routes/tokens.ts";
import { ui } from "./routes/ui.ts";

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
    c.set("config", result.config);
    const requestId = c.req.header("cf-ray") ?? c.req.header("x-request-id") ?? crypto.randomUUID();
    c.set("requestId", requestId);
    const log = createLogger(result.config.logLevel, { request_id: requestId });
    c.set("log", log);
    const started = Date.now();
    await next();
    c.header("x-request-id", requestId);
    log.info("request", {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: Date.now() - started,
      role: c.get("principal")?.role ?? null,
    });
  });

  app.route("/", readyz);
  app.route("/", metrics);
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
  app.route("/badge", badges);

  app.notFound((c) => errorResponse(new ApiError("not_found", `no route for ${c.req.method} ${c.req.path}`)));

  app.onError((err, c) => {
    if (err instanceof ApiError) return errorResponse(err);
    if (err instanceof HTTPException && err.status < 500) {
      const code = err.status === 413 ? "payload_too_large" : err.status === 401 ? "unauthorized" : "invalid_input";
      return errorResponse(new ApiError(code, err.message || "bad request"));
    }
    (c.get("log") ?? createLogger()).error("unhandled error", { error: err, method: c.req.method, path: c.req.path });
    return errorResponse(new ApiError("internal", "internal error; see the Worker's logs for the request id"));
  });

  return app;
}
