/** OpenAPI schemas of the API's bodies. */
import { z } from "@hono/zod-openapi";

/** The error body every failure uses. */
export const ErrorSchema = z.object({
  error: z.object({
    code: z.string().openapi({ example: "not_found" }),
    message: z.string().openapi({ example: "Run '0193…' not found" }),
    details: z.unknown().optional(),
  }),
}).openapi("Error");

/** A run record. */
export const RunSchema = z.object({
  id: z.string().openapi({ example: "01936f4e-8a1b-7c3d-9e2f-123456789abc" }),
  status: z.enum(["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"]),
  title: z.string().nullable(),
  repo: z.string(),
  clone_branch: z.string(),
  push_branch: z.string().nullable(),
  iteration: z.number().int(),
  max_iterations: z.number().int(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  result_summary: z.string().nullable(),
  error: z.string().nullable(),
  usage: z.object({
    prompt_tokens: z.number(),
    completion_tokens: z.number(),
    total_tokens: z.number(),
    cost_usd: z.number(),
  }),
  work_order_md: z.string(),
}).openapi("Run");

/** A page of runs. */
export const RunListSchema = z.object({
  runs: z.array(RunSchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
}).openapi("RunList");

/** One event of a run's log. */
export const RunEventSchema = z.object({
  seq: z.string(),
  ts: z.string(),
  level: z.enum(["DEBUG", "INFO", "WARN", "ERROR"]),
  kind: z.string().openapi({ example: "PO_RESULT" }),
  iteration: z.number().int().nullable(),
  payload: z.record(z.string(), z.unknown()),
}).openapi("RunEvent");

/** Metadata of an artifact. */
export const ArtifactSchema = z.object({
  name: z.string().openapi({ example: "summary.json" }),
  content_type: z.string(),
  bytes: z.number().int(),
  created_at: z.string(),
}).openapi("Artifact");

/** JSON submit body: a whole work order, or its fields plus `task`. */
export const SubmitJsonSchema = z.union([
  z.object({ work_order_md: z.string() }).openapi("WorkOrderMarkdown"),
  z.object({
    repo: z.string(),
    task: z.string(),
    clone_branch: z.string().optional(),
    push_branch: z.string().optional(),
    allow_push_to_clone_branch: z.boolean().optional(),
    max_iterations: z.number().int().min(1).max(20).optional(),
    title: z.string().optional(),
    acceptance_commands: z.array(z.string()).optional(),
    allowed_paths: z.array(z.string()).optional(),
    forbidden_paths: z.array(z.string()).optional(),
    context_files: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()).optional(),
  }).passthrough().openapi("WorkOrderFields"),
]);

/** A run id path parameter. */
export const RunIdParam = z.object({
  id: z.string().min(1).openapi({ param: { name: "id", in: "path" } }),
});

/** Responses every route can give. */
export const errorResponses = {
  400: {
    description: "Bad request",
    content: { "application/json": { schema: ErrorSchema } },
  },
  401: {
    description: "Missing or wrong bearer token",
    content: { "application/json": { schema: ErrorSchema } },
  },
  404: {
    description: "Not found",
    content: { "application/json": { schema: ErrorSchema } },
  },
} as const;
