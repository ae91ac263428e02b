/**
 * llm: the OpenAI-compatible model client, its errors, token counts, usage and
 * prices, and the preflight check.
 */
export {
  addUsage,
  type ChatCompletionMessage,
  type ChatCompletionMessageParam,
  type ChatCompletionTool,
  type ChatReply,
  emptyUsage,
  estimateCostUsd,
  type ModelCall,
  ModelClient,
  type ModelClientOptions,
  ModelError,
  type ModelObserver,
  type TokenUsage,
} from "./client.ts";
export { type ModelCheck, ModelHealth } from "./preflight.ts";
export {
  countMessagesTokens,
  countMessageTokens,
  countTextTokens,
  countToolsTokens,
} from "./tokens.ts";
export { priced } from "./usage.ts";
