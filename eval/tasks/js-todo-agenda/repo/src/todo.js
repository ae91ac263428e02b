// Parsing todo lines: "[x] (A) Pay rent due:2026-01-05".

const LINE = /^\[( |x)\]\s+(?:\(([A-Z])\)\s+)?(.*?)(?:\s+due:(\d{4}-\d{2}-\d{2}))?\s*$/;

/** A todo from one line, or null when the line is not a todo. */
export function parseTodo(line) {
  const match = LINE.exec(line);
  if (!match) return null;
  return {
    done: match[1] === "x",
    priority: match[2] ?? null,
    text: match[3],
    due: match[4] ?? null,
  };
}

/** The todos of a multi-line text, skipping lines that are not todos. */
export function parseTodos(text) {
  return text.split("\n").map(parseTodo).filter((todo) => todo !== null);
}
