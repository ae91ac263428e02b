/**
 * The nearest AGENTS.md above a file the SE writes or edits, when it is not
 * one the system prompt already holds: shown once per file, after the tool's
 * result, capped and marked as the repository's words.
 */
import { ToolError } from "../../workspace/mod.ts";
import { instructionsNote, MAX_INSTRUCTIONS_BYTES } from "../instructions.ts";

/** Tokens of one directory's AGENTS.md shown with a tool result. */
const NESTED_TOKENS = 1_500;
/** Directories looked at above a file, at most. */
const MAX_DEPTH = 20;

/** Reads a repo file as text (the working copy's `readText`). */
export type ReadText = (path: string) => Promise<{ content: string }>;

/**
 * The nearest `dir/AGENTS.md` above `path` (the root's excluded: it is in
 * the prompt) unless `shown` has it: its path and the note to append. A
 * refused file (a symlink out, a FIFO, too big) stops the search unshown.
 */
export async function nestedInstructions(
  path: string,
  read: ReadText,
  shown: ReadonlySet<string>,
): Promise<{ path: string; note: string } | null> {
  const parts = path.replace(/^(\.\/)+/, "").split("/").filter((p) => p);
  for (let i = Math.min(parts.length - 1, MAX_DEPTH); i >= 1; i--) {
    const candidate = `${parts.slice(0, i).join("/")}/AGENTS.md`;
    if (shown.has(candidate)) return null;
    let content: string;
    try {
      content = (await read(candidate)).content;
    } catch (error) {
      if (error instanceof ToolError && /does not exist/.test(error.message)) {
        continue;
      }
      return null;
    }
    if (new TextEncoder().encode(content).length > MAX_INSTRUCTIONS_BYTES) {
      return null;
    }
    return {
      path: candidate,
      note: instructionsNote(
        { path: candidate, content },
        { maxTokens: NESTED_TOKENS },
      ),
    };
  }
  return null;
}
