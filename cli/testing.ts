/**
 * Test helpers (imported by tests only): run the `aos` CLI as a real
 * subprocess, the way users run it, and a real loopback server for the CLI's
 * client code to talk to.
 */

/** What a CLI run produced. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Raw stdout, for byte-exact comparisons. */
  stdoutBytes: Uint8Array;
}

/** Options of `runAos` and `spawnAos`. */
export interface AosRunOptions {
  /** Environment of the CLI (PATH, HOME, DENO_DIR, TMPDIR are passed through). */
  env?: Record<string, string>;
  cwd?: string;
}

const ROOT = new URL("../", import.meta.url).pathname;
const MAIN = new URL("./main.ts", import.meta.url).pathname;

/** The `deno run … cli/main.ts` command with a clean environment. */
function aosCommand(args: string[], opts: AosRunOptions): Deno.Command {
  const inherited: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR", "TMPDIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) inherited[name] = value;
  }
  return new Deno.Command(Deno.execPath(), {
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
  });
}

/** Runs `aos ...args` to completion. */
export async function runAos(
  args: string[],
  opts: AosRunOptions = {},
): Promise<CliResult> {
  const out = await aosCommand(args, opts).output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
    stdoutBytes: out.stdout,
  };
}

/** A CLI process still running. */
export interface AosProcess {
  /** Resolves with the first stdout line (or all of stdout if it ends first). */
  firstLine: Promise<string>;
  /** Resolves when the process has exited and its output is drained. */
  result: Promise<CliResult>;
  /** Sends `signal`, SIGTERM by default (no-op once exited). */
  kill(signal?: Deno.Signal): void;
}

/** Starts `aos ...args` in the background. */
export function spawnAos(args: string[], opts: AosRunOptions = {}): AosProcess {
  const child = aosCommand(args, opts).spawn();
  let stdout = "";
  let resolveFirst: (line: string) => void = () => {};
  const firstLine = new Promise<string>((resolve) => resolveFirst = resolve);
  const drained = (async () => {
    for await (
      const chunk of child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      stdout += chunk;
      const newline = stdout.indexOf("\n");
      if (newline >= 0) resolveFirst(stdout.slice(0, newline));
    }
    resolveFirst(stdout);
  })();
  const stderr = new Response(child.stderr).text();
  const result = (async () => {
    const [status, , errText] = await Promise.all([
      child.status,
      drained,
      stderr,
    ]);
    return {
      code: status.code,
      stdout,
      stderr: errText,
      stdoutBytes: new TextEncoder().encode(stdout),
    };
  })();
  let exited = false;
  child.status.then(() => exited = true);
  return {
    firstLine,
    result,
    kill(signal: Deno.Signal = "SIGTERM") {
      if (!exited) {
        try {
          child.kill(signal);
        } catch { /* already gone */ }
      }
    },
  };
}

/** A multi-line description of a result, for assertion messages. */
export function describe(result: CliResult): string {
  return `exit ${result.code}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}

/** A server on a loopback port: its URL and how to close it. */
export interface TestServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `handler` on a free loopback port. */
export function serve(
  handler: (req: Request) => Response | Promise<Response>,
): TestServer {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    handler,
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    close: () => server.shutdown(),
  };
}

/** The URL of a loopback server that has just closed: connecting is refused. */
export async function refusedUrl(): Promise<string> {
  const server = serve(() => new Response("gone"));
  await server.close();
  return server.url;
}
