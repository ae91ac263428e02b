/** The bubblewrap side of the sandbox: whether it works here, and the mount layout of a command. */
import { isAbsolute, join, relative, resolve } from "node:path";

/** HOME inside the sandbox: on the private /tmp, gone after the command. */
export const SANDBOX_HOME = "/tmp/home";

let probe: Promise<string | null> | null = null;

/** Null when bwrap can build the sandbox runCommand uses, else why not. Probed once per process. */
export function bwrapProblem(): Promise<string | null> {
  probe ??= (async () => {
    try {
      const out = await new Deno.Command("bwrap", {
        args: [
          "--ro-bind",
          "/",
          "/",
          "--dev",
          "/dev",
          "--proc",
          "/proc",
          "--unshare-all",
          "--die-with-parent",
          "--new-session",
          "true",
        ],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).output();
      if (out.success) return null;
      return new TextDecoder().decode(out.stderr).trim() ||
        `bwrap exited with code ${out.code}`;
    } catch (error) {
      return error instanceof Deno.errors.NotFound
        ? "bwrap is not installed"
        : String(error);
    }
  })();
  return probe;
}

/** bwrap arguments: read-only host, private /tmp and /dev, hidden dirs, the workspace writable, no network. */
export async function bwrapArgs(
  cwd: string,
  hideDirs: string[],
): Promise<string[]> {
  const args = [
    "--ro-bind",
    "/",
    "/",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    "--tmpfs",
    "/tmp",
  ];
  for (const dir of hideDirs) {
    const hide = resolve(dir);
    if (isInside(cwd, hide) || !(await isDir(hide))) continue;
    args.push("--tmpfs", hide);
  }
  // Objects a `git clone --shared` workspace borrows from the (hidden) mirror, read-only.
  for (const objects of await alternates(cwd)) {
    args.push("--ro-bind", objects, objects);
  }
  args.push("--bind", cwd, cwd);
  // The workspace's git metadata stays read-only: a command rewriting .git/config
  // could otherwise make AOS's own git calls (outside the sandbox) run its code.
  if (await isDir(join(cwd, ".git"))) {
    args.push("--ro-bind", join(cwd, ".git"), join(cwd, ".git"));
  }
  args.push(
    "--dir",
    SANDBOX_HOME,
    "--chdir",
    cwd,
    "--unshare-all",
    "--die-with-parent",
    "--new-session",
  );
  return args;
}

async function alternates(cwd: string): Promise<string[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(join(cwd, ".git/objects/info/alternates"));
  } catch {
    return [];
  }
  const dirs: string[] = [];
  for (const line of text.split("\n").map((l) => l.trim())) {
    if (!line || line.startsWith("#")) continue;
    const dir = resolve(join(cwd, ".git/objects"), line);
    if (await isDir(dir)) dirs.push(dir);
  }
  return dirs;
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

/** Whether `path` is `dir` or inside it. */
function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}
