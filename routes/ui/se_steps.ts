/**
 * The SE's conversation as steps, read from its transcript artifact
 * (`llm_iter_N_se.json`): each tool call with a preview of its arguments and
 * of its result, and the tokens of the reply that made it. The artifact is
 * stored data the model wrote into, so it is parsed, not trusted: anything
 * that does not fit the shape is left out.
 */
import { z } from "zod";

/** One SE tool call as the run page lists it. */
export interface SeStepView {
  /** The model reply it came from (1-based). */
  reply: number;
  tool: string;
  arguments: string;
  result: string | null;
  /** The result says the call failed (an `Error:` answer). */
  failed: boolean;
  /** Tokens of the reply (on its first call only, so they add up). */
  tokens: number | null;
}

/** One model reply: what it said besides calls, and its calls. */
export interface SeReplyView {
  reply: number;
  text: string | null;
  tokens: number | null;
  steps: SeStepView[];
}

/** Longest argument preview. */
export const MAX_ARGUMENTS_CHARS = 400;
/** Longest result preview. */
export const MAX_RESULT_CHARS = 800;

const toolCall = z.object({
  id: z.string(),
  function: z.object({ name: z.string(), arguments: z.string() }),
});
const message = z.object({
  role: z.string(),
  content: z.unknown().optional(),
  tool_calls: z.array(z.unknown()).optional(),
  tool_call_id: z.string().optional(),
});
const exchange = z.object({
  usage: z.object({ total_tokens: z.number() }).partial().optional(),
});
const transcriptFile = z.object({
  transcript: z.object({
    messages: z.array(z.unknown()),
    exchanges: z.array(z.unknown()).optional(),
  }),
});

/** The replies of a transcript artifact's JSON; empty when it is not one. */
export function seReplies(json: unknown): SeReplyView[] {
  const file = transcriptFile.safeParse(json);
  if (!file.success) return [];
  const exchanges = (file.data.transcript.exchanges ?? []).map((e) =>
    exchange.safeParse(e)
  );
  const results = new Map<string, string>();
  const messages = file.data.transcript.messages.flatMap((m) => {
    const parsed = message.safeParse(m);
    return parsed.success ? [parsed.data] : [];
  });
  for (const m of messages) {
    if (m.role === "tool" && m.tool_call_id !== undefined) {
      results.set(m.tool_call_id, textOf(m.content));
    }
  }
  const replies: SeReplyView[] = [];
  for (const m of messages) {
    if (m.role !== "assistant") continue;
    const n = replies.length + 1;
    const used = exchanges[n - 1];
    const tokens = used?.success ? used.data.usage?.total_tokens ?? null : null;
    const calls = (m.tool_calls ?? []).flatMap((c) => {
      const parsed = toolCall.safeParse(c);
      return parsed.success ? [parsed.data] : [];
    });
    const text = textOf(m.content).trim();
    replies.push({
      reply: n,
      text: text === "" ? null : preview(text, MAX_RESULT_CHARS),
      tokens,
      steps: calls.map((call, i) => {
        const result = results.get(call.id);
        return {
          reply: n,
          tool: preview(call.function.name, 80),
          arguments: preview(call.function.arguments, MAX_ARGUMENTS_CHARS),
          result: result === undefined
            ? null
            : preview(result, MAX_RESULT_CHARS),
          failed: result !== undefined && /^Error\b/.test(result),
          tokens: i === 0 ? tokens : null,
        };
      }),
    });
  }
  return replies;
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map((part) =>
      part !== null && typeof part === "object" &&
        typeof (part as { text?: unknown }).text === "string"
        ? (part as { text: string }).text
        : ""
    ).join("");
  }
  return "";
}

function preview(text: string, max: number): string {
  return text.length > max
    ? `${text.slice(0, max)}… (${text.length - max} more characters)`
    : text;
}
