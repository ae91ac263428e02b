/**
 * The fetch an HTTP MCP transport uses: every request's URL is checked
 * against the operator's policy first (a server cannot point the client at
 * another host), redirects are refused, and a response body is cut off past
 * a byte budget, so a hostile server can neither reach the LAN through AOS
 * nor fill its memory.
 */
import { type McpUrlPolicy, mcpUrlRefusal } from "./allow.ts";

/** A fetch-shaped function, as the MCP SDK takes it. */
export type FetchLike = (
  url: string | URL,
  init?: RequestInit,
) => Promise<Response>;

/** Largest response body read from an MCP server (one tools/list or tool result). */
export const MAX_HTTP_RESPONSE_BYTES = 4 * 1024 * 1024;

/** Thrown for a request the policy refuses; its message goes to the model. */
export class McpRefusedError extends Error {
  override name = "McpRefusedError";
}

/** `fetch` behind the policy and the body budget. */
export function guardedFetch(
  policy: McpUrlPolicy,
  maxBytes = MAX_HTTP_RESPONSE_BYTES,
): FetchLike {
  return async (input, init) => {
    const url = new URL(input instanceof URL ? input.href : input);
    const refusal = await mcpUrlRefusal(url, policy);
    if (refusal !== null) throw new McpRefusedError(refusal);
    const response = await fetch(url, { ...init, redirect: "manual" });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw new McpRefusedError(
        `Refused: the MCP server answered with a redirect (HTTP ${response.status}); redirects are not followed`,
      );
    }
    if (response.body === null) return response;
    return new Response(capped(response.body, maxBytes), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

/** `body` erroring once more than `maxBytes` have passed. */
function capped(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
): ReadableStream<Uint8Array> {
  let seen = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > maxBytes) {
          controller.error(
            new McpRefusedError(
              `The MCP server's response passed ${maxBytes} bytes and was cut off`,
            ),
          );
          return;
        }
        controller.enqueue(chunk);
      },
    }),
  );
}
