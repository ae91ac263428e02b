/**
 * A reply's token usage, estimated where the endpoint reported none (some
 * OpenAI-compatible servers send no `usage`, or none in a stream): a run's
 * token budget and an eval's token figures must not read zero for them.
 */
import type { ChatReply, TokenUsage } from "../llm/mod.ts";
import { countMessageTokens } from "../llm/mod.ts";

/** The reply's usage as reported, else counted: the request's tokens in, the reply's out. */
export function replyUsage(
  reply: ChatReply,
  requestTokens: number,
): { usage: TokenUsage; estimated: boolean } {
  if (reply.usage.total_tokens > 0) {
    return { usage: reply.usage, estimated: false };
  }
  const completion = Math.max(1, countMessageTokens(reply.message));
  return {
    usage: {
      prompt_tokens: requestTokens,
      completion_tokens: completion,
      total_tokens: requestTokens + completion,
      cached_tokens: 0,
      reasoning_tokens: 0,
    },
    estimated: true,
  };
}
