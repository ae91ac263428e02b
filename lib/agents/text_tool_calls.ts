/**
 * Tool calls a model wrote into its message text because the server did not
 * parse them (llama.cpp without a tool-call template, Ollama and vLLM without
 * a tool parser): Qwen/Hermes `<tool_call>{…}</tool_call>` blocks, ```json
 * fenced objects and bare JSON objects `{"name": …, "arguments": {…}}`
 * (also `"parameters"`, `"args"` or `"input"`, arguments as an object or a
 * JSON string, and OpenAI's `{"function": {"name", "arguments"}}` shape).
 * Only objects naming a known tool count. The text is hostile: one pass finds
 * the candidate objects, and at most a fixed number of them is parsed, so the
 * work is linear in the text's length.
 */

/** A tool call found in a message's text. */
export interface TextToolCall {
  name: string;
  /** The arguments as a JSON string (as the API would send them); `{}` when none were given. */
  arguments: string;
  /** Where the call's JSON object sits in the text: [start, end). */
  span: [number, number];
}

/** Longest text looked at: the model client's reply cap (a real reply is far shorter). */
const MAX_TEXT_CHARS = 4 * 1024 * 1024;
/** Candidate objects parsed per text at most (keeps hostile nesting linear). */
const MAX_PARSES = 24;
/** Calls taken from one text at most. */
const MAX_CALLS = 16;
/** Brace depth below which an object can still be a candidate (a call wrapped in `{"tool_calls": [...]}` sits at 2). */
const MAX_CANDIDATE_DEPTH = 3;
/** Nesting (objects and arrays) past which an object is no call: the parser's work on it is not linear. */
const MAX_NESTING = 64;

/** The keys that may hold a call's arguments, in order of preference. */
const ARGUMENT_KEYS = ["arguments", "parameters", "args", "input"] as const;

/**
 * The tool calls written in `text` naming a tool in `known`, in order of
 * appearance; nested objects inside an accepted call are never calls of
 * their own.
 */
export function parseTextToolCalls(
  text: string,
  known: ReadonlySet<string>,
  /** Filled with the work done (characters handed to the JSON parser), for tests. */
  stats: { parsedChars: number } = { parsedChars: 0 },
): TextToolCall[] {
  const source = text.length > MAX_TEXT_CHARS
    ? text.slice(0, MAX_TEXT_CHARS)
    : text;
  const mentions = knownMentions(source, known);
  if (mentions.length === 0) return [];
  const spans = candidateObjects(source);
  const calls: TextToolCall[] = [];
  let parses = 0;
  let acceptedEnd = -1;
  for (const [start, end] of spans) {
    if (calls.length >= MAX_CALLS || parses >= MAX_PARSES) break;
    if (start < acceptedEnd) continue; // inside a call already taken
    // Cheap filter before parsing: a call names a known tool somewhere in it.
    if (!mentionedWithin(mentions, start, end)) continue;
    const slice = source.slice(start, end);
    parses++;
    stats.parsedChars += slice.length;
    const value = parseLenient(slice);
    const call = value === undefined ? null : toCall(value, known);
    if (!call) continue;
    calls.push({ ...call, span: [start, end] });
    acceptedEnd = end;
  }
  return calls;
}

/** `text` with the given spans removed and the leftover markup (tags, empty fences) trimmed away. */
export function textWithoutCalls(
  text: string,
  calls: readonly TextToolCall[],
): string {
  let out = "";
  let at = 0;
  for (const call of calls) {
    out += text.slice(at, call.span[0]);
    at = call.span[1];
  }
  out += text.slice(at);
  return out
    .replace(/<\/?tool_call>/g, "")
    .replace(/```[a-z_]*\s*```/gi, "")
    .trim();
}

/**
 * The [start, end) spans of balanced `{…}` objects in `text`, sorted by
 * start (outer before inner), found in one pass that knows JSON strings.
 * Only objects opened at a shallow depth are candidates.
 */
