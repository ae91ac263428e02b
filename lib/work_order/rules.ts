/**
 * Field rules of work orders that zod has no built-in for: git ref names,
 * repository locations, path globs, environment names. Each returns null when
 * the value is fine, else the broken rule in sentence case.
 */
import picomatch from "picomatch";
import { compileGlob } from "../glob/mod.ts";

/** Longest accepted ref name (bytes), repository location, glob or path. */
const MAX_REF = 255;
/**
 * Longest path component of a ref, in UTF-8 bytes: git writes
 * `refs/heads/<component>.lock` on the remote, and file names stop at 255.
 */
const MAX_REF_COMPONENT = 250;
const MAX_REPO = 2048;
const MAX_PATH = 1024;

// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;
const CONTROL_ALL = new RegExp(CONTROL.source, "g");

/** Quotes a user value for a message, shortened. */
export function quote(value: string): string {
  const short = value.length > 80 ? `${value.slice(0, 77)}...` : value;
  return `'${
    short.replace(CONTROL_ALL, (c) =>
      `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`)
  }'`;
}

/** The rule of `git check-ref-format --branch` that `name` breaks, or null. */
export function refNameProblem(name: string): string | null {
  if (name === "") return "Must not be empty";
  const bytes = utf8Length(name);
  if (bytes > MAX_REF) {
    return `Must be at most ${MAX_REF} bytes, got ${bytes}`;
  }
  if (name === "@") return "Must not be '@'";
  if (name.startsWith("-")) {
    return `Must not start with '-', got ${quote(name)}`;
  }
  if (CONTROL.test(name) || /[ ~^:?*[\\]/.test(name)) {
    return `Must not contain spaces, control characters or any of ~ ^ : ? * [ \\, got ${
      quote(name)
    }`;
  }
  if (name.includes("..")) return `Must not contain '..', got ${quote(name)}`;
  if (name.includes("@{")) return `Must not contain '@{', got ${quote(name)}`;
  if (name.startsWith("/") || name.endsWith("/") || name.includes("//")) {
    return `Must not start or end with '/' or contain '//', got ${quote(name)}`;
  }
  if (name.endsWith(".")) return `Must not end with '.', got ${quote(name)}`;
  for (const part of name.split("/")) {
    if (part.startsWith(".")) {
      return `No path component may start with '.', got ${quote(name)}`;
    }
    if (part.endsWith(".lock")) {
      return `No path component may end with '.lock', got ${quote(name)}`;
    }
    if (utf8Length(part) > MAX_REF_COMPONENT) {
      return `No path component may be over ${MAX_REF_COMPONENT} bytes (git adds '.lock' and file names stop at 255), got ${
        quote(name)
      }`;
    }
  }
  return null;
}

/**
 * The rule a branch AOS creates and pushes breaks, or null: a ref name as
 * above, and, like `git check-ref-format --branch`, not `HEAD`; a full ref
 * (`refs/heads/x`) would become the branch `refs/heads/refs/heads/x`.
 */
export function pushBranchProblem(name: string): string | null {
  const problem = refNameProblem(name);
  if (problem !== null) return problem;
  if (name === "HEAD") return "Must not be 'HEAD' (git reserves it)";
  if (name.startsWith("refs/")) {
    const short = name.replace(/^refs\/(?:heads\/)?/, "");
    return `Must be a branch name, not a full ref: got ${quote(name)}${
      short !== "" ? `, use ${quote(short)}` : ""
    }`;
  }
  return null;
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** True when `name` is a valid git branch name. */
export function isValidRefName(name: string): boolean {
  return refNameProblem(name) === null;
}

const ALLOWED_SCHEMES = new Set(["https:", "http:", "ssh:", "file:"]);
const SCP_LIKE = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:/;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/** The rule a model name breaks, or null: 1–200 printable characters without spaces or quotes. */
export function modelNameProblem(name: string): string | null {
  if (name === "") return "Must not be empty";
  if (name.length > 200) return "Must be at most 200 characters";
  if (!/^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$/.test(name)) {
    return `Must be a model name (letters, digits and . _ : / @ + -), got ${
      quote(name)
    }`;
  }
  return null;
}

/** The rule a repository location breaks, or null. */
export function repoProblem(repo: string): string | null {
  if (repo === "") return "Must not be empty";
  if (repo.length > MAX_REPO) return `Must be at most ${MAX_REPO} characters`;
  if (/\s/.test(repo) || CONTROL.test(repo)) {
    return `Must not contain whitespace or control characters, got ${
      quote(repo)
    }`;
  }
  if (repo.startsWith("-")) {
    return `Must not start with '-', got ${quote(repo)}`;
  }
  if (SCP_LIKE.test(repo) && !repo.includes("://")) {
    return hasDotDot(repo.slice(repo.indexOf(":") + 1))
      ? dotDotMessage(repo)
      : null;
  }
  const scheme = SCHEME.exec(repo)?.[1];
  if (scheme === undefined) return localPathProblem(repo);
  const protocol = `${scheme.toLowerCase()}:`;
  if (
    !ALLOWED_SCHEMES.has(protocol) ||
    !repo.slice(scheme.length).startsWith("://")
  ) {
    return `Unsupported scheme '${scheme}:' (use https://, http://, ssh://, git@host:path, file:// or a local path)`;
  }
  let url: URL;
  try {
    url = new URL(repo);
  } catch {
    return `Is not a valid URL, got ${quote(repo)}`;
  }
  if (
    protocol !== "file:" &&
    (url.hostname === "" || /^[/\\]/.test(repo.slice(scheme.length + 3)))
  ) {
    return `Must name a host, got ${quote(repo)}`;
  }
  if (url.password !== "" || (url.username !== "" && protocol !== "ssh:")) {
    return "Must not contain credentials: the service sends the token configured for this host in AOS_GIT_CREDENTIALS (GITHUB_TOKEN for github.com) itself, per git command as an HTTP Authorization header, over https only";
  }
  if (hasDotDot(repo.slice(repo.indexOf("://") + 3))) {
    return dotDotMessage(repo);
  }
  if (protocol === "file:" && url.pathname.length <= 1) {
    return `Must name a path, got ${quote(repo)}`;
  }
  return null;
}

/**
 * A local path must be absolute (a relative one would resolve against the
 * server's working directory) and free of `.` and `..` segments.
 */
function localPathProblem(repo: string): string | null {
  if (!repo.startsWith("/")) {
    // `github.com/x/y` is a URL without its scheme far more often than a relative path.
    const host = /^([a-z0-9-]+(?:\.[a-z0-9-]+)+)(?::\d+)?\//i.exec(repo);
    if (host && /[a-z]/i.test(host[1]!.split(".").at(-1)!)) {
      return `Is not a URL (no scheme) nor an absolute path, got ${
        quote(repo)
      }: did you mean ${quote(`https://${repo}`)}?`;
    }
    return `A local path must be absolute, got ${quote(repo)}`;
  }
  if (repo.split("/").some((part) => part === "." || part === "..")) {
    return `Must not contain '.' or '..' segments, got ${quote(repo)}`;
  }
  return null;
}

/**
 * True when `repo` names a repository on the server's own file system (a
 * path or a `file://` URL): allowed only with AOS_ALLOW_LOCAL_REPOS.
 */
export function isLocalRepo(repo: string): boolean {
  if (SCP_LIKE.test(repo) && !repo.includes("://")) return false;
  const scheme = SCHEME.exec(repo)?.[1];
  return scheme === undefined || scheme.toLowerCase() === "file";
}

function hasDotDot(path: string): boolean {
  return path.split("/").some((part) =>
    part === ".." || part.toLowerCase() === "%2e%2e"
  );
}

function dotDotMessage(repo: string): string {
  return `Must not contain '..' segments, got ${quote(repo)}`;
}

/** True when `repo` is allowed by the allowlist (prefixes or globs); an empty list allows all. */
export function repoAllowed(
  repo: string,
  allowlist: readonly string[],
): boolean {
  if (allowlist.length === 0) return true;
  // A relative local path could resolve anywhere: only absolute ones can match.
  if (repo.split("/").some((part) => part === ".." || part === ".")) {
    return false;
  }
  return allowlist.some((entry) =>
    repo.startsWith(entry) ||
    (picomatch.scan(entry).isGlob &&
      picomatch.isMatch(repo, entry, { dot: true }))
  );
}

/** The rule a repository-relative path (context file) breaks, or null. */
export function relativePathProblem(path: string): string | null {
  if (path === "") return "Must not be empty";
  if (path.length > MAX_PATH) return `Must be at most ${MAX_PATH} characters`;
  if (CONTROL.test(path)) {
    return `Must not contain control characters, got ${quote(path)}`;
  }
  if (
    path.startsWith("/") || path.startsWith("\\") || /^[A-Za-z]:/.test(path) ||
    path.startsWith("~")
  ) {
    return `Must be relative to the repository root, got ${quote(path)}`;
  }
  if (path.split(/[/\\]/).includes("..")) {
    return `Must not contain '..' segments, got ${quote(path)}`;
  }
  return null;
}

/** The rule a path glob (allowed/forbidden paths) breaks, or null. */
export function globProblem(glob: string): string | null {
  const pathProblem = relativePathProblem(glob);
  if (pathProblem !== null) return pathProblem;
  if (glob.startsWith("!")) {
    return `Negated globs are not supported (use forbidden_paths), got ${
      quote(glob)
    }`;
  }
  try {
    const re = picomatch.makeRe(glob, { strictBrackets: true, dot: true });
    if (re.source === "$^") return `Is not a valid glob, got ${quote(glob)}`;
    // What AOS matches with (lib/glob): it refuses brace bombs and extglobs.
    compileGlob(glob);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const open = /Missing closing: "(.)"/.exec(message)?.[1];
    const reason = open === undefined ? message : `missing closing '${open}'`;
    return `Is not a valid glob (${reason}), got ${quote(glob)}`;
  }
  return null;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SECRET_NAMES = new Set(["OPENAI_API_KEY", "GITHUB_TOKEN"]);

/** The rule an `env` variable name breaks, or null. */
export function envNameProblem(name: string): string | null {
  if (!ENV_NAME.test(name) || name.length > 128) {
    return `Variable name ${
      quote(name)
    } must match [A-Za-z_][A-Za-z0-9_]* (at most 128 characters)`;
  }
  const upper = name.toUpperCase();
  if (SECRET_NAMES.has(upper) || upper.startsWith("AOS_")) {
    return `Variable ${
      quote(name)
    } is reserved: service secrets and AOS_* settings never reach commands`;
  }
  return null;
}
