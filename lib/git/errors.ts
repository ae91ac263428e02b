/**
 * What went wrong talking to a git remote, told apart from git's stderr and
 * from whether AOS sent a credential: no credential for the host, credential
 * rejected, read but not write, host unreachable, repository or ref not found.
 */

/** Why a git command failed; `failed` when nothing more specific is known. */
export type GitFailure =
  | "no_credential"
  | "credential_rejected"
  | "write_denied"
  | "unreachable"
  | "host_error"
  | "repo_not_found"
  | "ref_not_found"
  | "insecure_http"
  | "push_rejected"
  | "push_conflict"
  | "address_refused"
  | "failed";

/** A git command failed; the message names host, repository and branch, never a secret. */
export class GitError extends Error {
  override name = "GitError";
  /** The kind of failure, for callers and tests. */
  readonly reason: GitFailure;
  constructor(message: string, reason: GitFailure = "failed") {
    super(message);
    this.reason = reason;
  }
}

/** What AOS knew about a remote operation when it failed. */
export interface RemoteFailureContext {
  /** `fetch` (clone or fetch of the mirror) or `push`. */
  op: "fetch" | "push";
  /** The credential-free repository URL shown in messages. */
  repo: string;
  /** `host` or `host:port` of the remote; null for a local path. */
  host: string | null;
  /** Where the credential sent came from (`GITHUB_TOKEN`, `AOS_GIT_CREDENTIALS["h"]`), or null when none was sent. */
  credentialSource: string | null;
  /** The branch pushed (push) or asked for (fetch), when known. */
  branch?: string | null;
  /** git's stderr and stdout, already redacted. */
  output: string;
}

const UNREACHABLE = [
  /Could not resolve host: [^\s']+/i,
  /Failed to connect to [^\n]+/i,
  /Couldn't connect to server/i,
  /Connection refused/i,
  /Connection timed out[^\n]*/i,
  /Operation timed out[^\n]*/i,
  /Connection reset by peer/i,
  /Network is unreachable/i,
  /No route to host/i,
  /Empty reply from server/i,
];
const TLS = [
  /SSL certificate problem: [^\n]+/i,
  /server certificate verification failed[^\n]*/i,
  /SSL: no alternative certificate subject name matches[^\n]*/i,
  /SSL routines[^\n]*/i,
  /gnutls_handshake\(\) failed[^\n]*/i,
  /OpenSSL SSL_connect[^\n]*/i,
];

/** The GitError describing a failed fetch or push in the terms of RemoteFailureContext. */
export function remoteFailure(ctx: RemoteFailureContext): GitError {
  const { op, repo, output } = ctx;
  const host = ctx.host ?? "local";
  const action = op === "push"
    ? `push to branch '${ctx.branch ?? "?"}' of '${repo}'`
    : `fetch '${repo}'`;
  const status = httpStatus(output);
  const sent = ctx.credentialSource;
  const asked = /could not read (?:Username|Password)/i.test(output) ||
    /Authentication failed/i.test(output) || status === 401;

  if (asked && sent === null) {
    return new GitError(
      `Host '${host}' requires authentication (HTTP 401) to ${action}, and no credential is configured for this host: ` +
        `add "${host}" to AOS_GIT_CREDENTIALS${
          host === "github.com" ? " or set GITHUB_TOKEN" : ""
        }`,
      "no_credential",
    );
  }
  if (asked) {
    return new GitError(
      `Host '${host}' rejected the credential from ${sent} (HTTP 401) on ${action}: ` +
        (op === "push"
          ? "the token is wrong, expired or revoked, or lacks write access"
          : "the token is wrong, expired or revoked"),
      "credential_rejected",
    );
  }
  if (
    op === "push" &&
    (status === 403 ||
      /Permission to .* denied|not allowed to push|permission denied|write access .* not granted|\(pre-receive hook declined\)|protected branch/i
        .test(output))
  ) {
    return new GitError(
      `Host '${host}' refused the ${action}${
        status === 403 ? " (HTTP 403)" : ""
      }: ${
        sent
          ? `the credential from ${sent} may read this repository but not write to it`
          : "no credential was sent and the host allows reading only"
      }${remoteLines(output)}`,
      "write_denied",
    );
  }
  if (status === 403) {
    return new GitError(
      `Host '${host}' refused to ${action} (HTTP 403): ${
        sent
          ? `the credential from ${sent} has no access to this repository`
          : "access denied without a credential"
      }`,
      "credential_rejected",
    );
  }
  const tls = firstMatch(TLS, output);
  if (tls) {
    return new GitError(
      `TLS connection to host '${host}' failed on ${action}: ${tls} ` +
        `(a private CA goes in GIT_SSL_CAINFO or SSL_CERT_FILE)`,
      "unreachable",
    );
  }
  const unreachable = firstMatch(UNREACHABLE, output);
  if (unreachable) {
    return new GitError(
      `Host '${host}' is unreachable, could not ${action}: ${unreachable}`,
      "unreachable",
    );
  }
  if (
    status === 404 ||
    /repository '[^']*' not found|Repository not found|does not appear to be a git repository|not found: did you run git update-server-info/i
      .test(output)
  ) {
    return new GitError(
      `Repository '${repo}' was not found${
        ctx.host === null ? "" : ` on host '${host}'`
      }${status === 404 ? " (HTTP 404)" : ""}${
        sent ? ` (or the credential from ${sent} cannot see it)` : ""
      }`,
      "repo_not_found",
    );
  }
  if (status !== null && status >= 500) {
    return new GitError(
      `Host '${host}' answered HTTP ${status}, could not ${action}`,
      "host_error",
    );
  }
  if (
    op === "push" && /\[rejected\]|non-fast-forward|fetch first/.test(output)
  ) {
    return new GitError(
      `Push to branch '${ctx.branch ?? "?"}' of '${repo}' was rejected: ` +
        `the remote branch has commits not in this run's history (AOS never force-pushes)`,
      "push_rejected",
    );
  }
  if (op === "push" && /\[remote rejected\]/.test(output)) {
    return new GitError(
      `Host '${host}' rejected the ${action}${remoteLines(output)}`,
      "write_denied",
    );
  }
  const detail = output.trim().split("\n").slice(-3).join(" | ") || "no output";
  return new GitError(
    `Could not ${action}${
      ctx.host === null ? "" : ` on host '${host}'`
    }: ${detail}`,
  );
}

/** The HTTP status git reported (`The requested URL returned error: 403`), or null. */
function httpStatus(output: string): number | null {
  const match = /returned error: (\d{3})/.exec(output) ??
    /HTTP (?:code|status)[: ]+(\d{3})/i.exec(output);
  return match ? Number(match[1]) : null;
}

function firstMatch(patterns: RegExp[], text: string): string | null {
  for (const pattern of patterns) {
    const match = pattern.exec(text);
    if (match) return match[0].trim();
  }
  return null;
}

/** The server's own words (`remote: …` lines), which often say which permission is missing. */
function remoteLines(output: string): string {
  const lines = output.split("\n")
    .filter((l) => l.startsWith("remote:"))
    .map((l) => l.slice(7).trim())
    .filter((l) => l !== "")
    .slice(0, 3);
  return lines.length > 0 ? ` (server said: ${lines.join(" ")})` : "";
}
