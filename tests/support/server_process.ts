/** Runs `main.ts` as a separate process, as `deno task start` would. */
const root = new URL("../..", import.meta.url).pathname;

/** Spawns the service with `env` (stderr piped for `waitForPort`). */
export function startServer(env: Record<string, string>): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-kv", `${root}main.ts`],
    env,
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

/** Reads stderr until the listening line, returning the port; keeps draining after. */
export async function waitForPort(child: Deno.ChildProcess): Promise<number> {
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`Server exited before listening:\n${text}`);
    text += value;
    const match = text.match(/listening on http:\/\/[^:]+:(\d+)/);
    if (match) {
      // Keep draining so the child never blocks on a full pipe (and echo it
      // with AOS_TEST_SERVER_LOG=1, to see what a hanging test's server does).
      const echo = Deno.env.get("AOS_TEST_SERVER_LOG") === "1";
      if (echo) console.error(text);
      (async () => {
        try {
          while (true) {
            const { value, done } = await reader.read();
            if (done) break;
            if (echo) console.error(value);
          }
        } catch { /* closed */ }
      })();
      return Number(match[1]);
    }
  }
}
