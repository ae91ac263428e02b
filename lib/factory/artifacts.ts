/**
 * The artifacts a run leaves, declared once: one row per kind with its name
 * template, what it holds, its zod schema and how its secrets are masked.
 * Every write is checked and redacted against its row and every read is
 * parsed by it (lib/factory/artifact_store.ts), so a stored value that does
 * not fit is a `StoredValueError` naming the artifact, never a silent cast.
 * A new artifact is one row in `ARTIFACTS` and one maker in `ARTIFACT`.
 *
 * Objects are loose: a field a newer writer adds passes through, and a field
 * newer than a stored value has a default, so stored artifacts keep their
 * JSON exactly (no migration).
 */
import { z } from "zod";
import type { Redactor } from "../redact.ts";
import {
  commandResultSchema,
  noUsage,
  poReportSchema,
  sePacketSchema,
  storedUsageSchema,
  toolReportSchema,
} from "./shapes.ts";
import { runStatusSchema } from "../store/types.ts";

const usage = storedUsageSchema.default(noUsage);
const count = z.number().int();
const pathReason = z.object({ path: z.string(), reason: z.string() });

/** The SE's packet as stored: the packet plus what the turn cost. */
const storedSePacketSchema = sePacketSchema.extend({ usage }).loose();
/** The PO's verdict as stored: the report plus what the review cost. */
const storedPoReportSchema = poReportSchema.extend({
  by_model: z.boolean().default(true),
  usage,
}).loose();

const llmExchangeSchema = z.looseObject({
  agent: z.enum(["se", "po"]),
  model: z.string(),
  iteration: count,
  /** A best-of-N attempt's SE exchange: which attempt. */
  attempt: count.optional(),
  usage,
  /** The model API's failure, when the exchange ended in one. */
  error: z.looseObject({ kind: z.string(), message: z.string() }).optional(),
  ended: z.string().optional(),
  paused: z.boolean().optional(),
  steps: count.optional(),
  events: z.array(z.unknown()).optional(),
  /** The messages and exchanges as the model saw them (null when none were kept). */
  transcript: z.unknown(),
});

const setupReportSchema = z.looseObject({
  status: z.enum(["none", "restored", "built", "failed"]),
  /** The environment's key, null without setup commands. */
  environment: z.string().nullable(),
  key_tree: z.string().nullable().optional(),
  key_files: z.array(z.object({ path: z.string(), blob: z.string() }))
    .optional(),
  files: count.optional(),
  bytes: z.number().optional(),
  commands: z.array(
    commandResultSchema.extend({
      error_lines: z.array(z.string()).optional(),
    }).loose(),
  ),
});

const summarySchema = z.looseObject({
  run_id: z.string(),
  status: runStatusSchema,
  title: z.string().nullable(),
  repo: z.string(),
  clone_branch: z.string(),
  push_branch: z.string().nullable(),
  iterations: count,
  max_iterations: count,
  result_summary: z.string().nullable(),
  error: z.string().nullable(),
  usage,
  setup: z.object({
    status: z.string(),
    environment: z.string().nullable(),
    commands: z.array(z.object({
      command: z.string(),
      exit_code: count.nullable(),
      duration_ms: z.number(),
    })),
  }).optional(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
});

const instructionsSchema = z.looseObject({
  files: z.array(z.object({ path: z.string(), content: z.string() })),
  refused: z.array(pathReason).default([]),
});

/** How a kind's secrets are masked: every string fully, except code kept usable. */
type Redact<T> = (value: T, redactor: Redactor) => T;

/** One kind's row. */
interface Row<S extends z.ZodType> {
  /** The stored name, `{param}` standing for a part that varies (`{n}`: the iteration). */
  template: string;
  about: string;
  schema: S;
  contentType: string;
  redact: Redact<z.output<S>>;
}

function json<S extends z.ZodType>(
  template: string,
  about: string,
  schema: S,
  redact: Redact<z.output<S>> = (value, redactor) => redactor.redactDeep(value),
): Row<S> {
  return { template, about, schema, contentType: "application/json", redact };
}

/**
 * Full redaction for every field but `code`'s, which are file paths and
 * contents: only the real secret values are masked there, so a fixture like
 * `postgres://u:pw@host` survives. Fields keep their order (same JSON).
 */
function keepingCode<T extends object>(
  code: Record<string, (field: never, known: (s: string) => string) => unknown>,
): Redact<T> {
  return (value, redactor) => {
    const known = (text: string) => redactor.redactKnown(text);
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) {
      const own = Object.hasOwn(code, key) ? code[key] : undefined;
      out[key] = own ? own(field as never, known) : redactor.redactDeep(field);
    }
    return out as T;
  };
}

