/** Test support for the sandbox (imported by tests only). */
import { join } from "node:path";
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

/** The uid tests start the service side as to play an unprivileged deployment. */
export const NOBODY = 65534;

/**
 * `runCommand` from a child Deno process running as `uid` (via setpriv), as a
 * service deployed as a normal user would run it. When this process is not
 * root it already is such a user, and the command runs here.
 */
export async function runAsUser(
  uid: number,
  opts:
    & Partial<RunCommandOptions>
    & Pick<RunCommandOptions, "command" | "cwd" | "mode">,
  /** The service process's own environment (AOS_KV, HOME, …), beside PATH. */
  serviceEnv: Record<string, string> = {},
): ReturnType<typeof runCommand> {
  if (Deno.uid() !== 0) return await withEnv(serviceEnv, () => run(opts));
  const home = await Deno.makeTempDir({ prefix: "aos-user-home-" });
  try {
    await Deno.chown(home, uid, uid);
    const child = new URL(
      "../../tests/support/sandbox_child.ts",
      import.meta.url,
    );
    const out = await new Deno.Command("setpriv", {
      args: [
        `--reuid=${uid}`,
        `--regid=${uid}`,
        "--clear-groups",
        Deno.execPath(),
        "run",
        "-A",
        "--cached-only",
        "--config",
        new URL("../../deno.json", import.meta.url).pathname,
        child.pathname,
        JSON.stringify({ env: {}, timeoutMs: 30_000, ...opts }),
      ],
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: home,
        DENO_DIR: await userDenoDir(uid),
        ...serviceEnv,
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder();
    if (!out.success) {
      throw new Error(
        `sandbox child as uid ${uid} failed: ${text.decode(out.stderr)}`,
      );
    }
    return JSON.parse(text.decode(out.stdout));
  } finally {
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
}

/** Runs `fn` with `vars` set in this process's environment, restored after. */
export async function withEnv<T>(
  vars: Record<string, string>,
  fn: () => Promise<T>,
): Promise<T> {
  const previous = Object.keys(vars).map((k) => [k, Deno.env.get(k)] as const);
  for (const [k, v] of Object.entries(vars)) Deno.env.set(k, v);
  try {
    return await fn();
  } finally {
    for (const [k, v] of previous) {
      if (v === undefined) Deno.env.delete(k);
      else Deno.env.set(k, v);
    }
  }
}

/**
 * Whether a command with network was refused because pasta cannot serve this
 * user here (e.g. /dev/net/tun closed to it): setup failing closed, which is a
 * barrier too. The `hostNetwork` variants check the rest for that user.
 */
export function refusedNetwork(
  result: { exit_code: number | null; output: string },
): boolean {
  return result.exit_code === 125 &&
    /pasta cannot give it a network namespace/.test(result.output);
}

/*
 * A Deno dir from which another (unprivileged) user runs this repository's
 * modules without a download: this process's npm cache, hard-linked (copied
 * where links cannot cross filesystems) into a dir that user owns. Made once
 * per uid and process, removed when the process ends.
 */
const made = new Map<number, Promise<string>>();

/** The Deno dir for `uid` (pass it as DENO_DIR, with `--cached-only`). */
export function userDenoDir(uid: number): Promise<string> {
  let dir = made.get(uid);
  if (!dir) {
    dir = make(uid);
    made.set(uid, dir);
  }
  return dir;
}

async function make(uid: number): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  const { npmCache } = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    npmCache: string;
  };
  const dir = await Deno.makeTempDir({
    prefix: `aos-deno-${uid}-`,
    dir: "/var/tmp",
  });
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* already gone */ }
  });
  const linked = await new Deno.Command("cp", {
    args: ["-al", npmCache, join(dir, "npm")],
    stderr: "null",
  }).output();
  if (!linked.success) {
    await Deno.remove(join(dir, "npm"), { recursive: true }).catch(() => {});
    const copied = await new Deno.Command("cp", {
      args: ["-a", "--reflink=auto", npmCache, join(dir, "npm")],
    }).output();
    if (!copied.success) throw new Error(`Could not copy ${npmCache}`);
  }
  await Deno.chown(dir, uid, uid);
  return dir;
}
