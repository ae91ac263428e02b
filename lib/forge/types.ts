/** What every forge client implements: find by head branch, create, update. */

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

/** One forge's pull-request API. */
export interface ForgeClient {
  /** The open pull request whose head is `spec.head`, or null. */
  find(spec: PullRequestSpec): Promise<FoundPullRequest | null>;
  /** Opens it; "exists" when the forge answers that one already exists. */
  create(spec: PullRequestSpec): Promise<FoundPullRequest | "exists">;
  /** Sets title, body and base of pull request `number`. */
  update(number: number, spec: PullRequestSpec): Promise<FoundPullRequest>;
}
