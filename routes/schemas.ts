/** OpenAPI schemas of the API's bodies. */
import { z } from "@hono/zod-openapi";
import {
  artifactMetaSchema,
  runEventSchema,
  runRecordSchema,
} from "../lib/store/types.ts";

/** The error body every failure uses. */
export const ErrorSchema = z.object({
  error: z.object({
    code: z.string().openapi({ example: "not_found" }),
    message: z.string().openapi({ example: "Run '0193…' not found" }),
    details: z.unknown().optional(),
  }),
}).openapi("Error");

/**
 * A run record: the store's one schema of it. (Fields with examples are
 * rebuilt here: zod v4 gives `.openapi()` only to schemas made after
 * @hono/zod-openapi loads.)
 */
export const RunSchema = runRecordSchema.extend({
  id: z.string().openapi({
    example: "01936f4e-8a1b-7c3d-9e2f-123456789abc",
  }),
}).openapi("Run");

/** A page of runs. */
export const RunListSchema = z.object({
  runs: z.array(RunSchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
}).openapi("RunList");

/** One event of a run's log. */
export const RunEventSchema = runEventSchema.extend({
  kind: z.string().openapi({ example: "PO_RESULT" }),
}).openapi("RunEvent");

/** Metadata of an artifact. */
export const ArtifactSchema = artifactMetaSchema.extend({
  name: z.string().openapi({ example: "summary.json" }),
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
    pull_request: z.union([
      z.boolean(),
      z.object({
        title: z.string(),
        body: z.string(),
        draft: z.boolean(),
        base: z.string(),
      }).partial(),
    ]).optional(),
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
