/**
 * The zod schema of work order fields (DESIGN §6) and the translation of zod
 * issues into FieldIssues that name the field and the rule.
 */
import { z } from "zod";
import type { FieldIssue } from "../errors.ts";
import { PUSH_MODES } from "../git/mod.ts";
import { hostPatternProblem } from "../egress/mod.ts";
import {
  envNameProblem,
  globProblem,
  modelNameProblem,
  pushBranchProblem,
  quote,
  refNameProblem,
  relativePathProblem,
  repoProblem,
} from "./rules.ts";
import { mcpServersSchema } from "./mcp_servers.ts";

/** Integer fields with their inclusive ranges and defaults. */
export const INTEGER_FIELDS = {
  max_iterations: { min: 1, max: 20, default: 5 },
  max_tool_steps: { min: 1, max: 200, default: 40 },
  max_total_tokens: { min: 1, max: 100_000_000, default: 400_000 },
  max_wall_time_s: { min: 1, max: 86_400, default: 1_800 },
  command_timeout_s: { min: 1, max: 3_600, default: 300 },
  setup_timeout_s: { min: 1, max: 7_200, default: 900 },
  max_se_commands: { min: 1, max: 1_000, default: 30 },
  se_command_seconds: { min: 1, max: 86_400, default: 900 },
  attempts: { min: 1, max: 4, default: 1 },
} as const;

type IntegerField = keyof typeof INTEGER_FIELDS;

function integer(field: IntegerField) {
  const { min, max } = INTEGER_FIELDS[field];
  return z.number().int().min(min).max(max).default(
    INTEGER_FIELDS[field].default,
  );
}

function rule(problem: (value: string) => string | null) {
  return (value: string, ctx: z.RefinementCtx) => {
    const message = problem(value);
    if (message !== null) {
      ctx.addIssue({ code: "custom", message, input: value });
    }
  };
}

const networkHostProblem = (host: string) => hostPatternProblem(host);
const ref = z.string().superRefine(rule(refNameProblem));
const glob = z.string().superRefine(rule(globProblem));
const noNul = (value: string) =>
  value.includes("\0") ? "Must not contain NUL characters" : null;

/** A model name as OpenAI-compatible servers spell them (`gpt-4.1`, `qwen2.5-coder:1.5b`, `org/model`). */
const modelName = z.string().superRefine(rule(modelNameProblem)).nullable()
  .default(null);

/** `pull_request` as a mapping; `true` means `{}`, `false` means none. */
const pullRequest = z.strictObject({
  title: z.string().trim().min(1).max(256).superRefine(rule(noNul)).optional(),
  body: z.string().max(20_000).superRefine(rule(noNul)).optional(),
  draft: z.boolean().optional(),
  base: ref.optional(),
});

/** The dollar budget (priced usage); also what POST /runs/{id}/resume accepts. */
export const maxCostUsd = z.number().gt(0).max(1_000_000);

