/** OpenAPI schemas of the API's bodies. */
import { z } from "@hono/zod-openapi";
import {
  artifactMetaSchema,
  runEventSchema,
  runRecordSchema,
} from "../lib/store/mod.ts";
import * as zod from "zod";
import {
  EVENTS,
  isEventKind,
  runEventSchema as typedRunEventSchema,
} from "../lib/factory/mod.ts";
import { workOrderFieldsSchema } from "../lib/work_order/mod.ts";
import { MAX_RUN_ID } from "./middleware/params.ts";

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
  kind: z.string().openapi({
    example: "PO_RESULT",
    description:
      "The event's kind; `RunEventByKind` gives each kind's payload (lib/factory/events.ts)",
  }),
}).openapi("RunEvent");

/**
 * The JSON schema of every event kind with its payload: the discriminated
 * union of lib/factory/events.ts, one `oneOf` member per kind, each with
 * what the kind says. Payloads may carry more fields than listed.
 */
export function runEventByKindJsonSchema(): Record<string, unknown> {
  const { $schema: _, ...schema } = zod.toJSONSchema(typedRunEventSchema, {
    io: "output",
    unrepresentable: "any",
  }) as Record<string, unknown>;
  const members = (schema.oneOf ?? schema.anyOf) as
    | { properties?: { kind?: { const?: string } } }[]
    | undefined;
  for (const member of members ?? []) {
    const kind = member.properties?.kind?.const;
    if (kind !== undefined && isEventKind(kind)) {
      Object.assign(member, { description: EVENTS[kind].about });
    }
  }
  return {
    ...schema,
    description:
      "A run event, by kind: each kind's payload. A kind not listed here comes from a newer server.",
  };
}

/** Metadata of an artifact. */
export const ArtifactSchema = artifactMetaSchema.extend({
  name: z.string().openapi({ example: "summary.json" }),
}).openapi("Artifact");

/**
 * The JSON schema of a JSON submission's fields, derived from the one zod
 * schema the validator uses (lib/work_order/schema.ts), so the document
 * lists every field and limit the server takes and refuses unknown ones.
 */
export function workOrderFieldsJsonSchema(): Record<string, unknown> {
  const { $schema: _, ...schema } = zod.toJSONSchema(workOrderFieldsSchema, {
    io: "input",
    unrepresentable: "any",
  }) as Record<string, unknown>;
  return {
    ...schema,
    description:
      "Work order fields as in the frontmatter, plus `task` (the markdown body)",
  };
}

/** `{ work_order_md }`: a whole work order file as text. */
export const WorkOrderMarkdownSchema = z.strictObject({
  work_order_md: z.string().openapi({
    description: "The work order file: YAML frontmatter and markdown task",
  }),
}).openapi("WorkOrderMarkdown");

/** A run id path parameter. */
export const RunIdParam = z.object({
  id: z.string().min(1).max(MAX_RUN_ID).openapi({
    param: { name: "id", in: "path" },
    example: "01936f4e-8a1b-7c3d-9e2f-123456789abc",
  }),
});

/** A JSON response of `schema`. */
export const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/** Responses every route with parameters can give. */
export const errorResponses = {
  400: json(ErrorSchema, "Bad request: a parameter breaks a rule"),
  401: json(ErrorSchema, "Missing or wrong bearer token"),
  404: json(ErrorSchema, "Not found"),
} as const;
