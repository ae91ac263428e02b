/** JSX to an HTML string, for fragments sent over SSE or fetched by scripts. */
import type { Child } from "hono/jsx";

/** Renders a JSX node (sync or async components) to its HTML text. */
export async function render(node: Child): Promise<string> {
  if (node === null || node === undefined || typeof node === "boolean") {
    return "";
  }
  return String(
    await (node as { toString(): string | Promise<string> })
      .toString(),
  );
}
