import assert from "node:assert/strict";
import { type GitFailure, remoteFailure } from "./errors.ts";

const base = {
  repo: "https://git.example.com/o/r.git",
  host: "git.example.com",
};

function reason(
  op: "fetch" | "push",
  output: string,
  credentialSource: string | null = 'AOS_GIT_CREDENTIALS["git.example.com"]',
): [GitFailure, string] {
  const error = remoteFailure({
    ...base,
    op,
    output,
    credentialSource,
    branch: "aos/x",
  });
  return [error.reason, error.message];
}

Deno.test("remoteFailure() reads what hosted forges print", () => {
  // GitHub, read-only token at push.
  const [gh, ghText] = reason(
    "push",
    "remote: Permission to o/r.git denied to bot.\nfatal: unable to access 'https://github.com/o/r.git/': The requested URL returned error: 403",
  );
  assert.equal(gh, "write_denied");
  assert.match(
    ghText,
    /\(HTTP 403\): the credential from .* may read this repository but not write to it \(server said: Permission to o\/r\.git denied to bot\.\)/,
  );
  // GitLab protected branch.
  assert.equal(
    reason(
      "push",
      " ! [remote rejected] aos/x -> aos/x (pre-receive hook declined)\nerror: failed to push some refs",
    )[0],
    "write_denied",
  );
  // A moved branch is not a permission problem.
  assert.equal(
    reason("push", " ! [rejected]        aos/x -> aos/x (fetch first)")[0],
    "push_rejected",
  );
  assert.deepEqual(
    reason(
      "fetch",
      "fatal: could not read Username for 'https://git.example.com': terminal prompts disabled",
      null,
    )[0],
    "no_credential",
  );
  assert.equal(
    reason(
      "fetch",
      "remote: HTTP Basic: Access denied\nfatal: Authentication failed for 'https://git.example.com/o/r.git/'",
    )[0],
    "credential_rejected",
  );
  assert.equal(
    reason(
      "fetch",
      "fatal: unable to access 'https://git.example.com/o/r.git/': Could not resolve host: git.example.com",
    )[0],
    "unreachable",
  );
  assert.match(
    reason(
      "fetch",
      "fatal: unable to access 'x': SSL certificate problem: self-signed certificate",
    )[1],
    /TLS connection to host 'git\.example\.com' failed .*SSL certificate problem: self-signed certificate .*GIT_SSL_CAINFO/,
  );
  assert.equal(
    reason(
      "fetch",
      "remote: Repository not found.\nfatal: repository 'https://git.example.com/o/r.git/' not found",
    )[0],
    "repo_not_found",
  );
  assert.equal(
    reason(
      "fetch",
      "fatal: unable to access 'x': The requested URL returned error: 502",
    )[0],
    "host_error",
  );
});