type Files = { path: string; content: string }[];
const knownFiles = (files: Files, known: (s: string) => string): Files =>
  files.map((f) => ({ ...f, path: known(f.path), content: known(f.content) }));

/** Every artifact kind a run stores, by kind. */
export const ARTIFACTS = {
  se_packet: json(
    "se_packet_iter_{n}.json",
    "the SE's result for iteration N: writes, deletes, summary, usage",
    storedSePacketSchema,
    keepingCode<z.output<typeof storedSePacketSchema>>({
      writes: knownFiles,
      deletes: (paths: string[], known) => paths.map(known),
    }),
  ),
  se_packet_attempt: json(
    "se_packet_iter_{n}_attempt_{k}.json",
    "attempt K's SE result in a best-of-N iteration N (`attempts`); the kept attempt's is also se_packet_iter_{n}.json",
    storedSePacketSchema,
    keepingCode<z.output<typeof storedSePacketSchema>>({
      writes: knownFiles,
      deletes: (paths: string[], known) => paths.map(known),
    }),
  ),
  tool_report: json(
    "tool_report_iter_{n}.json",
    "the Tool Runner's result for iteration N: applied, rejected, commands with capped output, the cumulative diff",
    toolReportSchema.loose(),
  ),
  tool_report_attempt: json(
    "tool_report_iter_{n}_attempt_{k}.json",
    "the Tool Runner's check of attempt K in a best-of-N iteration N; the kept attempt's is also tool_report_iter_{n}.json",
    toolReportSchema.loose(),
  ),
  po_report: json(
    "po_report_iter_{n}.json",
    "the PO's verdict for iteration N: decision, feedback, by_model, usage",
    storedPoReportSchema,
  ),
  llm: json(
    "llm_iter_{n}_{agent}.json",
    "one agent's (se, po) exchanges with the model in iteration N: transcript, usage, and the error of a failed turn",
    llmExchangeSchema,
  ),
  llm_attempt: json(
    "llm_iter_{n}_attempt_{k}_{agent}.json",
    "attempt K's SE exchanges with the model in a best-of-N iteration N",
    llmExchangeSchema,
  ),
  setup_report: json(
    "setup_report.json",
    "the setup phase: status, the environment's key, each setup command with capped output",
    setupReportSchema,
  ),
  summary: json(
    "summary.json",
    "the finished run: status, result, usage, setup",
    summarySchema,
  ),
  instructions: json(
    "instructions.json",
    "the repository's instructions files read at the base commit, and those refused",
    instructionsSchema,
    keepingCode<z.output<typeof instructionsSchema>>({ files: knownFiles }),
  ),
  diff: {
    template: "diff.patch",
    about: "the final diff against the base commit (written at commit)",
    schema: z.string(),
    contentType: "text/x-diff",
    redact: (text: string, redactor: Redactor) => redactor.redact(text),
  } satisfies Row<z.ZodString>,
} as const;

