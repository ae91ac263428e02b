/**
 * Operator secrets for commands (AOS_SECRETS): a JSON map of name → value,
 * inline or `@/path/file.json`, read once at start. A work order names the
 * ones its acceptance (and, with `setup_secrets`, setup) commands get as
 * environment variables; the SE's commands and the model never get them, and
 * every value is redacted wherever the service writes text.
 */
import { envNameProblem } from "../work_order/mod.ts";

/** Values shorter than this are refused: redaction would miss them (and their encodings) in ordinary text. */
export const MIN_SECRET_CHARS = 8;

/** How many secrets AOS_SECRETS may hold. */
const MAX_SECRETS = 200;

/** The operator's secrets; the values stay in a private field so a logged or serialised config never shows them. */
export class CommandSecrets {
  readonly #values: ReadonlyMap<string, string>;

  constructor(values: ReadonlyMap<string, string> = new Map()) {
    this.#values = values;
  }

  /** No secrets. */
  static readonly none: CommandSecrets = new CommandSecrets();

  /** The names work orders may ask for, sorted. */
  names(): string[] {
    return [...this.#values.keys()].sort();
  }

  /** Whether `name` is one of them. */
  has(name: string): boolean {
    return this.#values.has(name);
  }

  /** Every value, for the redactor. */
  values(): string[] {
    return [...this.#values.values()];
  }

  /** The environment variables for `names` (unknown names are skipped: the work order was checked at submit). */
  env(names: readonly string[]): Record<string, string> {
    const env: Record<string, string> = {};
    for (const name of names) {
      const value = this.#values.get(name);
      if (value !== undefined) env[name] = value;
    }
    return env;
  }

  /** Names only: a config printed for debugging shows no value. */
  toJSON(): { names: string[] } {
    return { names: this.names() };
  }
}

/** What reading AOS_SECRETS gave: the secrets, and problems that name a key or the file, never a value. */
export interface SecretsResult {
  secrets: CommandSecrets;
  issues: string[];
}

/** Reads AOS_SECRETS (`raw`: a JSON object, or `@path` of a file holding one). */
export function readCommandSecrets(
  raw: string | null,
  readTextFile: (path: string) => string = Deno.readTextFileSync,
): SecretsResult {
  const issues: string[] = [];
  let text = raw?.trim() ?? "";
  if (text.startsWith("@")) {
    const path = text.slice(1).trim();
    try {
      text = readTextFile(path);
    } catch (error) {
      const why = error instanceof Error ? error.name : "error";
      issues.push(`Could not read secrets file '${path}' (${why})`);
      text = "";
    }
  }
  if (text.trim() === "") return { secrets: CommandSecrets.none, issues };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // The parser's message quotes the text around the error: it may hold a value.
    issues.push("Is not valid JSON (expected an object of NAME: value)");
    return { secrets: CommandSecrets.none, issues };
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    issues.push("Must be a JSON object of NAME: value");
    return { secrets: CommandSecrets.none, issues };
  }
  const values = new Map<string, string>();
  const entries = Object.entries(data);
  if (entries.length > MAX_SECRETS) {
    issues.push(`Must hold at most ${MAX_SECRETS} secrets`);
  }
  for (const [name, value] of entries.slice(0, MAX_SECRETS)) {
    const nameProblem = envNameProblem(name);
    if (nameProblem !== null) {
      issues.push(`Secret name: ${nameProblem}`);
    } else if (typeof value !== "string") {
      issues.push(`Secret '${name}' must be a string`);
    } else if (value.trim().length < MIN_SECRET_CHARS) {
      issues.push(
        `Secret '${name}' must be at least ${MIN_SECRET_CHARS} characters: shorter values cannot be told apart from ordinary text when redacting`,
      );
    } else if (/[\0\r\n]/.test(value)) {
      issues.push(`Secret '${name}' must be one line without NUL characters`);
    } else {
      values.set(name, value);
    }
  }
  return {
    secrets: issues.length > 0
      ? CommandSecrets.none
      : new CommandSecrets(values),
    issues,
  };
}
