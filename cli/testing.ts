/** Test helper: runs the `aos` CLI as a real subprocess, the way users run it. */

/** What a CLI run produced. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Raw stdout, for byte-exact comparisons. */
  stdoutBytes: Uint8Array;
}

const ROOT = new URL("../", import.meta.url).pathname;
const MAIN = new URL("./main.ts", import.meta.url).pathname;

/** Runs `deno run -A cli/main.ts ...args` with only `env` (plus PATH/HOME) set. */
export async function runAos(
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string } = {},
): Promise<CliResult> {
  const inherited: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR", "TMPDIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) inherited[name] = value;
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      "--config",
      `${ROOT}deno.json`,
      MAIN,
      ...args,
    ],
    cwd: opts.cwd ?? ROOT,
    clearEnv: true,
    env: { ...inherited, NO_COLOR: "1", ...opts.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
    stdoutBytes: out.stdout,
  };
}

/** A one-line description of a result, for assertion messages. */
export function describe(result: CliResult): string {
  return `exit ${result.code}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}
