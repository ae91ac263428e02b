/**
 * Work orders (DESIGN §6): markdown with YAML frontmatter, parsed with
 * gray-matter, validated with zod, defaults applied. Every rejection is a
 * ValidationError naming each offending field and the rule it broke.
 */
import matter from "gray-matter";
import { readFrontmatter } from "./frontmatter.ts";
import { type FieldIssue, ValidationError } from "../errors.ts";
import {
  FIELD_NAMES,
  toFieldIssues,
  type WorkOrderFields,
  workOrderFieldsSchema,
} from "./schema.ts";
import { envNameProblem, isLocalRepo, quote, repoAllowed } from "./rules.ts";
import { hostPatternProblem, patternCovered } from "../egress/mod.ts";

export { isValidRefName } from "./rules.ts";
export { MAX_WORK_ORDER_BYTES } from "./size.ts";
import { checkSize, stringBytes } from "./size.ts";

/**
 * A validated work order with every default applied: exactly the schema's
 * output, so a field added to the schema is a field of the work order.
 */
export type WorkOrder = WorkOrderFields;

/** Options of parseWorkOrder and workOrderFromFields. */
export interface WorkOrderOptions {
  /** AOS_REPO_ALLOWLIST: URL prefixes or globs; empty or absent allows every repo. */
  repoAllowlist?: readonly string[];
  /**
   * AOS_ALLOW_LOCAL_REPOS: whether `repo` may be a path or `file://` URL on
   * the server. Default true, for reading back work orders the service
   * already accepted; submissions pass the configured value.
   */
  allowLocalRepos?: boolean;
  /**
   * AOS_SECRETS' names: `secrets` may name only these. Absent, names are not
   * checked (reading back a work order the service already accepted).
   */
  secretNames?: readonly string[];
  /**
   * AOS_NETWORK_ALLOW_MAX: the patterns `network_allow` must stay within;
   * empty refuses any. Absent, not checked (reading back).
   */
  networkAllowMax?: readonly string[];
}

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
  const defaults = defaultsFor(wo.repo);
  const data: Record<string, unknown> = {};
  for (const name of FIELD_NAMES) {
    if (name === "task") continue;
    const value = (wo as Record<string, unknown>)[name];
    const fallback = (defaults as Record<string, unknown>)[name];
    const required = name === "repo";
    if (required || JSON.stringify(value) !== JSON.stringify(fallback)) {
      data[name] = value;
    }
  }
  return matter.stringify(`\n${wo.task}\n`, data);
}

/** The defaults a work order naming only `repo` gets. */
function defaultsFor(repo: string): WorkOrderFields {
  return workOrderFieldsSchema.parse({ repo, task: "x" });
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
  issues.push(...crossFieldIssues(given, options, issues));
  if (!result.success || issues.length > 0) throw new ValidationError(issues);
  return result.data;
}