type Rows = typeof ARTIFACTS;
/** A kind of artifact. */
export type ArtifactKind = keyof Rows;
/** Every kind, in the table's order. */
export const ARTIFACT_KINDS = Object.keys(ARTIFACTS) as ArtifactKind[];
/** The value an artifact of `kind` holds. */
export type ArtifactValue<K extends ArtifactKind> = z.output<Rows[K]["schema"]>;

/** One artifact of a run: its kind's row with its name filled in. */
export interface Artifact<T> {
  kind: ArtifactKind;
  name: string;
  contentType: string;
  schema: z.ZodType<T>;
  /** `value` with its secrets masked as this kind needs. */
  redact(value: T, redactor: Redactor): T;
}

/** The artifact of `kind` named with `params`. */
function named<K extends ArtifactKind>(
  kind: K,
  params: Record<string, string | number> = {},
): Artifact<ArtifactValue<K>> {
  const row = ARTIFACTS[kind];
  const name = row.template.replace(/\{(\w+)\}/g, (_, param: string) => {
    const value = params[param];
    if (value === undefined) {
      throw new TypeError(`Artifact '${row.template}' needs '${param}'`);
    }
    return String(value);
  });
  return {
    kind,
    name,
    contentType: row.contentType,
    schema: row.schema as unknown as z.ZodType<ArtifactValue<K>>,
    redact: row.redact as unknown as Artifact<ArtifactValue<K>>["redact"],
  };
}

/**
 * The artifacts of a run, as stations name them: `ARTIFACT.sePacket(n)`;
 * with `attempt`, attempt K's own in a best-of-N iteration.
 */
export const ARTIFACT = {
  sePacket: (n: number, attempt?: number) =>
    attempt === undefined
      ? named("se_packet", { n })
      : named("se_packet_attempt", { n, k: attempt }),
  toolReport: (n: number, attempt?: number) =>
    attempt === undefined
      ? named("tool_report", { n })
      : named("tool_report_attempt", { n, k: attempt }),
  poReport: (n: number) => named("po_report", { n }),
  llm: (n: number, agent: "se" | "po", attempt?: number) =>
    attempt === undefined
      ? named("llm", { n, agent })
      : named("llm_attempt", { n, agent, k: attempt }),
  setupReport: named("setup_report"),
  summary: named("summary"),
  instructions: named("instructions"),
  diff: named("diff"),
} as const;

/** Names of the artifacts a run leaves, as in the original service. */
export const artifactName = {
  sePacket: (n: number, attempt?: number) => ARTIFACT.sePacket(n, attempt).name,
  toolReport: (n: number, attempt?: number) =>
    ARTIFACT.toolReport(n, attempt).name,
  poReport: (n: number) => ARTIFACT.poReport(n).name,
  llm: (n: number, agent: "se" | "po", attempt?: number) =>
    ARTIFACT.llm(n, agent, attempt).name,
  setupReport: ARTIFACT.setupReport.name,
  summary: ARTIFACT.summary.name,
  diff: ARTIFACT.diff.name,
  instructions: ARTIFACT.instructions.name,
} as const;

/**
 * The parameters of `name` when it is an artifact of `kind`
 * (`tool_report_iter_3.json` → `{ n: "3" }`), else null.
 */
export function matchArtifact(
  kind: ArtifactKind,
  name: string,
): Record<string, string> | null {
  const params: string[] = [];
  const source = ARTIFACTS[kind].template.replace(
    /\{(\w+)\}|[^{]+/g,
    (part, param?: string) => {
      if (param === undefined) return part.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
      params.push(param);
      return "([A-Za-z0-9-]+)";
    },
  );
  const match = name.match(new RegExp(`^${source}$`));
  if (!match) return null;
  return Object.fromEntries(params.map((p, i) => [p, match[i + 1]!]));
}

/** The kind of a stored artifact's name, or null for one this build does not declare. */
export function artifactKindOf(name: string): ArtifactKind | null {
  return ARTIFACT_KINDS.find((kind) => matchArtifact(kind, name)) ?? null;
}
