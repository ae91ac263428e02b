/** Liveness and readiness probes (never behind auth). */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppDeps } from "./deps.ts";
import { OPEN } from "./middleware/auth.ts";
import { ErrorSchema } from "./schemas.ts";

const Status = z.object({ status: z.string() });

/** The /healthz and /readyz routes. */
export function healthRoutes(deps: AppDeps): OpenAPIHono {
  const app = new OpenAPIHono();
  app.openapi(
    createRoute({
      method: "get",
      path: "/healthz",
      operationId: "healthz",
      security: OPEN,
      tags: ["health"],
      summary: "Liveness check",
      responses: {
        200: {
          description: "Alive",
          content: { "application/json": { schema: Status } },
        },
      },
    }),
    (c) => c.json({ status: "ok" }, 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/readyz",
      operationId: "readyz",
      security: OPEN,
      tags: ["health"],
      summary: "Readiness check: KV reachable and the runtime started",
      responses: {
        200: {
          description: "Ready",
          content: { "application/json": { schema: Status } },
        },
        503: {
          description: "Not ready",
          content: { "application/json": { schema: ErrorSchema } },
        },
      },
    }),
    async (c) => {
      if (!deps.isReady()) {
        return c.json({
          error: {
            code: "not_ready",
            message: "The actor runtime has not started, or KV is unreachable",
          },
        }, 503);
      }
      try {
        await deps.store.counts();
      } catch {
        return c.json({
          error: { code: "not_ready", message: "KV is not reachable" },
        }, 503);
      }
      return c.json({ status: "ready" }, 200);
    },
  );
  return app;
}