function candidateObjects(text: string): [number, number][] {
  const spans: [number, number][] = [];
  const open: number[] = [];
  // Per candidate-level entry of `open`: nested too deep to be a call.
  const tooDeep: boolean[] = [];
  let arrays = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22 && open.length > 0) inString = true;
    else if (c === 0x7b /* { */) {
      if (open.length < MAX_CANDIDATE_DEPTH) tooDeep[open.length] = false;
      open.push(i);
    } else if (c === 0x7d /* } */ && open.length > 0) {
      const start = open.pop()!;
      if (open.length < MAX_CANDIDATE_DEPTH && !tooDeep[open.length]) {
        spans.push([start, i + 1]);
      }
    } else if (c === 0x5b /* [ */ && open.length > 0) arrays++;
    else if (c === 0x5d /* ] */ && arrays > 0) arrays--;
    else continue;
    if (open.length + arrays > MAX_NESTING) {
      tooDeep.fill(true, 0, Math.min(open.length, MAX_CANDIDATE_DEPTH));
    }
  }
  // An object left open at the end (a reply cut off) is no candidate.
  return spans.sort((a, b) => a[0] - b[0]);
}

/** Where a known tool's name appears quoted in `text`, in order (one regex pass). */
function knownMentions(text: string, known: ReadonlySet<string>): number[] {
  const names = [...known].filter((n) => /^[\w.-]+$/.test(n));
  if (names.length === 0) return [];
  const pattern = new RegExp(`"(?:${names.join("|")})"`, "g");
  const at: number[] = [];
  for (const match of text.matchAll(pattern)) at.push(match.index);
  return at;
}

/** Whether one of the sorted `mentions` lies in [start, end). */
function mentionedWithin(
  mentions: number[],
  start: number,
  end: number,
): boolean {
  let lo = 0;
  let hi = mentions.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (mentions[mid]! < start) lo = mid + 1;
    else hi = mid;
  }
  return lo < mentions.length && mentions[lo]! < end;
}

/**
 * JSON.parse, then once more with raw control characters inside strings
 * escaped (small models write file contents with real newlines), then with
 * Python's triple-quoted strings made JSON strings (Qwen2.5-Coder-1.5B wrote
 * `"content": """\ndef f(): …\n"""`).
 */
function parseLenient(slice: string): unknown {
  try {
    return JSON.parse(slice);
  } catch { /* try the repaired form */ }
  try {
    return JSON.parse(escapeControlsInStrings(slice));
  } catch { /* try the triple-quoted form */ }
  if (!slice.includes('"""')) return undefined;
  try {
    return JSON.parse(
      slice.replace(
        /"""([\s\S]*?)"""/g,
        (_, inner: string) => JSON.stringify(inner),
      ),
    );
  } catch {
    return undefined;
  }
}

function escapeControlsInStrings(slice: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < slice.length; i++) {
    const ch = slice[i]!;
    if (inString) {
      if (ch === "\\") {
        out += ch + (slice[i + 1] ?? "");
        i++;
        continue;
      }
      if (ch === '"') inString = false;
      else if (ch === "\n") {
        out += "\\n";
        continue;
      } else if (ch === "\r") {
        out += "\\r";
        continue;
      } else if (ch === "\t") {
        out += "\\t";
        continue;
      }
    } else if (ch === '"') inString = true;
    out += ch;
  }
  return out;
}

/** A call from a parsed object, when it names a known tool. */
function toCall(
  value: unknown,
  known: ReadonlySet<string>,
): { name: string; arguments: string } | null {
  if (!isRecord(value)) return null;
  // OpenAI's own shape: { type: "function", function: { name, arguments } }.
  const target = isRecord(value.function) ? value.function : value;
  const name = target.name ?? target.tool ?? target.tool_name;
  if (typeof name !== "string" || !known.has(name)) return null;
  const key = ARGUMENT_KEYS.find((k) => k in target);
  const args = key === undefined ? {} : target[key];
  // The tool list echoed back (a small model repeats its prompt): a tool's
  // declaration, with a description or a JSON schema, is no call.
  if ("description" in target || isSchema(args)) return null;
  if (typeof args === "string") {
    // Arguments given as a JSON string are passed on as sent; a broken one
    // reaches the tool's own check, which tells the model what is wrong.
    return { name, arguments: args.trim() === "" ? "{}" : args };
  }
  if (args === null || args === undefined) return { name, arguments: "{}" };
  return { name, arguments: JSON.stringify(args) };
}

/** Whether `value` is a JSON schema of an object (`{"type": "object", "properties": {…}}`). */
function isSchema(value: unknown): boolean {
  return isRecord(value) && value.type === "object" &&
    isRecord(value.properties);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
