/**
 * What a sandboxed command may see: an allow-list of the host's system
 * directories (read-only), and inside them the service's own files masked —
 * the KV, WORKSPACE_ROOT, credential files, $HOME, the service's source — plus
 * every file under /etc that the host's other users could not read (shadow
 * files, private keys). Everything not listed is absent: the sandbox's root is
 * an empty tmpfs.
 */
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Host directories bound read-only when present: what toolchains need (binaries, libraries, config, certificates). */
export const SYSTEM_DIRS = [
  "/usr",
  "/bin",
  "/sbin",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
  "/etc",
  "/opt",
  "/sys",
];

/** How one host path appears inside: bound read-only, or a symlink as on the host (merged /usr). */
export type SystemMount =
  | { kind: "bind"; path: string }
  | { kind: "symlink"; path: string; target: string };

/** The system dirs present on this host, as bind mounts or symlinks. */
export async function systemMounts(): Promise<SystemMount[]> {
  const mounts: SystemMount[] = [];
  for (const path of SYSTEM_DIRS) {
    const info = await Deno.lstat(path).catch(() => null);
    if (info?.isSymlink) {
      mounts.push({ kind: "symlink", path, target: await Deno.readLink(path) });
    } else if (info?.isDirectory) {
      mounts.push({ kind: "bind", path });
    }
  }
  return mounts;
}

/** Environment variables that name the service's files (read from the service's own environment). */
export interface ServiceEnv {
  AOS_KV?: string | undefined;
  WORKSPACE_ROOT?: string | undefined;
  AOS_GIT_CREDENTIALS?: string | undefined;
  AOS_SECRETS?: string | undefined;
  HOME?: string | undefined;
}

/** The service's source tree: two levels above this file (lib/sandbox/). */
export function serviceRoot(): string | null {
  const url = new URL("../../", import.meta.url);
  return url.protocol === "file:" ? fileURLToPath(url) : null;
}

/**
 * Paths that belong to the service and must never be visible in a sandbox:
 * the KV's directory, WORKSPACE_ROOT, `@file` credentials and secrets, $HOME,
 * the service's source. They are outside the allow-list in a normal layout;
 * these are what gets masked when one lies inside a system dir after all.
 */
export function servicePaths(
  env: ServiceEnv = Deno.env.toObject(),
): string[] {
  const paths: string[] = [];
  const kv = env.AOS_KV ?? "./.aos/aos.kv";
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(kv)) {
    const file = resolve(kv);
    // SQLite keeps -wal/-shm/-journal files beside the database.
    paths.push(dirname(file), file, `${file}-wal`, `${file}-shm`);
    paths.push(`${file}-journal`);
  }
  paths.push(resolve(env.WORKSPACE_ROOT ?? "/tmp/aos/workspaces"));
  for (const value of [env.AOS_GIT_CREDENTIALS, env.AOS_SECRETS]) {
    const text = value?.trim();
    if (text?.startsWith("@")) paths.push(resolve(text.slice(1).trim()));
  }
  if (env.HOME) paths.push(resolve(env.HOME));
  paths.push("/root");
  const root = serviceRoot();
  if (root) paths.push(resolve(root));
  return paths;
}

/**
 * Entries under `root` (/etc) that other users of the host cannot read: files
 * without the world-read bit, directories without world read+search. As root,
 * the sandbox's uid maps to the owner of root's files, so these are masked by
 * listing, not left to permissions. Scanned for every command (~15 ms for
 * Debian's /etc), so a secret added while the service runs is masked too.
 */
export async function unreadableEtc(root = "/etc"): Promise<string[]> {
  const found: string[] = [];
  const entries: Deno.DirEntry[] = [];
  try {
    for await (const entry of Deno.readDir(root)) entries.push(entry);
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (entry.isSymlink) continue;
    const path = join(root, entry.name);
    const info = await Deno.lstat(path).catch(() => null);
    if (!info?.mode) continue;
    const other = info.mode & 0o007;
    if (entry.isDirectory) {
      if ((other & 0o005) !== 0o005) found.push(path);
      else found.push(...await unreadableEtc(path));
    } else if ((other & 0o004) === 0) {
      found.push(path);
    }
  }
  return found;
}

/** Whether `path` is `dir` or inside it. */
export function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/**
 * The paths among `candidates` that would be visible through a bound system
 * dir and so need a mask, by their real paths (a bind shows the real tree; a
 * symlink to elsewhere points at nothing inside). A candidate holding a whole
 * system dir (HOME=/) cannot be masked without breaking every command; only
 * that system dir of it is visible then. Paths that do not exist are skipped.
 */
export async function pathsToMask(candidates: string[]): Promise<string[]> {
  const bound = (await systemMounts())
    .filter((m) => m.kind === "bind")
    .map((m) => m.path);
  const out = new Set<string>();
  for (const path of candidates) {
    const real = await Deno.realPath(path).catch(() => null);
    if (!real || bound.some((dir) => isInside(real, dir))) continue;
    if (bound.some((dir) => isInside(dir, real))) out.add(real);
  }
  return [...out];
}
