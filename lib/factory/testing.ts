/**
 * Test helpers for the factory's shapes: a value of any schema with `text`
 * in every string it can hold, so a test can prove a property (redaction)
 * over every field of every event and artifact kind without listing them.
 */
import { z } from "zod";
import {
  ARTIFACT,
  type Artifact,
  type ArtifactKind,
  type ArtifactValue,
} from "./artifacts.ts";

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  prefixItems?: JsonSchema[];
  minimum?: number;
};

/**
 * A value `schema` accepts with `text` in every string field, every
 * optional field present, one item in every array, and an extra field in
 * every object that takes one (a field a newer writer adds).
 */
export function sampleOf<S extends z.ZodType>(
  schema: S,
  text: string,
): z.input<S> {
  const json = z.toJSONSchema(schema, {
    io: "input",
    unrepresentable: "any",
  }) as JsonSchema;
  const value = fill(json, text) as z.input<S>;
  // The sample must be one the schema takes, or the test proves nothing.
  schema.parse(value);
  return value;
}

function fill(schema: JsonSchema, text: string): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  const options = schema.anyOf ?? schema.oneOf;
  if (options) {
    // The richest option: an object or string over null.
    const pick = options.find((o) => o.type === "object") ??
      options.find((o) => o.type === "string") ??
      options.find((o) => o.type !== "null") ?? options[0]!;
    return fill(pick, text);
  }
  if (schema.allOf) return fill(Object.assign({}, ...schema.allOf), text);
  const type = Array.isArray(schema.type)
    ? schema.type.find((t) => t !== "null")
    : schema.type;
  switch (type) {
    case "string":
      return text;
    case "number":
    case "integer":
      return Math.max(1, schema.minimum ?? 1);
    case "boolean":
      return true;
    case "null":
      return null;
    case "array":
      return schema.prefixItems
        ? schema.prefixItems.map((item) => fill(item, text))
        : [fill(schema.items ?? {}, text)];
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(schema.properties ?? {})) {
        out[key] = fill(field, text);
      }
      const extra = schema.additionalProperties;
      if (extra !== false && extra !== undefined) {
        out.added_by_a_newer_writer = fill(extra === true ? {} : extra, text);
      } else if (schema.properties === undefined && extra === undefined) {
        out.key = text;
      }
      return out;
    }
    default:
      // Anything (z.unknown()): a string, the likeliest carrier of a secret.
      return text;
  }
}

/** One artifact of each kind (iteration 1, the SE's where an agent is named). */
export const ONE_OF_EACH: { [K in ArtifactKind]: Artifact<ArtifactValue<K>> } =
  {
    se_packet: ARTIFACT.sePacket(1),
    se_packet_attempt: ARTIFACT.sePacket(1, 2),
    tool_report: ARTIFACT.toolReport(1),
    tool_report_attempt: ARTIFACT.toolReport(1, 2),
    po_report: ARTIFACT.poReport(1),
    llm: ARTIFACT.llm(1, "se"),
    llm_attempt: ARTIFACT.llm(1, "se", 2),
    setup_report: ARTIFACT.setupReport,
    summary: ARTIFACT.summary,
    instructions: ARTIFACT.instructions,
    diff: ARTIFACT.diff,
  };
