/** The path policy: which repository paths an agent may touch, and how they resolve on disk. */
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { compileGlob, GlobError } from "../glob/mod.ts";

/** Globs relative to the repository root; `forbidden` wins over `allowed`. */
export interface PathPolicy {
  /** When non-empty, a writable path must match one of these. */
  allowed: string[];
  forbidden: string[];
}

/** A path broke the path policy; the message names the path and the rule. */
export class PathPolicyError extends Error {
  override name = "PathPolicyError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * A repository-relative path in POSIX form (`./` and `//` removed), or a
 * PathPolicyError for empty, absolute, `..`, control characters, backslashes, `.git`.
 */
export function normalizeRepoPath(p: string): string {
  const fail = (why: string) =>
    new PathPolicyError(`Path '${printable(p)}' ${why}`);
  if (typeof p !== "string" || p.trim() === "") throw fail("is empty");
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(p)) {
    throw fail("contains control characters");
  }
  if (p.includes("\\")) {
    throw fail("contains a backslash; use '/' as separator");
  }
  if (p.startsWith("/") || /^[A-Za-z]:/.test(p)) {
    throw fail("is absolute; use a path relative to the repository root");
  }
  const segments = p.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.length === 0) {
    throw fail("names the repository root, not a file");
  }
  if (segments.includes("..")) throw fail("contains '..'");
  if (segments.some((s) => s.toLowerCase() === ".git")) {
    throw fail("is inside '.git', which is always forbidden");
  }
  return segments.join("/");
}

/** Like normalizeRepoPath, but `""`, `"."` and `"./"` mean the repository root (returned as `""`). */
export function normalizeRepoDir(p: string | undefined): string {
  if (p === undefined || p.trim() === "" || /^(\.\/)*\.?$/.test(p.trim())) {
    return "";
  }
  return normalizeRepoPath(p);
}

/** Normalizes `p` and checks it against the policy's globs; returns the normalized path. */
export function checkWritable(p: string, policy: PathPolicy): string {
  const path = normalizeRepoPath(p);
  const candidates = withParents(path);
  for (const pattern of policy.forbidden) {
    if (candidates.some((c) => matches(pattern, c))) {
      throw new PathPolicyError(
        `Path '${path}' matches forbidden_paths pattern ${
          JSON.stringify(pattern)
        }`,
      );
    }
  }
  if (policy.allowed.length > 0) {
    const ok = policy.allowed.some((pattern) =>
      candidates.some((c) => matches(pattern, c))
    );
    if (!ok) {
      throw new PathPolicyError(
        `Path '${path}' is outside allowed_paths ${
          JSON.stringify(policy.allowed)
        }`,
      );
    }
  }
  return path;
}

/**
 * The absolute path of `rel` under `root`. Rejects a path whose existing parts
 * (parent directories or the file) are symlinks resolving outside `root`; with
 * `forWrite`, rejects any symlink on the way, the target included. `forDelete`
 * is like `forWrite` but allows the target itself to be a symlink (removing a
 * link never touches what it points to).
 */
export async function resolveInside(
  root: string,
  rel: string,
  opts: { forWrite?: boolean; forDelete?: boolean } = {},
): Promise<string> {
  const path = normalizeRepoPath(rel);
  const realRoot = await Deno.realPath(root);
  const segments = path.split("/");
  let current = realRoot;
  for (let i = 0; i < segments.length; i++) {
    current = join(current, segments[i] as string);
    const isTarget = i === segments.length - 1;
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(current);
    } catch (error) {
      // Missing, or under a file: nothing further down exists to be a symlink.
      if (
        error instanceof Deno.errors.NotFound ||
        error instanceof Deno.errors.NotADirectory
      ) break;
      throw error;
    }
    if (!info.isSymlink) continue;
    const shown = segments.slice(0, i + 1).join("/");
    if (opts.forWrite || (opts.forDelete && !isTarget)) {
      throw new PathPolicyError(
        `Path '${path}' goes through the symlink '${shown}'; writing through symlinks is not allowed`,
      );
    }
    if (opts.forDelete) break;
    let target: string;
    try {
      target = await Deno.realPath(current);
    } catch {
      // A dangling link: judge where it points to without following further.
      target = resolve(dirname(current), await Deno.readLink(current));
    }
    if (!isWithin(realRoot, target)) {
      throw new PathPolicyError(
        `Path '${path}' goes through the symlink '${shown}', which points outside the repository`,
      );
    }
  }
  return join(realRoot, path);
}

function isWithin(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === "" ||
    (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** `a/b/c` → `["a/b/c", "a/b", "a"]`, so a glob naming a directory covers what is inside it. */
function withParents(path: string): string[] {
  const parts = path.split("/");
  return parts.map((_, i) => parts.slice(0, parts.length - i).join("/"));
}

const matchers = new Map<string, (path: string) => boolean>();

function matches(pattern: string, path: string): boolean {
  const known = matchers.get(pattern);
  if (known) return known(path);
  // `dir/` means everything under dir; `./x` is the same as `x`; a pattern
  // without a slash (`*.py`) matches the file name at any depth, as in .gitignore.
  const glob = pattern.replace(/^(\.\/)+/, "").replace(/\/$/, "/**");
  let created: (path: string) => boolean;
  try {
    created = compileGlob(glob, { basename: !glob.includes("/") });
  } catch (error) {
    if (!(error instanceof GlobError)) throw error;
    throw new PathPolicyError(
      `Path pattern ${
        JSON.stringify(pattern)
      } cannot be used: ${error.message}`,
    );
  }
  matchers.set(pattern, created);
  return created(path);
}

function printable(p: string): string {
  return String(p).replace(
    // deno-lint-ignore no-control-regex
    /[\u0000-\u001f\u007f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}
