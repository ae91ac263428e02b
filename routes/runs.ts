/** Run submission, listing, lookup and cancellation: the /runs sub-app. */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { every } from "hono/combine";
import type { AppDeps } from "./deps.ts";
import { runStatusSchema } from "../lib/store/mod.ts";
import {
  FORM_TYPES,
  jsonSubmitInput,
  readJsonObject,
  readWorkOrderForm,
} from "./bodies.ts";
import { badRequest } from "./errors.ts";
import { ValidationError } from "../lib/errors.ts";
import { MAX_FEEDBACK_CHARS } from "../actors/run/follow_up.ts";
import { guarded } from "./middleware/auth.ts";
import { limitBody } from "./middleware/body_limit.ts";
import { requireContentType } from "./middleware/content_type.ts";
import { checkKeyParams } from "./middleware/params.ts";
import {
  errorResponses,
  ErrorSchema,
  json,
  RunIdParam,
  RunListSchema,
  RunSchema,
  WorkOrderMarkdownSchema,
} from "./schemas.ts";

const submitErrors = {
  400: json(ErrorSchema, "Malformed body (not JSON, broken multipart)"),
  401: errorResponses[401],
  413: json(ErrorSchema, "Body over the size limit"),
  415: json(ErrorSchema, "Wrong or malformed Content-Type"),
  422: json(
    ErrorSchema,
    "Invalid work order; details name each field and rule",
  ),
};
/** Longest accepted Idempotency-Key (it becomes part of a KV key). */
const MAX_IDEMPOTENCY_KEY = 200;
const IdempotencyHeader = z.object({
  "idempotency-key": z.string().min(1).max(MAX_IDEMPOTENCY_KEY).optional()
    .openapi({
      param: { name: "idempotency-key", in: "header" },
      description: "Repeating a submit with the same key returns the same run",
    }),
});

const ConsistencyQuery = z.object({
  consistency: z.enum(["strong", "eventual"]).optional().openapi({
    description:
      "`strong` reads the run from KV. Default `eventual`: a live run may come " +
      "from memory, never behind this process's own writes and at most " +
      "AOS_RUN_CACHE_MS behind other processes' (the words of Deno KV's own reads)",
  }),
});
/** Body of POST /runs/{id}/revise. */
const ReviseSchema = z.strictObject({
  feedback: z.string().trim().min(1, "Must say what to change")
    .max(MAX_FEEDBACK_CHARS).openapi({
      description: "What the follow-up should change (given to its SE)",
    }),
  max_iterations: z.number().int().min(1).max(20).optional().openapi({
    description: "The follow-up's max_iterations (default: the parent's)",
  }),
}).openapi("ReviseRequest");
const JSON_HEADERS = { "content-type": "application/json" };

/** True for `consistency=strong`; 400 for anything but strong or eventual. */
function strongRead(consistency: string | undefined): boolean {
  if (consistency === undefined || consistency === "eventual") return false;
  if (consistency === "strong") return true;
  throw badRequest("consistency", "Must be 'strong' or 'eventual'");
}

