/** Liveness and readiness probes (never behind auth). */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppDeps } from "./deps.ts";
import { OPEN } from "./middleware/auth.ts";
import { ErrorSchema } from "./schemas.ts";

const Status = z.object({ status: z.string() });

const ModelCheckSchema = z.object({
  ok: z.boolean().nullable().openapi({
    description:
      "false when something is known to be wrong; null before the first check ends",
  }),
  endpoint: z.string(),
  models: z.array(z.string()),
  listed: z.boolean().openapi({
    description: "whether the endpoint answered GET /models with a list",
  }),
  problems: z.array(z.string()),
  checked_at: z.string().nullable(),
});

const Ready = z.object({
  status: z.literal("ready"),
  checks: z.object({
    kv: z.literal("ok"),
    runtime: z.enum(["started", "api-only"]),
    model: ModelCheckSchema.openapi({
      description:
        "The model configuration (key, endpoint, models listed); informative only: a process is ready even when it fails, since API-only processes never call the model",
    }),
  }),
});

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
          description: "Ready, with the checks' details",
          content: { "application/json": { schema: Ready } },
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
      const model = deps.modelCheck?.() ?? null;
      return c.json({
        status: "ready" as const,
        checks: {
          kv: "ok" as const,
          runtime: deps.config.workers
            ? "started" as const
            : "api-only" as const,
          model: model ?? {
            ok: null,
            endpoint: "",
            models: [],
            listed: false,
            problems: [],
            checked_at: null,
          },
        },
      }, 200);
    },
  );
  return app;
}
