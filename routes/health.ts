/** Liveness and readiness probes (never behind auth). */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppDeps } from "./deps.ts";
import { OPEN } from "./middleware/auth.ts";
import { ErrorSchema } from "./schemas.ts";

const Status = z.object({ status: z.string() });

/** How long /readyz waits for its KV read before answering 503. */
const READY_READ_TIMEOUT_MS = 2000;

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
      // A store riding out an outage retries until the database answers; a
      // probe must answer now, so the read is cut short.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const answered = await Promise.race([
        deps.store.counts().then(() => "ok" as const, () => "failed" as const),
        new Promise<"slow">((r) => {
          timer = setTimeout(() => r("slow"), READY_READ_TIMEOUT_MS);
        }),
      ]).finally(() => clearTimeout(timer));
      if (answered !== "ok") {
        return c.json({
          error: {
            code: "not_ready",
            message: answered === "slow"
              ? `KV did not answer within ${READY_READ_TIMEOUT_MS} ms`
              : "KV is not reachable",
          },
        }, 503);
      }
      return c.json({ status: "ready" }, 200);
    },
  );
  return app;
}
