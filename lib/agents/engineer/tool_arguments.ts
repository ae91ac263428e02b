/**
 * A tool call's arguments as the model sent them, checked against the tool's
 * zod schema, with messages that tell the model exactly what to fix.
 */
import { z } from "zod";

/** Parses a tool call's raw JSON arguments and checks them against `schema`; the problem as text when unusable. */
export function checkArguments(
  name: string,
  schema: z.ZodObject,
  raw: string,
): Record<string, unknown> | string {
  let parsed: unknown;
  try {
    parsed = raw.trim() === "" ? {} : JSON.parse(raw);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return `arguments for ${name} are not valid JSON: ${reason}`;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return `arguments for ${name} must be a JSON object`;
  }
  const checked = schema.safeParse(lenient(schema, parsed), {
    reportInput: true,
  });
  if (checked.success) return checked.data as Record<string, unknown>;
  return `arguments for ${name}${describeIssue(checked.error.issues[0])}`;
}

/**
 * Models often send `null` for an omitted optional argument and numbers or
 * booleans as strings; those mean what they say, so they are accepted.
 */
function lenient(schema: z.ZodObject, args: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    const field = schema.shape[key] as z.ZodType | undefined;
    if (!field) continue;
    if (value === null && field.safeParse(undefined).success) continue;
    const inner = field instanceof z.ZodOptional ? field.unwrap() : field;
    const type = inner instanceof z.ZodNumber
      ? "number"
      : inner instanceof z.ZodBoolean
      ? "boolean"
      : "other";
    if (
      typeof value === "string" && type === "number" &&
      /^\s*\d+\s*$/.test(value)
    ) {
      out[key] = Number(value);
    } else if (type === "boolean" && (value === "true" || value === "false")) {
      out[key] = value === "true";
    } else out[key] = value;
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return " are invalid";
  const key = issue.path.map(String).join(".");
  const input = (issue as { input?: unknown }).input;
  if (issue.code === "invalid_type") {
    if (input === undefined) return ` are missing '${key}'`;
    const got = input === null ? "null" : typeof input;
    const want = issue.expected === "int"
      ? "an integer"
      : `a ${issue.expected}`;
    return `: '${key}' must be ${
      want === "a number" ? "an integer" : want
    }, got ${got}`;
  }
  if (issue.code === "too_small" || issue.code === "too_big") {
    const bound = issue.code === "too_small"
      ? `at least ${issue.minimum}`
      : `at most ${(issue as z.core.$ZodIssueTooBig).maximum}`;
    return `: '${key}' must be ${bound}, got ${String(input)}`;
  }
  return `: '${key}' ${issue.message}`;
}
