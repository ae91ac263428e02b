/** Token usage of model exchanges, read from the API's `usage` object, and its price. */

/** Token counts of one or more exchanges. */
export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** Prompt tokens the endpoint served from its prompt cache (`prompt_tokens_details.cached_tokens`); part of `prompt_tokens`. */
  cached_tokens: number;
  /** Completion tokens spent on hidden reasoning (`completion_tokens_details.reasoning_tokens`); part of `completion_tokens`. */
  reasoning_tokens: number;
}

/** A usage of zero tokens. */
export function emptyUsage(): TokenUsage {
  return {
    prompt_tokens: 0,
    completion_tokens: 0,
    total_tokens: 0,
    cached_tokens: 0,
    reasoning_tokens: 0,
  };
}

/** Sum of two usages (a usage without the detail counts adds 0 for them). */
export function addUsage(
  a: TokenUsage,
  b:
    & Partial<TokenUsage>
    & Omit<TokenUsage, "cached_tokens" | "reasoning_tokens">,
): TokenUsage {
  return {
    prompt_tokens: a.prompt_tokens + b.prompt_tokens,
    completion_tokens: a.completion_tokens + b.completion_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
    cached_tokens: a.cached_tokens + (b.cached_tokens ?? 0),
    reasoning_tokens: a.reasoning_tokens + (b.reasoning_tokens ?? 0),
  };
}

const count = (v: unknown) =>
  typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0;
const record = (v: unknown) =>
  (typeof v === "object" && v !== null ? v : {}) as Record<string, unknown>;

/**
 * The usage of a chat completion as the API reported it; missing or malformed
 * counts are 0 (some OpenAI-compatible servers send no usage at all).
 */
export function readUsage(usage: unknown): TokenUsage {
  const u = record(usage);
  const prompt = count(u.prompt_tokens);
  const completion = count(u.completion_tokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: count(u.total_tokens) || prompt + completion,
    cached_tokens: Math.min(
      prompt,
      count(record(u.prompt_tokens_details).cached_tokens),
    ),
    reasoning_tokens: Math.min(
      completion,
      count(record(u.completion_tokens_details).reasoning_tokens),
    ),
  };
}

/** USD per million tokens: [input, cached input, output]; longest matching prefix wins. */
const PRICES: [
  prefix: string,
  input: number,
  cached: number,
  output: number,
][] = [
  ["gpt-5-nano", 0.05, 0.005, 0.4],
  ["gpt-5-mini", 0.25, 0.025, 2],
  ["gpt-5", 1.25, 0.125, 10],
  ["gpt-4.1-nano", 0.1, 0.025, 0.4],
  ["gpt-4.1-mini", 0.4, 0.1, 1.6],
  ["gpt-4.1", 2, 0.5, 8],
  ["gpt-4o-mini", 0.15, 0.075, 0.6],
  ["gpt-4o", 2.5, 1.25, 10],
  ["o4-mini", 1.1, 0.275, 4.4],
  ["o3-mini", 1.1, 0.55, 4.4],
  ["o3", 2, 0.5, 8],
];

/**
 * Estimated cost in USD of `usage` on `model`: cached prompt tokens at the
 * cached-input rate, the rest of the prompt at the input rate, completion
 * (reasoning included) at the output rate; 0 for a model not in the table.
 */
export function estimateCostUsd(
  model: string,
  usage: {
    prompt_tokens: number;
    completion_tokens: number;
    cached_tokens?: number;
  },
): number {
  const name = model.toLowerCase().replace(/^openai\//, "");
  const match =
    PRICES.filter(([prefix]) =>
      name === prefix || name.startsWith(`${prefix}-`)
    ).sort((a, b) => b[0].length - a[0].length)[0];
  if (!match) return 0;
  const [, input, cachedRate, output] = match;
  const cached = Math.min(usage.prompt_tokens, usage.cached_tokens ?? 0);
  return ((usage.prompt_tokens - cached) * input + cached * cachedRate +
    usage.completion_tokens * output) / 1_000_000;
}

/** Token usage with its estimated cost: what agents report and a run accumulates. */
export interface PricedUsage extends TokenUsage {
  cost_usd: number;
}

/** `usage` with its cost on `model` (detail counts it lacks are 0). */
export function priced(
  model: string,
  usage:
    & Partial<TokenUsage>
    & Omit<TokenUsage, "cached_tokens" | "reasoning_tokens">,
): PricedUsage {
  return {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    total_tokens: usage.total_tokens,
    cached_tokens: usage.cached_tokens ?? 0,
    reasoning_tokens: usage.reasoning_tokens ?? 0,
    cost_usd: estimateCostUsd(model, usage),
  };
}