/** Every accepted field of a work order, including `task` (the markdown body). */
export const workOrderFieldsSchema = z.strictObject({
  repo: z.string().superRefine(rule(repoProblem)),
  clone_branch: ref.default("main"),
  push_branch: z.string().superRefine(rule(pushBranchProblem)).nullable()
    .default(null),
  allow_push_to_clone_branch: z.boolean().default(false),
  // What an existing push_branch means; checked before the first model call (lib/git/push_target.ts).
  push_mode: z.enum(PUSH_MODES).default("update"),
  max_iterations: integer("max_iterations"),
  title: z.string().max(200).superRefine(rule(noNul)).nullable().default(null),
  acceptance_commands: z.array(
    z.string().min(1).max(10_000).superRefine(rule(noNul)),
  ).max(50)
    .default([]),
  allowed_paths: z.array(glob).max(200).default([]),
  forbidden_paths: z.array(glob).max(200).default([]),
  context_files: z.array(z.string().superRefine(rule(relativePathProblem))).max(
    100,
  ).default([]),
  // Null: AGENTS.md, else CLAUDE.md, else .github/copilot-instructions.md
  // (lib/agents/instructions.ts); false: none.
  instructions_files: z.union([
    z.literal(false),
    z.array(z.string().superRefine(rule(relativePathProblem))).min(
      1,
      "Must name at least one file (false gives none)",
    ).max(10),
  ]).nullable().default(null),
  // Variable names are checked in crossFieldIssues (work_order.ts) so they are
  // reported even when a value has the wrong type.
  env: z.record(z.string(), z.string().max(32_768).superRefine(rule(noNul)))
    .refine(
      (env) => Object.keys(env).length <= 100,
      "Must have at most 100 variables",
    )
    .default({}),
  // Names from AOS_SECRETS (checked against them at submit): environment
  // variables of the acceptance commands, and of setup with setup_secrets.
  secrets: z.array(z.string().superRefine(rule(envNameProblem))).max(50)
    .default([]),
  setup_secrets: z.boolean().default(false),
  // Hosts the SE's and acceptance commands reach through the egress proxy
  // (lib/egress); checked against AOS_NETWORK_ALLOW_MAX at submit.
  network_allow: z.array(z.string().superRefine(rule(networkHostProblem)))
    .max(50).default([]),
  max_tool_steps: integer("max_tool_steps"),
  max_total_tokens: integer("max_total_tokens"),
  max_wall_time_s: integer("max_wall_time_s"),
  command_timeout_s: integer("command_timeout_s"),
  setup_commands: z.array(
    z.string().min(1).max(10_000).superRefine(rule(noNul)),
  ).max(50).default([]),
  setup_network: z.boolean().default(true),
  // Null: the lockfiles present at the base commit (lib/environment/key.ts).
  setup_cache_key: z.array(glob).min(1).max(100).nullable().default(null),
  setup_timeout_s: integer("setup_timeout_s"),
  se_commands: z.boolean().default(true),
  max_se_commands: integer("max_se_commands"),
  se_command_seconds: integer("se_command_seconds"),
  // Per-run models (AOS_MODEL / AOS_SE_MODEL / AOS_PO_MODEL otherwise), so
  // `aos eval --model` compares models on one service.
  model: modelName,
  se_model: modelName,
  po_model: modelName,
  pull_request: z.preprocess(
    (value) => (value === true ? {} : value === false ? null : value),
    pullRequest.nullable(),
  ).default(null),
  // before_push: a PASS waits in AWAITING_APPROVAL for POST /runs/{id}/approve (DESIGN §4).
  approval: z.enum(["none", "before_push"]).default("none"),
  // pause: a budget reached moves the run to PAUSED (POST /runs/{id}/resume raises it); fail: today's soft end.
  on_budget: z.enum(["fail", "pause"]).default("fail"),
  max_cost_usd: maxCostUsd.nullable().default(null),
  // Best-of-N: parallel SE attempts in iteration 1, one model each when
  // named (the rest use se_model); the length is checked in crossFieldIssues.
  attempts: integer("attempts"),
  attempt_models: z.array(z.string().superRefine(rule(modelNameProblem)))
    .max(4).default([]),
  // MCP servers whose tools the SE is offered as mcp__<server>__<tool> (lib/mcp).
  mcp_servers: mcpServersSchema,
  task: z.string().transform((task) => task.trim()).superRefine((task, ctx) => {
    if (task === "") {
      ctx.addIssue({ code: "custom", message: EMPTY_TASK, input: task });
    }
  }),
});

/** The validated, defaulted fields. */
export type WorkOrderFields = z.output<typeof workOrderFieldsSchema>;

/** Names of the accepted fields, in canonical order. */
export const FIELD_NAMES: readonly string[] = Object.keys(
  workOrderFieldsSchema.shape,
);

const EMPTY_TASK =
  "Must not be empty: the markdown body after the frontmatter is the task (JSON: the 'task' field)";

