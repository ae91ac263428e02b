/** Run submission, listing, lookup and cancellation. */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppDeps } from "./mod.ts";
import { HttpError } from "./errors.ts";
import {
  errorResponses,
  ErrorSchema,
  RunIdParam,
  RunListSchema,
  RunSchema,
  SubmitJsonSchema,
} from "./schemas.ts";

const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const submitErrors = {
  ...errorResponses,
  413: json(ErrorSchema, "Body over the size limit"),
  415: json(ErrorSchema, "Wrong content type"),
  422: json(
    ErrorSchema,
    "Invalid work order; details name each field and rule",
  ),
};
const IdempotencyHeader = z.object({
  "idempotency-key": z.string().optional().openapi({
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
const JSON_HEADERS = { "content-type": "application/json" };

/** True for `consistency=strong`; 400 for anything but strong or eventual. */
function strongRead(consistency: string | undefined): boolean {
  if (consistency === undefined || consistency === "eventual") return false;
  if (consistency === "strong") return true;
  const message = "Must be 'strong' or 'eventual'";
  throw new HttpError(
    400,
    "bad_request",
    `Invalid query: consistency: ${message}`,
    [{ field: "consistency", message }],
  );
}

function requireType(
  contentType: string | undefined,
  accepted: string[],
): void {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (!accepted.includes(type)) {
    throw new HttpError(
      415,
      "unsupported_media_type",
      `Content-Type '${type || "(none)"}' is not accepted; use ${
        accepted.join(" or ")
      }`,
    );
  }
}

/** Registers the /runs routes. */
export function runRoutes(app: OpenAPIHono, deps: AppDeps): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/runs",
      tags: ["runs"],
      summary:
        "Create a run from JSON: work order fields plus `task`, or `work_order_md`",
      request: {
        headers: IdempotencyHeader,
        body: {
          content: { "application/json": { schema: SubmitJsonSchema } },
          required: true,
        },
      },
      responses: {
        201: json(RunSchema, "Run created"),
        200: json(RunSchema, "Existing run for a repeated Idempotency-Key"),
        ...submitErrors,
      },
    }),
    async (c) => {
      const body = c.req.valid("json") as Record<string, unknown>;
      const key = c.req.header("idempotency-key");
      const input =
        typeof body.work_order_md === "string" && Object.keys(body).length === 1
          ? { workOrderMd: body.work_order_md }
          : { fields: body };
      const { run, created } = await deps.runs.submit(
        input,
        key ? { idempotencyKey: key } : {},
      );
      return c.json(run, created ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/runs/submit",
      tags: ["runs"],
      summary:
        "Create a run from a form upload: field `work_order_md` (file or text)",
      request: {
        headers: IdempotencyHeader,
        body: {
          content: {
            "multipart/form-data": {
              schema: z.object({
                work_order_md: z.string().openapi({ format: "binary" }),
              }),
            },
            "application/x-www-form-urlencoded": {
              schema: z.object({ work_order_md: z.string() }),
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
    }),
    async (c) => {
      const form = await c.req.parseBody();
      const field = form["work_order_md"];
      let workOrderMd: string;
      if (typeof field === "string") workOrderMd = field;
      else if (field instanceof File) {
        try {
          workOrderMd = new TextDecoder("utf-8", { fatal: true }).decode(
            await field.arrayBuffer(),
          );
        } catch {
          throw new HttpError(
            422,
            "validation_failed",
            "work_order_md: File is not valid UTF-8",
            [
              { field: "work_order_md", message: "File is not valid UTF-8" },
            ],
          );
        }
      } else {
        throw new HttpError(
          422,
          "validation_failed",
          "work_order_md: Field is required",
          [
            {
              field: "work_order_md",
              message: "Field is required (file or text)",
            },
          ],
        );
      }
      const key = c.req.header("idempotency-key");
      const { run, created } = await deps.runs.submit(
        { workOrderMd },
        key ? { idempotencyKey: key } : {},
      );
      return c.json(run, created ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/runs",
      tags: ["runs"],
      summary: "List runs, newest first",
      request: {
        query: z.object({
          limit: z.coerce.number().int().min(1).max(200).default(20),
          offset: z.coerce.number().int().min(0).default(0),
          status: z.enum([
            "PENDING",
            "RUNNING",
            "SUCCEEDED",
            "FAILED",
            "CANCELLED",
          ]).optional(),
        }),
      },
      responses: {
        200: json(RunListSchema, "A page of runs"),
        ...errorResponses,
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
  // without the per-request schema validator (a path segment is never empty;
  // the one query parameter is checked by hand, and request headers are not
  // read: materializing them costs more than the rest of the route) from the
  // store's view, whose JSON is serialized once per version.
  app.openAPIRegistry.registerPath(createRoute({
    method: "get",
    path: "/runs/{id}",
    tags: ["runs"],
    summary: "Get a run",
    description:
      "A live run may be answered from memory: writes made through this process show at once, " +
      "writes of other processes sharing the KV within AOS_RUN_CACHE_MS. " +
      "`?consistency=strong` reads KV.",
    request: { params: RunIdParam, query: ConsistencyQuery },
    responses: { 200: json(RunSchema, "The run"), ...errorResponses },
  }));
  // (A run held in memory is usually answered before Hono: fast_path.ts.)
  app.get("/runs/:id", async (c) => {
    const fresh = strongRead(c.req.query("consistency"));
    const view = await deps.store.getRunView(c.req.param("id"), { fresh });
    return c.body(view.json, 200, JSON_HEADERS);
  });

  app.openapi(
    createRoute({
      method: "post",
      path: "/runs/{id}/cancel",
      tags: ["runs"],
      summary:
        "Cancel a run (idempotent); aborts the model call or command in flight",
      request: { params: RunIdParam },
      responses: {
        200: json(RunSchema, "The run, cancelled"),
        202: json(RunSchema, "Cancel accepted, not yet applied"),
        409: json(ErrorSchema, "The run already succeeded or failed"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { run, done } = await deps.runs.cancel(c.req.valid("param").id);
      return c.json(run, done ? 200 : 202);
    },
  );
}

export { requireType };
