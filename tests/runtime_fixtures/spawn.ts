/** Starts fixture worker processes and reads their stdout line by line. */

const workerPath = new URL("./worker.ts", import.meta.url).pathname;

/** A running worker process. */
export class Worker {
  readonly #child: Deno.ChildProcess;
  readonly #lines: string[] = [];
  readonly #waiters: (() => void)[] = [];
  readonly #pump: Promise<void>;
  readonly #stderr: Promise<string>;
  #exited = false;

  constructor(kvPath: string, env: Record<string, string> = {}) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--unstable-kv", workerPath, kvPath],
      env,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#pump = this.#read();
    this.#stderr = new Response(this.#child.stderr).text();
  }

  async #read(): Promise<void> {
    let buffer = "";
    for await (
      const chunk of this.#child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      buffer += chunk;
      const parts = buffer.split("\n");
      buffer = parts.pop() ?? "";
      this.#lines.push(...parts);
      for (const w of this.#waiters.splice(0)) w();
    }
    this.#exited = true;
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Lines printed so far. */
  get lines(): readonly string[] {
    return this.#lines;
  }

  /** Waits until a line matches `pattern` (count times); throws if the process exits first. */
  async waitFor(pattern: RegExp, count = 1, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#lines.filter((l) => pattern.test(l)).length < count) {
      if (this.#exited) {
        throw new Error(
          `Worker exited before printing ${pattern}: ${await this.#stderr}`,
        );
      }
      if (Date.now() > deadline) {
        throw new Error(`Timed out waiting for ${pattern}`);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((r) => this.#waiters.push(r)),
        new Promise<void>((r) => (timer = setTimeout(r, 200))),
      ]);
      clearTimeout(timer);
    }
  }

  /** Kills with `signal` and waits for the exit; returns stderr. */
  async kill(signal: Deno.Signal = "SIGKILL"): Promise<string> {
    try {
      this.#child.kill(signal);
    } catch {
      // Already exited.
    }
    await this.#child.status;
    await this.#pump;
    return await this.#stderr;
  }
}

/** Starts a worker and waits until it is ready. */
export async function startWorker(
  kvPath: string,
  env: Record<string, string> = {},
): Promise<Worker> {
  const worker = new Worker(kvPath, env);
  try {
    await worker.waitFor(/^ready /);
  } catch (error) {
    await worker.kill();
    throw error;
  }
  return worker;
}
