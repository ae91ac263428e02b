/**
 * The HTTP API: one root app with the error mapping, each part of the API a
 * sub-app with its own middleware (runs.ts, events.ts, artifacts.ts,
 * health.ts, docs.ts), mounted with `app.route()`.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "./deps.ts";
import { approvalRoutes } from "./approval.ts";
import { resumeRoutes } from "./resume.ts";
import { scheduleRoutes } from "./schedules.ts";
import { artifactRoutes } from "./artifacts.ts";
import { docsRoutes } from "./docs.ts";
import { errorBody, handleError, validationHook } from "./errors.ts";
import { eventRoutes } from "./events.ts";
import { healthRoutes } from "./health.ts";
import { metricsRoutes } from "./metrics.ts";
import { requestGuard, requestPolicy } from "./middleware/request_guard.ts";
import { ReadWriteRouter } from "./router.ts";
import { runRoutes } from "./runs.ts";
import { triggerRoutes } from "./triggers.ts";
import { uiApp } from "./ui/mod.ts";

export type { AppDeps } from "./deps.ts";

/** Builds the API app. */
export function createApp(deps: AppDeps): OpenAPIHono {
  const app = new OpenAPIHono({
    router: new ReadWriteRouter(),
    defaultHook: validationHook,
  });
  app.onError((error, c) =>
    handleError(error, c, (s) => deps.redactor.redact(s))
  );
  app.notFound((c) =>
    c.json(
      errorBody(
        "not_found",
        `No route for ${c.req.method} ${c.req.path.slice(0, 200)}`,
      ),
      404,
    )
  );
  // Before every route: Host and cross-site rules (hostile web pages).
  app.use("*", requestGuard(requestPolicy(deps.config)));
  app.route("/", healthRoutes(deps));
  app.route("/", metricsRoutes(deps));
  // The dashboard: HTML pages with their own session auth (routes/ui/).
  app.route("/", uiApp(deps));
  app.route("/", runRoutes(deps));
  app.route("/", approvalRoutes(deps));
  app.route("/", resumeRoutes(deps));
  app.route("/", triggerRoutes(deps));
  app.route("/", scheduleRoutes(deps));
  app.route("/", eventRoutes(deps));
  app.route("/", artifactRoutes(deps));
  app.route("/", docsRoutes(deps, app));
  return app;
}