/** Describes a received value for a message, e.g. `number 5` or `a list`. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value instanceof Date) {
    return `date ${quote(value.toISOString().slice(0, 10))}`;
  }
  if (Array.isArray(value)) return "a list";
  switch (typeof value) {
    case "string":
      return `string ${quote(value)}`;
    case "number":
    case "boolean":
    case "bigint":
      return `${typeof value} ${String(value)}`;
    case "object":
      return "a mapping";
    default:
      return typeof value;
  }
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  array: "a list",
  object: "a mapping",
  record: "a mapping",
};

/** Turns zod issues into FieldIssues; unknown keys become one issue each. */
export function toFieldIssues(
  issues: readonly z.core.$ZodIssue[],
): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of issues) {
    const path = issue.path.map(String);
    const field = path.join(".");
    const input = (issue as { input?: unknown }).input;
    const range = path.length === 1
      ? INTEGER_FIELDS[path[0] as IntegerField]
      : undefined;
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        out.push({
          field: [...path, key].join("."),
          message: unknownFieldMessage(key),
        });
      }
    } else if (range !== undefined) {
      out.push({
        field,
        message: `Must be an integer from ${range.min} to ${range.max}, got ${
          describe(input)
        }`,
      });
    } else if (issue.code === "invalid_type") {
      out.push({
        field,
        message: typeMessage(issue.expected, input, path[0] === "task") +
          listHint(issue.expected, input),
      });
    } else if (issue.code === "invalid_value") {
      out.push({
        field,
        message: `Must be one of ${
          issue.values.map((v) => quote(String(v))).join(", ")
        }, got ${describe(input)}`,
      });
    } else if (issue.code === "too_big" || issue.code === "too_small") {
      out.push({ field, message: sizeMessage(issue) });
    } else {
      out.push({ field, message: issue.message });
    }
  }
  return out;
}

function typeMessage(
  expected: string,
  input: unknown,
  isTask: boolean,
): string {
  if (input === undefined) {
    return isTask ? EMPTY_TASK : "Required field is missing";
  }
  const want = EXPECTED[expected] ?? expected;
  const hint = expected === "string" &&
      (typeof input === "number" || typeof input === "boolean" ||
        input instanceof Date)
    ? " (quote it in YAML)"
    : "";
  return `Must be ${want}, got ${describe(input)}${hint}`;
}

/** For a string where a list belongs (`acceptance_commands: npm test`): the list form, spelled out. */
function listHint(expected: string, input: unknown): string {
  if (expected !== "array" || typeof input !== "string") return "";
  const short = input.length > 60 ? `${input.slice(0, 57)}...` : input;
  // Escaped like JSON, so a stranger's line breaks stay on the message's one line.
  const item = JSON.stringify(short).slice(1, -1);
  return ` (a list: write each entry on its own line as '- ${item}', or ${
    JSON.stringify([short])
  })`;
}

function sizeMessage(
  issue: z.core.$ZodIssueTooBig | z.core.$ZodIssueTooSmall,
): string {
  const small = issue.code === "too_small";
  const limit = Number(
    small ? issue.minimum : (issue as z.core.$ZodIssueTooBig).maximum,
  );
  if (issue.origin === "string") {
    return small && limit === 1
      ? "Must not be empty"
      : `Must be at most ${limit} characters`;
  }
  if (issue.origin === "array") {
    return small
      ? `Must have at least ${limit} entries`
      : `Must have at most ${limit} entries`;
  }
  if (small) {
    return issue.inclusive === false
      ? `Must be more than ${limit}`
      : `Must be at least ${limit}`;
  }
  return `Must be at most ${limit}`;
}

function unknownFieldMessage(key: string): string {
  if (key === "limits") {
    return "Unknown field 'limits' (set max_tool_steps, max_total_tokens, max_wall_time_s, command_timeout_s, max_se_commands, se_command_seconds at the top level)";
  }
  const near = FIELD_NAMES.find((name) =>
    name !== "task" && editDistance(name, key) <= 2
  );
  return `Unknown field ${quote(key)}${
    near ? ` (did you mean '${near}'?)` : ""
  }`;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(
        above + 1,
        row[j - 1]! + 1,
        diagonal + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      diagonal = above;
    }
  }
  return row[b.length]!;
}
