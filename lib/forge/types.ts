/** What the shared pull-request flow needs to know about one forge's API. */

/** The pull request to open or update. */
export interface PullRequestSpec {
  /** The pushed branch. */
  head: string;
  /** The branch it merges into. */
  base: string;
  title: string;
  body: string;
  draft: boolean;
}

/** A pull request as a forge reports it. */
export interface FoundPullRequest {
  number: number;
  url: string;
  body: string;
  /** Its head branch ("" when the answer leaves it out). */
  head: string;
}

/** Where and as whom a forge client talks. */
export interface ForgeContext {
  /** API base URL, no trailing slash. */
  api: string;
  token: string;
  username: string;
  /** Where the token came from, for messages. */
  source: string;
  /** `owner/name` (GitLab: `group/sub/name`) from the repository URL. */
  repoPath: string;
  signal?: AbortSignal | undefined;
}

/** A JSON request body. */
export type RequestBody = Record<string, unknown>;

/**
 * One forge's pull-request API as data: URLs, auth header, field names and
 * wording. The look-up-then-create-or-update flow (flow.ts) is the same for all.
 */
export interface ForgeAdapter {
  /** The forge's name for messages: `GitHub`. */
  forge: string;
  /** What the forge calls a pull request: `pull request`, `merge request`. */
  noun: string;
  /** How the forge writes a pull request's number: `#3`, `!3`. */
  ref(number: number): string;
  /** The pull-request collection URL; one pull request is `${collection}/${number}`. */
  collection: string;
  /** The auth header (and any API-version header) every call carries. */
  headers: Record<string, string>;
  /** How the open pull requests of `spec.head` are listed. */
  list: {
    /** Query of page `page` (from 1). */
    query(spec: PullRequestSpec, page: number): Record<string, string>;
    /** The entries of a list answer. */
    entries(json: unknown): unknown[];
    /**
     * Where the forge cannot filter by head: entries per page (a shorter page
     * is the last) and pages read at most. Absent: one request.
     */
    paging?: { size: number; max: number };
  };
  /** Reads a pull request (a list entry, or a create or update answer). */
  read(json: unknown): FoundPullRequest;
  create: {
    body(spec: PullRequestSpec): RequestBody;
    /**
     * How the forge refuses a second open pull request of the same head: the
     * status, and (when that status has other causes too) the server message
     * that tells. Absent where the forge does not refuse one.
     */
    duplicate?: { status: number; message?: RegExp };
  };
  update: {
    method: "PATCH" | "PUT";
    body(spec: PullRequestSpec): RequestBody;
  };
}

/**
 * A forge kind as one row of the FORGES table (forges.ts): how git and
 * AOS_GIT_CREDENTIALS address it, and its pull-request API. A new forge is
 * one file exporting one of these.
 */
export interface Forge {
  /** The git user name the forge expects beside a token. */
  username: string;
  /** Its API base URL on `host` (which may carry a port) when the credential names none. */
  defaultApi(host: string): string;
  /** Host names that are this forge without the credential saying `kind`. */
  knownHosts?: RegExp;
  /** Its pull-request API, talking as `ctx` says. */
  adapter(ctx: ForgeContext): ForgeAdapter;
  /** Its issue-side API for triggers (comments, access, files); absent: no triggers. */
  issues?(ctx: ForgeContext): ForgeIssueAdapter;
}

/** What an issue or pull request is to the issue-side API. */
export interface IssueTarget {
  number: number;
  /** A pull (merge) request rather than an issue: GitLab keeps their notes apart. */
  pullRequest: boolean;
}

/**
 * One forge's issue-side API as data, for triggers (DESIGN §7): comments on an
 * issue or pull request, a user's access to the repository, a file at a ref.
 */
export interface ForgeIssueAdapter {
  /** The auth header (and any API-version header) every call carries. */
  headers: Record<string, string>;
  /** The URL a comment on `target` is POSTed to. */
  commentUrl(target: IssueTarget): string;
  /** The body of that POST. */
  commentBody(text: string): RequestBody;
  /** The URL answering `user`'s access (GitLab asks by numeric id). */
  permissionUrl(user: { login: string; id: number | null }): string | null;
  /** Whether a permission answer grants write access. */
  canWrite(json: unknown): boolean;
  /** The URL of `path` at `ref`; every forge answers `{ content, encoding: "base64" }`. */
  fileUrl(path: string, ref: string): string;
}
