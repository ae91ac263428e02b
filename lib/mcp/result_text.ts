/**
 * A tools/call result as the model reads it: text parts joined, binary parts
 * named but left out, structured content as JSON when there is no text, all
 * capped to a budget with head and tail kept.
 */
import { capOutput } from "../sandbox/mod.ts";

/** Bytes of one MCP result kept for the model. */
export const MAX_RESULT_BYTES = 20_000;

/** The model-facing text of a tools/call result (already schema-checked by the SDK). */
export function resultText(
  result: { content?: unknown; structuredContent?: unknown },
  maxBytes = MAX_RESULT_BYTES,
): { text: string; truncated: boolean } {
  const parts: string[] = [];
  const content = Array.isArray(result.content) ? result.content : [];
  for (const part of content as Record<string, unknown>[]) {
    parts.push(partText(part));
  }
  if (parts.length === 0 && result.structuredContent !== undefined) {
    parts.push(JSON.stringify(result.structuredContent));
  }
  const joined = parts.join("\n") || "(no content)";
  const capped = capOutput(joined, maxBytes);
  return {
    text: capped.truncated
      ? `${capped.text}\n[result cut to ${maxBytes} bytes: head and tail kept]`
      : capped.text,
    truncated: capped.truncated,
  };
}

function partText(part: Record<string, unknown>): string {
  switch (part.type) {
    case "text":
      return String(part.text ?? "");
    case "image":
    case "audio":
      return `[${part.type} ${String(part.mimeType ?? "")}, ${
        String(part.data ?? "").length
      } base64 characters, not shown]`;
    case "resource": {
      const resource = (part.resource ?? {}) as Record<string, unknown>;
      return typeof resource.text === "string"
        ? `[resource ${String(resource.uri ?? "")}]\n${resource.text}`
        : `[binary resource ${String(resource.uri ?? "")}, not shown]`;
    }
    case "resource_link":
      return `[resource link ${String(part.uri ?? "")}]`;
    default:
      return `[${String(part.type)} content, not shown]`;
  }
}