/** The /runs routes. */
export function runRoutes(deps: AppDeps): OpenAPIHono {
  const app = new OpenAPIHono();
  const auth = guarded(deps.config.apiToken);
  const body = limitBody(deps.config.maxBodyBytes);

  // Submit bodies are read and validated by hand (bodies.ts, then the work
  // order validator), not by the route helper's validators: those decode form
  // fields lossily and would answer in a second, different set of messages.
  app.openAPIRegistry.registerPath(createRoute({
    method: "post",
    path: "/runs",
    operationId: "createRun",
    tags: ["runs"],
    summary:
      "Create a run from JSON: work order fields plus `task`, or `work_order_md`",
    security: auth.security,
    request: {
      headers: IdempotencyHeader,
      body: {
        content: {
          "application/json": {
            schema: {
              oneOf: [
                { $ref: "#/components/schemas/WorkOrderMarkdown" },
                { $ref: "#/components/schemas/WorkOrderFields" },
              ],
            },
          },
        },
        required: true,
      },
    },
    responses: {
      201: json(RunSchema, "Run created"),
      200: json(RunSchema, "Existing run for a repeated Idempotency-Key"),
      ...submitErrors,
    },
  }));
  app.openAPIRegistry.register("WorkOrderMarkdown", WorkOrderMarkdownSchema);
  app.post(
    "/runs",
    every(...auth.middleware, requireContentType(["application/json"]), body),
    async (c) => {
      const input = jsonSubmitInput(await readJsonObject(c));
      const { run, created } = await deps.runs.submit(input, idempotency(c));
      return c.json(run, created ? 201 : 200);
    },
  );

  app.openAPIRegistry.registerPath(createRoute({
    method: "post",
    path: "/runs/submit",
    operationId: "uploadRun",
    tags: ["runs"],
    summary:
      "Create a run from a form upload: field `work_order_md` (file or text)",
    security: auth.security,
    request: {
      headers: IdempotencyHeader,
      body: {
        content: {
          "multipart/form-data": {
            schema: z.strictObject({
              work_order_md: z.string().openapi({
                format: "binary",
                description: "The work order file (UTF-8), as a file or text",
              }),
            }),
          },
          "application/x-www-form-urlencoded": {
            schema: z.strictObject({ work_order_md: z.string() }),
          },
        },
        required: true,
      },
    },
    responses: {
      201: json(RunSchema, "Run created"),
      200: json(RunSchema, "Existing run for a repeated Idempotency-Key"),
      ...submitErrors,
    },
  }));
  app.post(
    "/runs/submit",
    every(...auth.middleware, requireContentType(FORM_TYPES), body),
    async (c) => {
      const input = await readWorkOrderForm(c);
      const { run, created } = await deps.runs.submit(input, idempotency(c));
      return c.json(run, created ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/runs",
      operationId: "listRuns",
      tags: ["runs"],
      summary: "List runs, newest first",
      ...auth,
      request: {
        query: z.object({
          limit: z.coerce.number().int().min(1).max(200).default(20)
            .openapi({ type: "integer" }),
          offset: z.coerce.number().int().min(0).default(0)
            .openapi({ type: "integer" }),
          status: runStatusSchema.optional(),
        }),
      },
      responses: {
        200: json(RunListSchema, "A page of runs"),
        400: errorResponses[400],
        401: errorResponses[401],
      },
    }),
    async (c) => {
      const { limit, offset, status } = c.req.valid("query");
      const page = await deps.store.listRuns({
        limit,
        offset,
        ...(status ? { status } : {}),
      });
      return c.json({ runs: page.runs, total: page.total, limit, offset }, 200);
    },
  );

  // The hottest route (clients poll it): documented like the others, served
  // without the per-request schema validator (the one query parameter is
  // checked by hand, and request headers are not read: materializing them
  // costs more than the rest of the route) from the store's view, whose JSON
  // is serialized once per version.
  app.openAPIRegistry.registerPath(createRoute({
    method: "get",
    path: "/runs/{id}",
    operationId: "getRun",
    tags: ["runs"],
    summary: "Get a run",
    description:
      "A live run may be answered from memory: writes made through this process show at once, " +
      "writes of other processes sharing the KV within AOS_RUN_CACHE_MS. " +
      "`?consistency=strong` reads KV.",
    security: auth.security,
    request: { params: RunIdParam, query: ConsistencyQuery },
    responses: { 200: json(RunSchema, "The run"), ...errorResponses },
  }));
  // (A run held in memory is usually answered before Hono: fast_path.ts.)
  app.get("/runs/:id", every(...auth.middleware, checkKeyParams), async (c) => {
    const fresh = strongRead(c.req.query("consistency"));
    const view = await deps.store.getRunView(c.req.param("id")!, { fresh });
    return c.body(view.json, 200, JSON_HEADERS);
  });

  // Read by hand like a submit, so a bad body is a 422 naming the field.
  app.openAPIRegistry.registerPath(createRoute({
    method: "post",
    path: "/runs/{id}/revise",
    operationId: "reviseRun",
    tags: ["runs"],
    summary:
      "Start a follow-up of a finished run: cloned from its result, pushing to the same branch and pull request",
    security: auth.security,
    request: {
      params: RunIdParam,
      headers: IdempotencyHeader,
      body: {
        content: { "application/json": { schema: ReviseSchema } },
        required: true,
      },
    },
    responses: {
      201: json(RunSchema, "The follow-up run (its parent_run_id is this run)"),
      200: json(RunSchema, "Existing run for a repeated Idempotency-Key"),
      409: json(ErrorSchema, "The run has not ended yet"),
      ...errorResponses,
      ...submitErrors,
    },
  }));
  app.post(
    "/runs/:id/revise",
    every(
      ...auth.middleware,
      checkKeyParams,
      requireContentType(["application/json"]),
      body,
    ),
    async (c) => {
      const parsed = ReviseSchema.safeParse(await readJsonObject(c));
      if (!parsed.success) {
        throw new ValidationError(parsed.error.issues.map((issue) => ({
          field: issue.path.join(".") || "body",
          message: issue.message,
        })));
      }
      const { run, created } = await deps.runs.startFollowUp(
        c.req.param("id")!,
        {
          feedback: parsed.data.feedback,
          ...(parsed.data.max_iterations === undefined
            ? {}
            : { maxIterations: parsed.data.max_iterations }),
        },
        idempotency(c),
      );
      return c.json(run, created ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/runs/{id}/cancel",
      operationId: "cancelRun",
      tags: ["runs"],
      summary:
        "Cancel a run (idempotent); aborts the model call or command in flight",
      ...auth,
      middleware: [...auth.middleware, checkKeyParams],
      request: { params: RunIdParam },
      responses: {
        200: json(RunSchema, "The run, cancelled"),
        202: json(RunSchema, "Cancel accepted, not yet applied"),
        409: json(ErrorSchema, "The run already ended (not CANCELLED)"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { run, done } = await deps.runs.cancel(c.req.valid("param").id);
      return c.json(run, done ? 200 : 202);
    },
  );
  return app;
}

/** The Idempotency-Key of a submit, bounded (it becomes part of a KV key). */
function idempotency(
  c: { req: { header(name: string): string | undefined } },
): { idempotencyKey?: string } {
  const key = c.req.header("idempotency-key");
  if (key === undefined || key === "") return {};
  if (key.length > MAX_IDEMPOTENCY_KEY) {
    throw badRequest(
      "idempotency-key",
      `Must be at most ${MAX_IDEMPOTENCY_KEY} characters, got ${key.length}`,
    );
  }
  return { idempotencyKey: key };
}
