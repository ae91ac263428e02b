/** GET /metrics: this process's Prometheus metrics, behind the API token unless AOS_METRICS_PUBLIC=true. */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppDeps } from "./deps.ts";
import { guarded, OPEN } from "./middleware/auth.ts";
import { errorResponses } from "./schemas.ts";

/** The /metrics route (absent when the app was built without metrics). */
export function metricsRoutes(deps: AppDeps): OpenAPIHono {
  const app = new OpenAPIHono();
  const metrics = deps.metrics;
  if (!metrics) return app;
  const auth = deps.config.metricsPublic
    ? { middleware: [], security: OPEN }
    : guarded(deps.config.apiToken);
  app.openapi(
    createRoute({
      method: "get",
      path: "/metrics",
      operationId: "metrics",
      tags: ["health"],
      summary: "Prometheus metrics of this process",
      description:
        "The Prometheus text format. Each process of a deployment serves its own (store-wide gauges such as aos_runs are the same everywhere). Needs the API token unless AOS_METRICS_PUBLIC=true.",
      middleware: auth.middleware,
      security: auth.security,
      responses: {
        200: {
          description: "The metrics",
          content: { "text/plain": { schema: z.string() } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const text = await metrics.render();
      c.header("content-type", metrics.contentType);
      c.header("cache-control", "no-store");
      return c.text(text, 200);
    },
  );
  return app;
}
