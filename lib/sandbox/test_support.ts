/** Test support for the sandbox (imported by tests only). */
import { runCommand, type RunCommandOptions } from "./sandbox.ts";

/** `runCommand` with no environment and a 30 s timeout unless `opts` says otherwise. */
export function run(
  opts:
    & Partial<RunCommandOptions>
    & Pick<RunCommandOptions, "command" | "cwd" | "mode">,
): ReturnType<typeof runCommand> {
  return runCommand({ env: {}, timeoutMs: 30_000, ...opts });
}

/**
 * Runs `fn` with a TCP listener on the host's loopback (it accepts and drops
 * connections) and a shell command that prints `connected` if it reaches it.
 */
export async function withLoopbackProbe(
  fn: (probe: string) => Promise<void>,
): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = (async () => {
    for await (const conn of listener) conn.close();
  })();
  try {
    const { port } = listener.addr as Deno.NetAddr;
    await fn(`bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port}' && echo connected`);
  } finally {
    listener.close();
    await accepting.catch(() => {});
  }
}
