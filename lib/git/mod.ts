/**
 * git: git with hooks and config off, credentials per host, the repository
 * address guard, mirrors, commit + push.
 */
export {
  checkRepoAddress,
  GUARD_ALL,
  type RepoAddressPolicy,
} from "./address_guard.ts";
export { commitAndPush, DEFAULT_GIT_AUTHOR, type GitAuthor } from "./commit.ts";
export { GitCredentials, readGitCredentials } from "./credentials.ts";
export type { GitFailure } from "./errors.ts";
export { ensureMirror, mirrorCommit, mirrorDir } from "./mirror.ts";
export { type MirrorTrim, trimMirrors } from "./mirror_cache.ts";
export { choosePushTarget, PUSH_MODES } from "./push_target.ts";
export { git, GitError, remoteAccess } from "./run.ts";
