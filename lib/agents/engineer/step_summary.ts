/**
 * What one SE tool step says to a watcher: the tool, the path it named, the
 * command (shortened) and whether it worked — never file contents, which are
 * code and may be large. The model wrote the arguments, so they are read
 * defensively: anything that is not a short string is left out.
 */

/** One SE tool step as the `SE_STEP` event carries it. */
export interface SeStep {
  /** The model reply this call came from (1-based). */
  step: number;
  tool: string;
  ok: boolean;
  path?: string;
  command?: string;
  /** Why it did not work (the refusal reason), when it did not. */
  reason?: string;
  duration_ms: number;
}

/** Longest path or glob kept in a step. */
const MAX_PATH_CHARS = 200;
/** Longest command text kept in a step. */
const MAX_COMMAND_CHARS = 200;

/** The step's summary from the call's raw JSON arguments and its outcome. */
export function stepSummary(opts: {
  step: number;
  tool: string;
  rawArguments: string;
  error?: string | undefined;
  durationMs: number;
  /** Masks secrets; applied before text is shortened, so no secret is cut in half. */
  redact?: (text: string) => string;
}): SeStep {
  const redact = opts.redact ?? ((text: string) => text);
  const args = parseObject(opts.rawArguments);
  const path = firstString(args, ["path", "glob", "pattern"]);
  const command = opts.tool === "run_command"
    ? firstString(args, ["command"])
    : undefined;
  return {
    step: opts.step,
    tool: oneLine(opts.tool, 80),
    ok: opts.error === undefined,
    ...(path !== undefined
      ? { path: oneLine(redact(path), MAX_PATH_CHARS) }
      : {}),
    ...(command !== undefined
      ? { command: oneLine(redact(command), MAX_COMMAND_CHARS) }
      : {}),
    ...(opts.error !== undefined ? { reason: oneLine(opts.error, 80) } : {}),
    duration_ms: Math.round(opts.durationMs),
  };
}

/** Text on one line, control characters shown as spaces, cut at `max` characters. */
export function oneLine(text: string, max: number): string {
  // deno-lint-ignore no-control-regex -- control characters are what is removed
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ");
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function parseObject(raw: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed !== null && typeof parsed === "object" &&
        !Array.isArray(parsed)
      ? parsed as Record<string, unknown>
      : {};
  } catch {
    return {};
  }
}

function firstString(
  args: Record<string, unknown>,
  keys: string[],
): string | undefined {
  for (const key of keys) {
    const value = args[key];
    if (typeof value === "string") return value;
  }
  return undefined;
}
