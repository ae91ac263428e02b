/** Where a forge API call goes and with which credential, from a repository URL. */
import type { ForgeCredential, ForgeCredentials } from "./forges.ts";
import { ForgeError } from "./http.ts";
import type { ForgeContext } from "./types.ts";

/** `owner/name` of an http(s) repository URL (path without `.git`), or null. */
export function repoPathOf(
  repo: string,
): { host: string; path: string } | null {
  let url: URL;
  try {
    url = new URL(repo);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  const path = url.pathname.replace(/^\/+|\/+$/g, "").replace(/\.git$/, "");
  if (!path.includes("/")) return null;
  return { host: url.host, path };
}

/**
 * Why no pull request can be opened for `repo` with `credentials`, or null:
 * checked at submit (HTTP 422) and again before the API is called.
 */
export function pullRequestProblem(
  repo: string,
  credentials: ForgeCredentials,
): string | null {
  const where = repoPathOf(repo);
  if (!where) {
    return `'${repo}' is not an https repository URL of the form https://HOST/OWNER/NAME, which pull requests need`;
  }
  if (!credentials.forUrl(repo)) {
    return `no credential is configured for host '${where.host}' (add "${where.host}" with its token and kind to AOS_GIT_CREDENTIALS${
      where.host === "github.com" ? ", or set GITHUB_TOKEN" : ""
    })`;
  }
  return null;
}

/**
 * The API context of `repo`'s host: its credential, refused (ForgeError)
 * when none is configured or it would go over plain http unasked.
 */
export function forgeContext(
  repo: string,
  credentials: ForgeCredentials,
  action: string,
  signal?: AbortSignal,
): { credential: ForgeCredential; ctx: ForgeContext } {
  const problem = pullRequestProblem(repo, credentials);
  if (problem) {
    throw new ForgeError(`Cannot ${action}: ${problem}`, null);
  }
  const where = repoPathOf(repo)!;
  const credential = credentials.forUrl(repo)!;
  const api = new URL(credential.api);
  if (api.protocol === "http:" && !credential.insecureHttp) {
    throw new ForgeError(
      `Refusing to send the credential from ${credential.source} to '${api.host}' over plain http`,
      null,
    );
  }
  return {
    credential,
    ctx: {
      api: credential.api,
      token: credential.token,
      username: credential.username,
      source: credential.source,
      repoPath: where.path,
      signal,
    },
  };
}
