/** The SE's function tools (DESIGN.md §5) and how one tool call is executed. */
import type { ChatCompletionTool } from "../../llm/client.ts";
import { ToolError } from "../../workspace/files.ts";

/** What the SE works through: a read-through view of the workspace that records writes. */
export interface EngineerWorkspace {
  listFiles(path?: string): Promise<string>;
  readFile(path: string): Promise<string>;
  searchFiles(pattern: string, path?: string): Promise<string>;
  writeFile(path: string, content: string): Promise<string>;
  editFile(path: string, oldText: string, newText: string): Promise<string>;
  deleteFile(path: string): Promise<string>;
  packet(): { writes: { path: string; content: string }[]; deletes: string[] };
  layout(maxEntries?: number): Promise<string>;
}

const str = (description: string) => ({ type: "string", description });

function tool(
  name: string,
  description: string,
  properties: Record<string, { type: string; description: string }>,
  required: string[],
): ChatCompletionTool {
  return {
    type: "function",
    function: {
      name,
      description,
      parameters: {
        type: "object",
        properties,
        required,
        additionalProperties: false,
      },
    },
  };
}

/** The SE's tools, exactly as in the agent tool protocol. */
export const SE_TOOLS: ChatCompletionTool[] = [
  tool(
    "list_files",
    "List files and directories under a directory of the repository (honours .gitignore).",
    {
      path: str(
        "Directory relative to the repository root; omit for the root.",
      ),
    },
    [],
  ),
  tool(
    "read_file",
    "Read a text file of the repository, including your own pending writes.",
    { path: str("File path relative to the repository root.") },
    ["path"],
  ),
  tool(
    "search_files",
    "Search file contents with a regular expression; returns matching lines as path:line: text.",
    {
      pattern: str("Regular expression to search for."),
      path: str(
        "Directory or file to search in, relative to the repository root; omit for all.",
      ),
    },
    ["pattern"],
  ),
  tool(
    "write_file",
    "Create or overwrite a file with the complete new content.",
    {
      path: str("File path relative to the repository root."),
      content: str("The full content of the file."),
    },
    ["path", "content"],
  ),
  tool(
    "edit_file",
    "Replace one exact occurrence of old_text with new_text in a file (old_text must match exactly once).",
    {
      path: str("File path relative to the repository root."),
      old_text: str(
        "Exact text to replace; include enough context to be unique.",
      ),
      new_text: str("Replacement text."),
    },
    ["path", "old_text", "new_text"],
  ),
  tool(
    "delete_file",
    "Delete a file of the repository.",
    { path: str("File path relative to the repository root.") },
    ["path"],
  ),
  tool(
    "finish",
    "End your turn once the task is done; your changes are then applied and the acceptance commands run.",
    { summary: str("A short summary of what you changed and why.") },
    ["summary"],
  ),
];

/** Names of the SE's tools. */
export const SE_TOOL_NAMES: string[] = SE_TOOLS.flatMap((t) =>
  t.type === "function" ? [t.function.name] : []
);

/** What executing one tool call produced. */
export type ToolOutcome =
  | { kind: "result"; text: string }
  | {
    kind: "error";
    text: string;
    reason: "invalid_arguments" | "unknown_tool" | "tool_error";
  }
  | { kind: "finish"; summary: string };

type Args = Record<string, unknown>;

/** Argument names per tool: [required strings, optional strings]. */
const SIGNATURES: Record<string, [string[], string[]]> = {
  list_files: [[], ["path"]],
  read_file: [["path"], []],
  search_files: [["pattern"], ["path"]],
  write_file: [["path", "content"], []],
  edit_file: [["path", "old_text", "new_text"], []],
  delete_file: [["path"], []],
  finish: [["summary"], []],
};

/** Parses and checks a tool call's arguments; returns the problem as text when they are unusable. */
export function parseArguments(name: string, raw: string): Args | string {
  const signature = SIGNATURES[name];
  if (!signature) return `unknown tool '${name}'`;
  let parsed: unknown;
  try {
    parsed = raw.trim() === "" ? {} : JSON.parse(raw);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return `arguments for ${name} are not valid JSON: ${reason}`;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return `arguments for ${name} must be a JSON object`;
  }
  const args = parsed as Args;
  const [required, optional] = signature;
  for (const key of required) {
    if (!(key in args)) return `arguments for ${name} are missing '${key}'`;
  }
  for (const key of [...required, ...optional]) {
    if (key in args && args[key] !== null && typeof args[key] !== "string") {
      return `arguments for ${name}: '${key}' must be a string, got ${typeof args[
        key
      ]}`;
    }
    if (required.includes(key) && typeof args[key] !== "string") {
      return `arguments for ${name}: '${key}' must be a string, got null`;
    }
  }
  return args;
}

const optionalString = (
  v: unknown,
) => (typeof v === "string" && v !== "" ? v : undefined);

/** Runs one tool call against the workspace; model-correctable problems come back as errors, not throws. */
export async function executeTool(
  workspace: EngineerWorkspace,
  name: string,
  rawArguments: string,
): Promise<ToolOutcome> {
  if (!SIGNATURES[name]) {
    return {
      kind: "error",
      reason: "unknown_tool",
      text: `Error: unknown tool '${name}'; available tools: ${
        SE_TOOL_NAMES.join(", ")
      }`,
    };
  }
  const args = parseArguments(name, rawArguments);
  if (typeof args === "string") {
    return {
      kind: "error",
      reason: "invalid_arguments",
      text: `Error: ${args}`,
    };
  }
  const s = (key: string) => args[key] as string;
  try {
    switch (name) {
      case "list_files":
        return {
          kind: "result",
          text: await workspace.listFiles(optionalString(args.path)),
        };
      case "read_file":
        return { kind: "result", text: await workspace.readFile(s("path")) };
      case "search_files":
        return {
          kind: "result",
          text: await workspace.searchFiles(
            s("pattern"),
            optionalString(args.path),
          ),
        };
      case "write_file":
        return {
          kind: "result",
          text: await workspace.writeFile(s("path"), s("content")),
        };
      case "edit_file":
        return {
          kind: "result",
          text: await workspace.editFile(
            s("path"),
            s("old_text"),
            s("new_text"),
          ),
        };
      case "delete_file":
        return { kind: "result", text: await workspace.deleteFile(s("path")) };
      default:
        return { kind: "finish", summary: s("summary") };
    }
  } catch (error) {
    if (error instanceof ToolError) {
      return {
        kind: "error",
        reason: "tool_error",
        text: `Error: ${error.message}`,
      };
    }
    throw error;
  }
}
