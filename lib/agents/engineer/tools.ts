/**
 * The SE's function tools (DESIGN §5), declared once each in one table:
 * name, description (what it returns and what it costs), zod arguments and
 * handler. The JSON schema sent to the model is generated from the zod
 * arguments, and the same schema checks each call.
 */
import { z } from "zod";
import type { ChatCompletionTool } from "../../llm/mod.ts";
import { checkArguments } from "./tool_arguments.ts";
import { NotADirectoryError, ToolError } from "../../workspace/mod.ts";
import { COMPACT_TOOLS, type PromptProfile } from "./compact.ts";

/** A page/window request; numbers are 1-based lines or 0-based entry offsets. */
type Window = { startLine?: number | undefined; endLine?: number | undefined };

/** What the SE works through: the working copy (lib/workspace/working_copy.ts). */
export interface EngineerWorkspace {
  listFiles(
    path?: string,
    opts?: { depth?: number | undefined; offset?: number | undefined },
  ): Promise<string>;
  readFile(path: string, window?: Window): Promise<string>;
  searchFiles(
    pattern: string,
    path?: string,
    opts?: { glob?: string | undefined; ignoreCase?: boolean | undefined },
  ): Promise<string>;
  writeFile(path: string, content: string): Promise<string>;
  editFile(path: string, oldText: string, newText: string): Promise<string>;
  deleteFile(path: string): Promise<string>;
  /** find_files; the tool is offered only when present. */
  findFiles?(glob: string, opts?: { offset?: number }): Promise<string>;
  /** run_command; the tool is offered only when present (`se_commands: false` leaves it out). */
  runCommand?:
    | ((
      command: string,
      opts?: {
        timeoutS?: number | undefined;
        signal?: AbortSignal | undefined;
      },
    ) => Promise<string>)
    | undefined;
  /** The pending changes: the SE packet's writes and deletes. */
  packet(): { writes: { path: string; content: string }[]; deletes: string[] };
  layout(maxEntries?: number): Promise<string>;
}

/** What executing one tool call produced. */
export type ToolOutcome =
  | { kind: "result"; text: string }
  | {
    kind: "error";
    text: string;
    reason: "invalid_arguments" | "unknown_tool" | "tool_error" | "timeout";
  }
  | { kind: "finish"; summary: string };

/**
 * Tools from outside the table (the work order's MCP servers, lib/mcp): their
 * names carry `prefix`, they are offered after the table's own, and they
 * bound their own calls' time. Their failures are outcomes, never throws.
 */
export interface ExternalTools {
  /** Every name of these tools starts with it (`mcp__`); no table tool does. */
  prefix: string;
  tools: ChatCompletionTool[];
  run(
    name: string,
    rawArguments: string,
    signal?: AbortSignal,
  ): Promise<ToolOutcome>;
}

/** What a handler gets besides its arguments. */
interface ToolContext {
  signal?: AbortSignal | undefined;
  /** The turn's external tools, when the work order has any. */
  external?: ExternalTools | undefined;
  /**
   * How long a file tool (everything but run_command, which has its own
   * timeouts) may take before it is abandoned with an error to the model
   * (default FILE_TOOL_TIMEOUT_MS).
   */
  timeoutMs?: number | undefined;
  /**
   * read_file (and list_files on a file) answer with the file's text as it is,
   * without the header and line numbers, when it is whole and short (the
   * compact profile: a 1.5B model copied "N<tab>" prefixes and the header
   * into the files it wrote).
   */
  plainRead?: boolean | undefined;
}

/** Longest file read_file shows plain (PLAIN_READ); longer ones keep their numbered windows. */
const PLAIN_READ_CHARS = 12_000;

/** The file's whole text when the context asks for plain reads and it is short; else the numbered window. */
async function readForModel(
  ws: EngineerWorkspace,
  path: string,
  window: Window,
  context: ToolContext,
): Promise<string> {
  const readText = (ws as {
    readText?: (p: string) => Promise<{ content: string }>;
  }).readText;
  if (
    context.plainRead && typeof readText === "function" &&
    window.startLine === undefined && window.endLine === undefined
  ) {
    const { content } = await readText.call(ws, path);
    if (content.length <= PLAIN_READ_CHARS) {
      return content === "" ? `(${path} is empty)` : content;
    }
  }
  return await ws.readFile(path, window);
}

/**
 * An edit's answer for plain reads (compact profile): the file as it is now
 * when it is short, in place of the numbered snippet, whose "N<tab>" lines a
 * 1.5B model copied into its next edit (bench/RESULTS.md).
 */
