/**
 * Work orders (DESIGN §6): markdown with YAML frontmatter, parsed with
 * gray-matter, validated with zod, defaults applied. Every rejection is a
 * ValidationError naming each offending field and the rule it broke.
 */
import matter from "gray-matter";
import { readFrontmatter } from "./frontmatter.ts";
import { type FieldIssue, ValidationError } from "../errors.ts";
import {
  INTEGER_FIELDS,
  toFieldIssues,
  workOrderFieldsSchema,
} from "./schema.ts";
import { envNameProblem, repoAllowed } from "./rules.ts";

export { isValidRefName } from "./rules.ts";
export { MAX_WORK_ORDER_BYTES } from "./frontmatter.ts";

/** Per-run limits; in frontmatter they are top-level fields with these names. */
export interface WorkOrderLimits {
  /** SE tool-call steps per turn (1–200, default 40). */
  max_tool_steps: number;
  /** Tokens per run (default 400000). */
  max_total_tokens: number;
  /** Wall time per run in seconds (default 1800). */
  max_wall_time_s: number;
  /** Timeout per acceptance command in seconds (1–3600, default 300). */
  command_timeout_s: number;
}

/** A validated work order with every default applied. */
export interface WorkOrder {
  repo: string;
  clone_branch: string;
  push_branch: string | null;
  allow_push_to_clone_branch: boolean;
  max_iterations: number;
  title: string | null;
  acceptance_commands: string[];
  allowed_paths: string[];
  forbidden_paths: string[];
  context_files: string[];
  env: Record<string, string>;
  limits: WorkOrderLimits;
  /** The markdown body, trimmed. */
  task: string;
}

/** Options of parseWorkOrder and workOrderFromFields. */
export interface WorkOrderOptions {
  /** AOS_REPO_ALLOWLIST: URL prefixes or globs; empty or absent allows every repo. */
  repoAllowlist?: readonly string[];
}

const LIMIT_FIELDS = [
  "max_tool_steps",
  "max_total_tokens",
  "max_wall_time_s",
  "command_timeout_s",
] as const;

/** Parses a work order file; throws ValidationError listing every problem. */
export function parseWorkOrder(
  source: string | Uint8Array,
  options: WorkOrderOptions = {},
): WorkOrder {
  const { data, body } = readFrontmatter(source);
  const issues: FieldIssue[] = [];
  if ("task" in data) {
    issues.push({
      field: "task",
      message:
        "Unknown field 'task' in frontmatter (the markdown body is the task)",
    });
  }
  const { task: _ignored, ...fields } = data as Record<string, unknown>;
  return validate({ ...fields, task: body }, options, issues);
}

/** Validates a JSON submission: the frontmatter fields plus `task` (the body). */
export function workOrderFromFields(
  fields: Record<string, unknown>,
  options: WorkOrderOptions = {},
): WorkOrder {
  if (fields === null || typeof fields !== "object" || Array.isArray(fields)) {
    fail("", "Work order must be a JSON object of fields");
  }
  return validate(fields, options, []);
}

/** Canonical markdown of a work order; parsing it gives back an equal work order. */
export function renderWorkOrderMd(wo: WorkOrder): string {
  const data: Record<string, unknown> = {};
  if (wo.title !== null) data.title = wo.title;
  data.repo = wo.repo;
  data.clone_branch = wo.clone_branch;
  if (wo.push_branch !== null) data.push_branch = wo.push_branch;
  if (wo.allow_push_to_clone_branch) data.allow_push_to_clone_branch = true;
  data.max_iterations = wo.max_iterations;
  for (
    const list of [
      "acceptance_commands",
      "allowed_paths",
      "forbidden_paths",
      "context_files",
    ] as const
  ) {
    if (wo[list].length > 0) data[list] = wo[list];
  }
  if (Object.keys(wo.env).length > 0) data.env = wo.env;
  for (const name of LIMIT_FIELDS) {
    if (wo.limits[name] !== INTEGER_FIELDS[name].default) {
      data[name] = wo.limits[name];
    }
  }
  return matter.stringify(`\n${wo.task}\n`, data);
}

function validate(
  input: Record<string, unknown>,
  options: WorkOrderOptions,
  issues: FieldIssue[],
): WorkOrder {
  // An empty YAML value (`push_branch:`) means "not given": the default applies.
  const given: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value !== null || key === "repo" || key === "task") given[key] = value;
  }
  const result = workOrderFieldsSchema.safeParse(given, { reportInput: true });
  if (!result.success) issues.push(...toFieldIssues(result.error.issues));
  issues.push(...crossFieldIssues(given, options));
  if (!result.success || issues.length > 0) throw new ValidationError(issues);
  const f = result.data;
  return {
    repo: f.repo,
    clone_branch: f.clone_branch,
    push_branch: f.push_branch,
    allow_push_to_clone_branch: f.allow_push_to_clone_branch,
    max_iterations: f.max_iterations,
    title: f.title,
    acceptance_commands: f.acceptance_commands,
    allowed_paths: f.allowed_paths,
    forbidden_paths: f.forbidden_paths,
    context_files: f.context_files,
    env: f.env,
    limits: {
      max_tool_steps: f.max_tool_steps,
      max_total_tokens: f.max_total_tokens,
      max_wall_time_s: f.max_wall_time_s,
      command_timeout_s: f.command_timeout_s,
    },
    task: f.task,
  };
}

/** Rules spanning fields or options; checked on the raw input so all issues come at once. */
function crossFieldIssues(
  input: Record<string, unknown>,
  options: WorkOrderOptions,
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const clone = typeof input.clone_branch === "string"
    ? input.clone_branch
    : "main";
  if (
    typeof input.push_branch === "string" && input.push_branch === clone &&
    input.allow_push_to_clone_branch !== true
  ) {
    issues.push({
      field: "push_branch",
      message:
        `Must differ from clone_branch '${clone}' unless allow_push_to_clone_branch is true`,
    });
  }
  const env = input.env;
  if (env !== null && typeof env === "object" && !Array.isArray(env)) {
    for (const name of Object.keys(env)) {
      const message = envNameProblem(name);
      if (message !== null) issues.push({ field: `env.${name}`, message });
    }
  }
  const allowlist = options.repoAllowlist ?? [];
  if (
    typeof input.repo === "string" && input.repo !== "" &&
    !repoAllowed(input.repo, allowlist)
  ) {
    issues.push({
      field: "repo",
      message:
        `Repository '${input.repo}' is not allowed by AOS_REPO_ALLOWLIST`,
    });
  }
  return issues;
}

function fail(field: string, message: string): never {
  throw new ValidationError([{ field, message }]);
}
