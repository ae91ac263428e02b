/**
 * The shapes the factory's stations pass to each other, each defined once as
 * a zod schema; the types are `z.infer` of them and the API's OpenAPI
 * schemas reuse them (`.openapi()`), so no station spells a shape again.
 */
import { z } from "zod";

/** Token usage with its estimated cost: what agents report and a run accumulates. */
export const usageSchema = z.object({
  prompt_tokens: z.number(),
  completion_tokens: z.number(),
  total_tokens: z.number(),
  /** Prompt tokens the endpoint served from its prompt cache (part of prompt_tokens, billed lower). */
  cached_tokens: z.number(),
  /** Completion tokens spent on hidden reasoning (part of completion_tokens). */
  reasoning_tokens: z.number(),
  cost_usd: z.number(),
});
/** Token usage with its estimated cost. */
export type Usage = z.infer<typeof usageSchema>;

/**
 * Usage as stored in events and artifacts: values written before cache and
 * reasoning tokens were counted read back with them as zero.
 */
export const storedUsageSchema = usageSchema.extend({
  cached_tokens: z.number().default(0),
  reasoning_tokens: z.number().default(0),
});

/** A usage of zero tokens and zero cost. */
export function noUsage(): Usage {
  return {
    prompt_tokens: 0,
    completion_tokens: 0,
    total_tokens: 0,
    cached_tokens: 0,
    reasoning_tokens: 0,
    cost_usd: 0,
  };
}

/** Sum of two usages with their costs. */
export function sumUsage(a: Usage, b: Usage): Usage {
  return {
    prompt_tokens: a.prompt_tokens + b.prompt_tokens,
    completion_tokens: a.completion_tokens + b.completion_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
    cached_tokens: a.cached_tokens + b.cached_tokens,
    reasoning_tokens: a.reasoning_tokens + b.reasoning_tokens,
    cost_usd: a.cost_usd + b.cost_usd,
  };
}

/** A file the SE wants written. */
export const fileWriteSchema = z.object({
  path: z.string(),
  content: z.string(),
});
/** A file the SE wants written. */
export type FileWrite = z.infer<typeof fileWriteSchema>;

/** The SE's result for one iteration (`se_packet_iter_N.json`). */
export const sePacketSchema = z.object({
  iteration: z.number().int(),
  writes: z.array(fileWriteSchema),
  deletes: z.array(z.string()),
  summary: z.string(),
});
/** The SE's result for one iteration. */
export type SePacket = z.infer<typeof sePacketSchema>;

/** One command's result: an acceptance command in a tool report, or any sandboxed command. */
export const commandResultSchema = z.object({
  command: z.string(),
  /** Null when the command was killed (timeout, cancel) or died from a signal. */
  exit_code: z.number().int().nullable(),
  duration_ms: z.number(),
  /** stdout and stderr interleaved, capped (head and tail kept). */
  output: z.string(),
  truncated: z.boolean(),
  timed_out: z.boolean(),
});
/** One command's result. */
export type CommandResult = z.infer<typeof commandResultSchema>;

/** Whether a command failed (non-zero exit, killed, or timed out). */
export function commandFailed(
  result: Pick<CommandResult, "exit_code" | "timed_out">,
): boolean {
  return result.timed_out || result.exit_code !== 0;
}

/** The TR's result for one iteration (`tool_report_iter_N.json`). */
export const toolReportSchema = z.object({
  iteration: z.number().int(),
  base_commit: z.string(),
  applied: z.number().int(),
  rejected: z.array(z.object({ path: z.string(), reason: z.string() })),
  commands: z.array(commandResultSchema),
  ok: z.boolean(),
  diff: z.string(),
});
/** The TR's result for one iteration. */
export type ToolReport = z.infer<typeof toolReportSchema>;

/** The PO's decision. */
export const verdictDecisionSchema = z.enum(["PASS", "FAIL"]);
/** The PO's decision. */
export type VerdictDecision = z.infer<typeof verdictDecisionSchema>;

/** The PO's verdict for one iteration (`po_report_iter_N.json`). */
export const poReportSchema = z.object({
  iteration: z.number().int(),
  decision: verdictDecisionSchema,
  feedback: z.string(),
  by_model: z.boolean(),
  /** With `attempts` > 1: the attempt judged or picked, whose packet the iteration keeps. */
  attempt: z.number().int().optional(),
  /** With `attempts` > 1: the attempts the PO saw side by side (those passing acceptance). */
  candidates: z.array(z.number().int()).optional(),
});
/** The PO's verdict for one iteration. */
export type PoReport = z.infer<typeof poReportSchema>;
