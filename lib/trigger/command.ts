/**
 * `/aos` comments: `/aos approve`, `/aos reject [why]`, or `/aos …` with
 * instructions. Every comment AOS posts carries a marker, so AOS never
 * answers itself.
 */

/** The marker in every comment AOS posts. */
export const AOS_COMMENT_MARKER = "<!-- aos-trigger -->";

/** What a `/aos` comment asks. */
export type Command =
  | { action: "approve" }
  | { action: "reject"; reason: string }
  | { action: "run"; instructions: string };

/** Whether `text` is a comment AOS posted. */
export function isAosComment(text: string): boolean {
  return text.includes(AOS_COMMENT_MARKER);
}

/** The command of a comment whose first non-blank line starts with `/aos`, else null. */
export function parseCommand(text: string): Command | null {
  const trimmed = text.trimStart();
  const m = /^\/aos(?=\s|$)/i.exec(trimmed);
  if (!m) return null;
  const rest = trimmed.slice(m[0].length).trim();
  const word = /^(\S+)/.exec(rest)?.[1]?.toLowerCase() ?? "";
  if (word === "approve" && rest.slice(word.length).trim() === "") {
    return { action: "approve" };
  }
  if (word === "reject") {
    return { action: "reject", reason: rest.slice(word.length).trim() };
  }
  return { action: "run", instructions: rest };
}
