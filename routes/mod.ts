/** The HTTP API: one OpenAPIHono app, errors mapped in one place, docs at /docs. */
import { OpenAPIHono } from "@hono/zod-openapi";
import { swaggerUI } from "@hono/swagger-ui";
import { bodyLimit } from "hono/body-limit";
import type { Config } from "../lib/config.ts";
import { Redactor } from "../lib/redact.ts";
import type { RunService } from "../actors/run/service.ts";
import type { RunStore } from "../lib/store/mod.ts";
import { artifactRoutes } from "./artifacts.ts";
import { bearerAuth } from "./auth.ts";
import { errorBody, handleError, HttpError } from "./errors.ts";
import { eventRoutes } from "./events.ts";
import { healthRoutes } from "./health.ts";
import { ReadWriteRouter } from "./router.ts";
import { requireType, runRoutes } from "./runs.ts";
import { uiApp } from "./ui/mod.ts";

/** What the routes need. */
export interface AppDeps {
  config: Config;
  store: RunStore;
  runs: RunService;
  isReady: () => boolean;
  /** Aborted when the server shuts down, so live streams end. */
  shutdownSignal?: AbortSignal;
}

/** Builds the API app. */
export function createApp(deps: AppDeps): OpenAPIHono {
  const redactor = new Redactor([
    deps.config.openaiApiKey,
    deps.config.githubToken,
    deps.config.apiToken,
    deps.config.webhook?.secret,
    ...deps.config.gitCredentials.secrets(),
  ]);
  const app = new OpenAPIHono({
    router: new ReadWriteRouter(),
    defaultHook: (result, c) => {
      if (result.success) return;
      const issues = result.error.issues.map((issue) => ({
        field: issue.path.join(".") || result.target,
        message: issue.message,
      }));
      const summary = issues.map((i) => `${i.field}: ${i.message}`).join("; ");
      if (result.target === "json" || result.target === "form") {
        return c.json(errorBody("validation_failed", summary, issues), 422);
      }
      return c.json(
        errorBody(
          "bad_request",
          `Invalid ${result.target}: ${summary}`,
          issues,
        ),
        400,
      );
    },
  });
  app.onError((error, c) => handleError(error, c, (s) => redactor.redact(s)));
  app.notFound((c) =>
    c.json(
      errorBody("not_found", `No route for ${c.req.method} ${c.req.path}`),
      404,
    )
  );

  healthRoutes(app, deps);
  app.route("/", uiApp(deps)); // the dashboard: its own session auth, before bearer auth
  if (deps.config.apiToken) {
    app.use("*", bearerAuth(deps.config.apiToken, ["/healthz", "/readyz"]));
  }
  app.on(
    "POST",
    ["/runs", "/runs/*"],
    bodyLimit({
      maxSize: deps.config.maxBodyBytes,
      onError: () => {
        throw new HttpError(
          413,
          "payload_too_large",
          `Request body is over the ${deps.config.maxBodyBytes}-byte limit`,
        );
      },
    }),
  );
  app.post("/runs", async (c, next) => {
    requireType(c.req.header("content-type"), ["application/json"]);
    await next();
  });
  app.post("/runs/submit", async (c, next) => {
    requireType(c.req.header("content-type"), [
      "multipart/form-data",
      "application/x-www-form-urlencoded",
    ]);
    await next();
  });
  runRoutes(app, deps);
  eventRoutes(app, deps);
  artifactRoutes(app, deps);

  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "AOS — Agent Orchestration Service",
      version: "1.0.0",
      description: "Submit work orders, follow runs, fetch artifacts.",
    },
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
  });
  app.get("/docs", swaggerUI({ url: "/openapi.json" }));
  return app;
}
