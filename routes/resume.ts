/** POST /runs/{id}/resume: new limits for a run a budget PAUSED (`on_budget: pause`). */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { every } from "hono/combine";
import type { Context } from "hono";
import { ValidationError } from "../lib/errors.ts";
import type { ResumeLimits } from "../actors/run/resume.ts";
import type { AppDeps } from "./deps.ts";
import { parseJsonBody } from "./json_body.ts";
import { guarded } from "./middleware/auth.ts";
import {
  BODIES_IN_FLIGHT,
  BodyBudget,
  limitBody,
} from "./middleware/body_limit.ts";
import { acceptedMediaType } from "./middleware/content_type.ts";
import { checkKeyParams } from "./middleware/params.ts";
import {
  INTEGER_FIELDS,
  maxCostUsd,
  toFieldIssues,
} from "../lib/work_order/mod.ts";
import {
  errorResponses,
  ErrorSchema,
  json,
  RunIdParam,
  RunSchema,
} from "./schemas.ts";

const MAX_BODY = 16 * 1024;

const limit = (field: "max_total_tokens" | "max_wall_time_s") =>
  z.number().int().min(INTEGER_FIELDS[field].min).max(
    INTEGER_FIELDS[field].max,
  ).optional();

/** The new limits (the work order's rules); absent ones are kept. */
export const ResumeBodySchema = z.strictObject({
  max_total_tokens: limit("max_total_tokens").openapi({
    description: "Tokens the whole run may use (must be more than it used)",
  }),
  max_cost_usd: maxCostUsd.optional().openapi({
    description: "Dollars the whole run may cost (priced usage)",
  }),
  max_wall_time_s: limit("max_wall_time_s").openapi({
    description:
      "Seconds the run may work in all; time spent PAUSED does not count",
  }),
}).openapi("ResumeLimits");

/** The JSON body, `{}` when empty; 415/400/422 naming what is wrong. */
export async function readResumeBody(c: Context): Promise<ResumeLimits> {
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.length === 0) return {};
  acceptedMediaType(c.req.header("content-type"), ["application/json"]);
  return parseResumeLimits(parseJsonBody(bytes));
}

/** Validates resume limits from any source (JSON, the dashboard's form). */
export function parseResumeLimits(input: unknown): ResumeLimits {
  const parsed = ResumeBodySchema.safeParse(input);
  if (!parsed.success) {
    throw new ValidationError(toFieldIssues(parsed.error.issues));
  }
  return parsed.data;
}

/** The resume route. */
export function resumeRoutes(deps: AppDeps): OpenAPIHono {
  const app = new OpenAPIHono();
  const auth = guarded(deps.config.apiToken);
  const body = limitBody(
    MAX_BODY,
    new BodyBudget(BODIES_IN_FLIGHT * MAX_BODY),
  );
  app.openAPIRegistry.registerPath(createRoute({
    method: "post",
    path: "/runs/{id}/resume",
    operationId: "resumeRun",
    tags: ["runs"],
    summary:
      "Resume a PAUSED run (on_budget: pause) with raised limits; it goes on from the step it paused at",
    security: auth.security,
    request: {
      params: RunIdParam,
      body: {
        content: { "application/json": { schema: ResumeBodySchema } },
        required: false,
      },
    },
    responses: {
      200: json(RunSchema, "The run, RUNNING again"),
      202: json(RunSchema, "Resume accepted, not yet applied"),
      409: json(ErrorSchema, "The run is not PAUSED"),
      ...errorResponses,
    },
  }));
  app.post(
    "/runs/:id/resume",
    every(...auth.middleware, checkKeyParams, body),
    async (c) => {
      const id = c.req.param("id");
      const limits = await readResumeBody(c);
      const { run, done } = await deps.runs.resume(id, limits);
      return c.json(run, done ? 200 : 202);
    },
  );
  return app;
}