async function plainAfterEdit(
  ws: EngineerWorkspace,
  path: string,
  edited: string,
): Promise<string> {
  const readText = (ws as {
    readText?: (p: string) => Promise<{ content: string }>;
  }).readText;
  if (typeof readText !== "function") return edited;
  const { content } = await readText.call(ws, path);
  if (content.length > PLAIN_READ_CHARS) return edited;
  const head = edited.split("\n", 1)[0]!.split("; the file has")[0]!;
  return `${head}. ${path} now reads:\n${content}`;
}

/**
 * Why a write_file would lose most of an existing file, or null: the new
 * content keeps fewer than half of the file's distinct non-blank lines
 * (compact profile). A 1.5B model sent only the function it fixed as a
 * file's whole content, deleting the rest (bench/RESULTS.md); a complete
 * rewrite, or a new file, goes through.
 */
async function droppedLines(
  ws: EngineerWorkspace,
  path: string,
  content: string,
): Promise<string | null> {
  const readText = (ws as {
    readText?: (p: string) => Promise<{ content: string }>;
  }).readText;
  if (typeof readText !== "function") return null;
  let old: string;
  try {
    old = (await readText.call(ws, path)).content;
  } catch {
    return null; // a new file (or one the write itself will refuse)
  }
  const lines = (text: string) =>
    new Set(text.split("\n").map((l) => l.trim()).filter((l) => l !== ""));
  const before = lines(old);
  if (before.size < 4) return null;
  const after = lines(content);
  const kept = [...before].filter((l) => after.has(l)).length;
  if (kept * 2 >= before.size) return null;
  return `this write_file would drop ${
    before.size - kept
  } of the ${before.size} lines of '${path}', so nothing was written. ` +
    "write_file replaces the whole file: send all of its content. To change part of it, use edit_file " +
    "with old_text copied from the file and new_text its replacement.";
}

/** How long one file tool call may take: they are bounded reads and writes, so only a hang takes this long. */
export const FILE_TOOL_TIMEOUT_MS = 60_000;

interface ToolDefinition<S extends z.ZodObject> {
  name: string;
  description: string;
  args: S;
  /** Whether this workspace offers the tool (default: always). */
  offered?: (workspace: EngineerWorkspace) => boolean;
  run: (
    workspace: EngineerWorkspace,
    args: z.output<S>,
    context: ToolContext,
  ) => Promise<ToolOutcome>;
}

function define<S extends z.ZodObject>(
  tool: ToolDefinition<S>,
): ToolDefinition<z.ZodObject> {
  return tool as unknown as ToolDefinition<z.ZodObject>;
}

const result = (text: string): ToolOutcome => ({ kind: "result", text });
const path = (what: string) =>
  z.string().describe(`${what}, relative to the repository root`);
const count = (min: number) => z.number().int().min(min).max(1_000_000_000);

