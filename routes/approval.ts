/** POST /runs/{id}/approve and /runs/{id}/reject: the decision on a run in AWAITING_APPROVAL. */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { every } from "hono/combine";
import type { Context } from "hono";
import { ValidationError } from "../lib/errors.ts";
import type { AppDeps } from "./deps.ts";
import { parseJsonBody } from "./json_body.ts";
import { guarded } from "./middleware/auth.ts";
import { limitBody } from "./middleware/body_limit.ts";
import { acceptedMediaType } from "./middleware/content_type.ts";
import { checkKeyParams } from "./middleware/params.ts";
import { toFieldIssues } from "../lib/work_order/mod.ts";
import {
  errorResponses,
  ErrorSchema,
  json,
  RunIdParam,
  RunSchema,
} from "./schemas.ts";

/** Longest accepted comment (it lands in an event and, on reject, the summary). */
export const MAX_COMMENT = 10_000;

const MAX_BODY = 64 * 1024;

/** The body both routes take; empty means `{}`. */
export const DecisionBodySchema = z.strictObject({
  comment: z.string().max(MAX_COMMENT).optional().openapi({
    description: "Why; kept in the run's RUN_APPROVED / RUN_REJECTED event",
  }),
}).openapi("Decision");

/** What the routes answer: the run, plus the follow-up a commented rejection started. */
export const DecisionResultSchema = RunSchema.extend({
  follow_up_run_id: z.string().optional().openapi({
    description:
      "A rejection with a comment starts a follow-up run with the comment as its feedback",
  }),
}).openapi("DecisionResult");

/** The optional JSON body: none, or `{ comment? }`; 415/400/422 naming what is wrong. */
async function readDecision(c: Context): Promise<string | null> {
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.length === 0) return null;
  acceptedMediaType(c.req.header("content-type"), ["application/json"]);
  const parsed = DecisionBodySchema.safeParse(parseJsonBody(bytes));
  if (!parsed.success) {
    throw new ValidationError(toFieldIssues(parsed.error.issues));
  }
  return parsed.data.comment?.trim() || null;
}

/** The approve and reject routes. */
export function approvalRoutes(deps: AppDeps): OpenAPIHono {
  const app = new OpenAPIHono();
  const auth = guarded(deps.config.apiToken);
  const body = limitBody(MAX_BODY);
  for (const action of ["approve", "reject"] as const) {
    const path = `/runs/{id}/${action}`;
    app.openAPIRegistry.registerPath(createRoute({
      method: "post",
      path,
      operationId: `${action}Run`,
      tags: ["runs"],
      summary: action === "approve"
        ? "Approve a run in AWAITING_APPROVAL: push its commit (and open its pull request); it ends SUCCEEDED"
        : "Reject a run in AWAITING_APPROVAL: nothing is pushed; it ends REJECTED",
      security: auth.security,
      request: {
        params: RunIdParam,
        body: {
          content: { "application/json": { schema: DecisionBodySchema } },
          required: false,
        },
      },
      responses: {
        200: json(
          DecisionResultSchema,
          "The run, after the decision took effect (a rejection with a comment: with the id of its follow-up run)",
        ),
        202: json(RunSchema, "Decision accepted, not yet applied"),
        409: json(ErrorSchema, "The run is not AWAITING_APPROVAL"),
        ...errorResponses,
      },
    }));
    app.post(
      `/runs/:id/${action}`,
      every(...auth.middleware, checkKeyParams, body),
      async (c) => {
        const id = c.req.param("id");
        const comment = await readDecision(c);
        const { run, done, followUp } = await deps.runs.decide(id, {
          action,
          comment,
        });
        return c.json(
          followUp ? { ...run, follow_up_run_id: followUp.id } : run,
          done ? 200 : 202,
        );
      },
    );
  }
  return app;
}
