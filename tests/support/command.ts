/** Running a program in a test's setup, where any failure is the test's failure. */

/** Options of `runCommand`. */
export interface RunCommandOptions {
  cwd?: string;
  /** Variables added to the inherited environment. */
  env?: Record<string, string>;
}

/**
 * Runs `program` with `args` and returns its stdout; throws naming the
 * command line, with its stderr, when it exits non-zero.
 */
export async function runCommand(
  program: string,
  args: string[],
  opts: RunCommandOptions = {},
): Promise<string> {
  const out = await new Deno.Command(program, {
    args,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.env ? { env: opts.env } : {}),
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `${program} ${args.join(" ")} failed: ${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}