/** The SE's tools in the order offered; names and argument names are the protocol (never renamed). */
const TOOLS = [
  define({
    name: "list_files",
    description:
      "List a directory of the repository (honours .gitignore; your pending changes included). " +
      "One level by default: directories end with '/' and show how many files are below them. " +
      "At most 200 entries per answer; the last line then says how to get the next page (offset). Cheap.",
    args: z.object({
      path: path("Directory").optional().describe(
        "Directory relative to the repository root; omit for the root",
      ),
      depth: count(1).max(5).optional().describe(
        "Levels to show (1-5, default 1)",
      ),
      offset: count(0).optional().describe(
        "Entry to start from, as named by the previous answer's last line",
      ),
    }),
    run: async (ws, a, context) => {
      try {
        return result(
          await ws.listFiles(a.path, { depth: a.depth, offset: a.offset }),
        );
      } catch (error) {
        // Small models list a file to see it: show it, as read_file would.
        if (!(error instanceof NotADirectoryError) || a.path === undefined) {
          throw error;
        }
        return result(await readForModel(ws, a.path, {}, context));
      }
    },
  }),
  define({
    name: "find_files",
    description:
      "Find files whose path matches a glob ('*.py' matches names at any depth; 'src/**/test_*.ts' " +
      "from the root). Returns matching paths, at most 200 per answer with how to get the rest. Cheap.",
    args: z.object({
      glob: z.string().describe("Glob such as '*.md' or 'lib/**/*_test.ts'"),
      offset: count(0).optional().describe(
        "Match to start from, as named by the previous answer's last line",
      ),
    }),
    offered: (ws) => typeof ws.findFiles === "function",
    run: async (ws, a) =>
      result(
        await (ws.findFiles as NonNullable<EngineerWorkspace["findFiles"]>)(
          a.glob,
          a.offset === undefined ? {} : { offset: a.offset },
        ),
      ),
  }),
  define({
    name: "read_file",
    description:
      "Read a text file (your pending changes included) as numbered lines 'N<tab>text'. " +
      "Returns up to 300 lines (or about 20,000 characters) from start_line, the file's total line count, " +
      "and the start_line to read on with. Read only the part you need: large windows fill your context.",
    args: z.object({
      path: path("File path"),
      start_line: count(1).optional().describe(
        "First line to show (default 1)",
      ),
      end_line: count(1).optional().describe(
        "Last line to show (default start_line + 299)",
      ),
    }),
    run: async (ws, a, context) =>
      result(
        await readForModel(ws, a.path, {
          startLine: a.start_line,
          endLine: a.end_line,
        }, context),
      ),
  }),
  define({
    name: "search_files",
    description:
      "Search file contents (git grep; .gitignore honoured, binary files skipped, your pending changes " +
      "included) with a Perl-compatible regular expression. Returns matches grouped per file with line " +
      "numbers: at most 100 lines, 10 per file, plus the total count and the other files that match. Fast; " +
      "prefer it to reading files to find where something is.",
    args: z.object({
      pattern: z.string().describe(
        "Regular expression, e.g. 'def \\w+_total\\b'",
      ),
      path: path("File or directory to search in").optional().describe(
        "File or directory to search in, relative to the repository root; omit for all",
      ),
      glob: z.string().optional().describe(
        "Only files matching this glob, e.g. '*.py' (any depth) or 'src/**/*.ts'",
      ),
      ignore_case: z.boolean().optional().describe(
        "Match case-insensitively (default false)",
      ),
    }),
    run: async (ws, a) =>
      result(
        await ws.searchFiles(a.pattern, a.path, {
          glob: a.glob,
          ignoreCase: a.ignore_case,
        }),
      ),
  }),
  define({
    name: "write_file",
    description:
      "Create or overwrite a file with its complete new content (only paths the path rules allow). " +
      "Returns the line and byte count. For a small change to a large file use edit_file: it costs far fewer tokens.",
    args: z.object({
      path: path("File path"),
      content: z.string().describe("The full content of the file"),
    }),
    run: async (ws, a, context) => {
      if (context.plainRead) {
        const dropped = await droppedLines(ws, a.path, a.content);
        if (dropped) throw new ToolError(dropped);
      }
      return result(await ws.writeFile(a.path, a.content));
    },
  }),
  define({
    name: "edit_file",
    description:
      "Replace one exact occurrence of old_text with new_text in a file (old_text must match exactly once, " +
      "whitespace included, without read_file's line numbers). Returns the changed lines numbered with " +
      "3 lines of context; when old_text is not found, the closest lines of the file.",
    args: z.object({
      path: path("File path"),
      old_text: z.string().describe(
        "Exact text to replace; include enough lines to be unique",
      ),
      new_text: z.string().describe("Replacement text"),
    }),
    run: async (ws, a, context) => {
      const edited = await ws.editFile(a.path, a.old_text, a.new_text);
      return result(
        context.plainRead ? await plainAfterEdit(ws, a.path, edited) : edited,
      );
    },
  }),
  define({
    name: "delete_file",
    description: "Delete a file (only paths the path rules allow).",
    args: z.object({ path: path("File path") }),
    run: async (ws, a) => result(await ws.deleteFile(a.path)),
  }),
  define({
    name: "run_command",
    description:
      "Run a shell command (sh -c) in the repository root of your working copy, in a sandbox: no network, " +
      "only the repository writable, your pending changes applied. Use it to reproduce, run tests, lint. " +
      "Returns exit code, duration and output (head and tail, about 10 KB), and the files it changed: " +
      "those become part of your changes when the path rules allow them. Commands and command seconds " +
      "per turn are limited; this does not count as the acceptance run.",
    args: z.object({
      command: z.string().describe(
        "Shell command, e.g. 'python -m pytest -q tests/test_x.py'",
      ),
      timeout_s: count(1).optional().describe(
        "Seconds before the command is killed (default and upper bound: the work order's command_timeout_s)",
      ),
    }),
    offered: (ws) => typeof ws.runCommand === "function",
    run: async (ws, a, context) =>
      result(
        await (ws.runCommand as NonNullable<EngineerWorkspace["runCommand"]>)(
          a.command,
          { timeoutS: a.timeout_s, signal: context.signal },
        ),
      ),
  }),
  define({
    name: "finish",
    description:
      "End your turn once the task is done; your changes are then applied to a fresh checkout, the " +
      "acceptance commands run and a Product Owner reviews the diff.",
    args: z.object({
      summary: z.string().describe(
        "A short summary of what you changed and why",
      ),
    }),
    run: (_ws, a) => Promise.resolve({ kind: "finish", summary: a.summary }),
  }),
];

const BY_NAME = new Map(TOOLS.map((t) => [t.name, t]));

