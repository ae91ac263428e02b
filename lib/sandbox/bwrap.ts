/** The bubblewrap side of the sandbox: whether it works here, and the mount layout of a command. */
import { join, resolve } from "node:path";
import {
  isInside,
  pathsToMask,
  servicePaths,
  systemMounts,
  unreadableEtc,
} from "./visible.ts";

/** HOME inside the sandbox: on the private /tmp, gone after the command. */
export const SANDBOX_HOME = "/tmp/home";

/** The uid and gid a sandboxed command runs as: never root, whoever started the service. */
export const SANDBOX_UID = 1000;

/**
 * No capabilities, a non-root uid in a user namespace of its own, and no way to
 * make another one (which would hand the command a fresh set of capabilities).
 * bwrap always sets no_new_privs, so setuid binaries gain nothing either.
 */
const UNPRIVILEGED = [
  "--unshare-user",
  "--uid",
  String(SANDBOX_UID),
  "--gid",
  String(SANDBOX_UID),
  "--cap-drop",
  "ALL",
  "--disable-userns",
];

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
          ...UNPRIVILEGED,
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

/** Options of bwrapArgs() beyond the workspace and the hidden dirs. */
export interface BwrapLayout {
  /** Share the host's network (setup commands only); default: a private namespace with only `lo`. */
  network?: boolean;
  /**
   * Where the workspace appears inside the sandbox (default: its host path).
   * Must exist on the host or lie under a hidden dir, whose tmpfs bwrap can create it in.
   */
  mountAt?: string;
  /** Further `--ro-bind SRC DEST` arguments, after the masks (the egress proxy's socket and bridge). */
  binds?: readonly string[];
}

/**
 * bwrap arguments. An allow-list: an empty root with the system dirs read-only
 * (the service's files and unreadable /etc entries masked inside them), a
 * private /tmp, /dev and /proc, the workspace writable with its .git
 * read-only, the mirror objects it borrows read-only. Nothing else of the host
 * exists inside. No network unless asked; no capabilities, never root.
 */
export async function bwrapArgs(
  cwd: string,
  hideDirs: string[],
  layout: BwrapLayout = {},
): Promise<string[]> {
  const inside = resolve(layout.mountAt ?? cwd);
  const args: string[] = [];
  for (const mount of await systemMounts()) {
    if (mount.kind === "symlink") {
      args.push("--symlink", mount.target, mount.path);
    } else args.push("--ro-bind", mount.path, mount.path);
  }
  args.push(
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    "--tmpfs",
    "/tmp",
    "--tmpfs",
    "/var/tmp",
    "--dir",
    "/run",
  );
  const masks = await pathsToMask([
    ...hideDirs.map((d) => resolve(d)),
    ...servicePaths(),
    ...await unreadableEtc(),
  ]);
  for (const path of masks) {
    // Never mask the workspace or part of it; an ancestor is masked and the workspace bound back below.
    if (isInside(cwd, path)) continue;
    const info = await Deno.stat(path).catch(() => null);
    if (info?.isDirectory) args.push("--tmpfs", path);
    else if (info) args.push("--ro-bind", "/dev/null", path);
  }
  // Objects a `git clone --shared` workspace borrows from the (invisible) mirror, read-only.
  for (const objects of await alternates(cwd)) {
    args.push("--ro-bind", objects, objects);
  }
  args.push("--bind", cwd, inside);
  // The workspace's git metadata stays read-only: a command rewriting .git/config
  // could otherwise make AOS's own git calls (outside the sandbox) run its code.
  if (await isDir(join(cwd, ".git"))) {
    args.push("--ro-bind", join(cwd, ".git"), join(inside, ".git"));
  }
  if (layout.network) {
    // A resolv.conf that links outside the allow-list (systemd-resolved's /run) is bound in.
    const resolver = await Deno.realPath("/etc/resolv.conf").catch(() => null);
    if (resolver && resolver !== "/etc/resolv.conf") {
      args.push("--ro-bind", resolver, resolver);
    }
  }
  args.push(...layout.binds ?? []);
  args.push(
    "--dir",
    SANDBOX_HOME,
    "--chdir",
    inside,
    "--unshare-all",
    ...(layout.network ? ["--share-net"] : []),
    ...UNPRIVILEGED,
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