/** Rules spanning fields or options; checked on the raw input so all issues come at once. */
function crossFieldIssues(
  input: Record<string, unknown>,
  options: WorkOrderOptions,
  fieldIssues: readonly FieldIssue[],
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
  const pr = input.pull_request;
  if (pr !== undefined && pr !== false) {
    if (typeof input.push_branch !== "string") {
      issues.push({
        field: "pull_request",
        message:
          "Requires push_branch: the pull request is opened from that branch",
      });
    } else if (pr !== null && typeof pr === "object" && !Array.isArray(pr)) {
      const base = (pr as { base?: unknown }).base ?? clone;
      if (base === input.push_branch) {
        issues.push({
          field: "pull_request.base",
          message: `Must differ from push_branch '${input.push_branch}'`,
        });
      }
    }
  }
  const env = input.env;
  if (env !== null && typeof env === "object" && !Array.isArray(env)) {
    for (const name of Object.keys(env)) {
      const message = envNameProblem(name);
      if (message !== null) issues.push({ field: `env.${name}`, message });
    }
  }
  issues.push(...attemptsIssues(input, fieldIssues));
  issues.push(...secretsIssues(input, options.secretNames));
  issues.push(...networkAllowIssues(input, options.networkAllowMax));
  if (
    options.allowLocalRepos === false && typeof input.repo === "string" &&
    input.repo !== "" && isLocalRepo(input.repo) &&
    // A scheme-less 'github.com/x/y' is already refused with its own hint; no second, contradictory issue.
    !fieldIssues.some((issue) => issue.field === "repo")
  ) {
    issues.push({
      field: "repo",
      message: `Local repository ${
        quote(input.repo)
      } is not allowed: this server does not set AOS_ALLOW_LOCAL_REPOS=true`,
    });
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

/**
 * `attempt_models` longer than `attempts` (a model no attempt would use), and
 * parallel attempts with `on_budget: pause` (a pause cannot stop N turns at once).
 */
function attemptsIssues(
  input: Record<string, unknown>,
  fieldIssues: readonly FieldIssue[],
): FieldIssue[] {
  if (fieldIssues.some((issue) => issue.field === "attempts")) return [];
  const attempts = typeof input.attempts === "number" ? input.attempts : 1;
  const issues: FieldIssue[] = [];
  const models = input.attempt_models;
  if (Array.isArray(models) && models.length > attempts) {
    issues.push({
      field: "attempt_models",
      message:
        `Must have at most as many entries as attempts (${attempts}), got ${models.length}`,
    });
  }
  if (attempts > 1 && input.on_budget === "pause") {
    issues.push({
      field: "attempts",
      message:
        "Must be 1 with on_budget: pause (parallel attempts cannot pause together); use on_budget: fail",
    });
  }
  return issues;
}

/** `secrets` naming what AOS_SECRETS lacks, or what `env` sets too; names only, never a value. */
function secretsIssues(
  input: Record<string, unknown>,
  known: readonly string[] | undefined,
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (!Array.isArray(input.secrets)) return issues;
  const env = input.env !== null && typeof input.env === "object"
    ? input.env as Record<string, unknown>
    : {};
  input.secrets.forEach((name: unknown, i) => {
    // A name that breaks the naming rule is already reported by the schema.
    if (typeof name !== "string" || envNameProblem(name) !== null) return;
    if (known !== undefined && !known.includes(name)) {
      issues.push({
        field: `secrets.${i}`,
        message: `Unknown secret ${
          quote(name)
        }: this server's AOS_SECRETS has no secret of that name`,
      });
    } else if (Object.hasOwn(env, name)) {
      issues.push({
        field: `secrets.${i}`,
        message: `Secret ${
          quote(name)
        } is also set in env: name it in one place`,
      });
    }
  });
  return issues;
}

/** `network_allow` entries past the operator's AOS_NETWORK_ALLOW_MAX. */
function networkAllowIssues(
  input: Record<string, unknown>,
  ceiling: readonly string[] | undefined,
): FieldIssue[] {
  if (ceiling === undefined || !Array.isArray(input.network_allow)) return [];
  if (ceiling.length === 0 && input.network_allow.length > 0) {
    return [{
      field: "network_allow",
      message:
        "This server gives commands no network: its AOS_NETWORK_ALLOW_MAX is unset",
    }];
  }
  const issues: FieldIssue[] = [];
  input.network_allow.forEach((host: unknown, i) => {
    if (typeof host !== "string" || hostPatternProblem(host) !== null) return;
    if (!patternCovered(host, ceiling)) {
      issues.push({
        field: `network_allow.${i}`,
        message: `Host ${
          quote(host)
        } is not within this server's AOS_NETWORK_ALLOW_MAX (${
          ceiling.join(", ")
        })`,
      });
    }
  });
  return issues;
}

function fail(field: string, message: string): never {
  throw new ValidationError([{ field, message }]);
}

/**
 * The work order and its markdown made from JSON fields, checked against the
 * file limit. Every string appears in the markdown at least once, so fields
 * whose strings alone pass the limit are refused before the costly
 * validation and YAML rendering of megabytes.
 */
export function workOrderMdFromFields(
  fields: Record<string, unknown>,
  options: WorkOrderOptions,
): { workOrder: WorkOrder; md: string } {
  checkSize(stringBytes(fields), "at least ", fields);
  const workOrder = workOrderFromFields(fields, options);
  const md = renderWorkOrderMd(workOrder);
  checkSize(new TextEncoder().encode(md).length, "", fields);
  return { workOrder, md };
}