/** The model-facing JSON schema of a tool's arguments, from its zod schema. */
function parameters(schema: z.ZodObject): Record<string, unknown> {
  const json = z.toJSONSchema(schema) as Record<string, unknown>;
  delete json.$schema;
  // Bounds that only mean "an integer" cost tokens and tell the model nothing.
  for (const prop of Object.values(json.properties ?? {})) {
    const p = prop as Record<string, unknown>;
    if (p.maximum === 1_000_000_000) delete p.maximum;
  }
  return json;
}

function toChatTool(tool: ToolDefinition<z.ZodObject>): ChatCompletionTool {
  return {
    type: "function",
    function: {
      name: tool.name,
      description: tool.description,
      parameters: parameters(tool.args),
    },
  };
}

/** Every SE tool, exactly as in the agent tool protocol. */
export const SE_TOOLS: ChatCompletionTool[] = TOOLS.map(toChatTool);

/** Names of the SE's tools. */
export const SE_TOOL_NAMES: string[] = TOOLS.map((t) => t.name);

function offeredBy(workspace: EngineerWorkspace) {
  return TOOLS.filter((t) => t.offered?.(workspace) ?? true);
}

/** A tool as the compact profile shows it: its short description and only the arguments named. */
function compactTool(tool: ToolDefinition<z.ZodObject>): ChatCompletionTool[] {
  const short = COMPACT_TOOLS[tool.name];
  if (!short) return [];
  const keep = Object.fromEntries(short.args.map((a) => [a, true] as const));
  const schema = parameters(
    tool.args.pick(keep as Record<string, true>) as z.ZodObject,
  );
  // The argument names say enough (path, content, old_text, command): no descriptions.
  for (const prop of Object.values(schema.properties ?? {})) {
    delete (prop as Record<string, unknown>).description;
  }
  return [{
    type: "function",
    function: {
      name: tool.name,
      description: short.description,
      parameters: schema,
    },
  }];
}

/**
 * The tools this workspace offers (run_command only where SE commands are
 * allowed), described in full or, for the compact profile, briefly and fewer;
 * then the external ones (the work order's MCP servers), as they are.
 */
export function toolsFor(
  workspace: EngineerWorkspace,
  profile: PromptProfile = "full",
  external?: ExternalTools,
): ChatCompletionTool[] {
  const offered = offeredBy(workspace);
  return [
    ...(profile === "compact"
      ? offered.flatMap(compactTool)
      : offered.map(toChatTool)),
    ...(external?.tools ?? []),
  ];
}

/** Parses and checks a tool call's arguments; returns the problem as text when they are unusable. */
export function parseArguments(
  name: string,
  raw: string,
): Record<string, unknown> | string {
  const tool = BY_NAME.get(name);
  if (!tool) return `unknown tool '${name}'`;
  return checkArguments(name, tool.args, raw);
}

/** Runs one tool call against the workspace; model-correctable problems come back as errors, not throws. */
export async function executeTool(
  workspace: EngineerWorkspace,
  name: string,
  rawArguments: string,
  context: ToolContext = {},
): Promise<ToolOutcome> {
  const external = context.external;
  if (external && name.startsWith(external.prefix)) {
    context.signal?.throwIfAborted();
    return await external.run(name, rawArguments, context.signal);
  }
  const offered = offeredBy(workspace);
  const tool = offered.find((t) => t.name === name);
  if (!tool) {
    return {
      kind: "error",
      reason: "unknown_tool",
      text: `Error: unknown tool '${name}'; available tools: ${
        offered.map((t) => t.name).join(", ")
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
  try {
    return await bounded(
      tool.run(workspace, args, context),
      tool.name === "run_command"
        ? null
        : context.timeoutMs ?? FILE_TOOL_TIMEOUT_MS,
      context.signal,
      () => `${name} ${brief(rawArguments)}`,
    );
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

/**
 * `running` unless it outlasts `timeoutMs` (a timeout outcome naming the
 * call) or `signal` aborts (its reason is thrown): either way the turn goes
 * on without waiting for an await that may never return.
 */
async function bounded(
  running: Promise<ToolOutcome>,
  timeoutMs: number | null,
  signal: AbortSignal | undefined,
  call: () => string,
): Promise<ToolOutcome> {
  signal?.throwIfAborted();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const cut = new Promise<ToolOutcome>((resolve, reject) => {
    if (timeoutMs !== null) {
      timer = setTimeout(() =>
        resolve({
          kind: "error",
          reason: "timeout",
          text: `Error: ${call()} did not finish within ${
            timeoutMs / 1000
          } s and was abandoned; try another way (a narrower path, or run_command)`,
        }), timeoutMs);
    }
    onAbort = () => reject(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([running, cut]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
    // A call given up on may still fail later; that is no longer anyone's concern.
    running.catch(() => {});
  }
}

/** A call's arguments in a few characters, for a message. */
function brief(rawArguments: string): string {
  return rawArguments.length > 120
    ? `${rawArguments.slice(0, 120)}…`
    : rawArguments;
}
