/**
 * Git credentials and auth errors against a real smart-HTTP server (Apache +
 * git http-backend, basic auth, private repository) on a non-GitHub host name,
 * over https with a self-signed CA and over http.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  commitAndPush,
  git,
  GitError,
  type GitFailure,
  readGitCredentials,
} from "../lib/git/mod.ts";
import { prepareWorkspace } from "../lib/workspace/mod.ts";
import {
  addRepo,
  GIT_HOST,
  type GitHttpServer,
  startGitHttpServer,
  TRUST_GIT_HOST,
} from "./support/git_http_server.ts";

const USERS = {
  reader: "reader-TOKEN-7f3a9c2e5b1d",
  writer: "writer-TOKEN-4e8b6d0a2c9f",
};

/** Credentials for the server's https (and optionally http) host. */
function creds(
  server: GitHttpServer,
  entry: { username: string; token: string },
  extra: Record<string, unknown> = {},
) {
  const result = readGitCredentials(
    JSON.stringify({
      [server.httpsHost]: { kind: "gitea", ...entry },
      [server.httpHost]: { kind: "gitea", ...entry, ...extra },
    }),
    "ghp_TESTSECRET0123456789abcdefABCDEF0123",
  );
  assert.deepEqual(result.issues, []);
  return result.credentials;
}

async function expectGitError(
  promise: Promise<unknown>,
  reason: GitFailure,
  message: RegExp,
): Promise<string> {
  let text = "";
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof GitError, String(error));
    text = error.message;
    assert.equal(error.reason, reason, error.message);
    assert.match(error.message, message);
    for (const secret of Object.values(USERS)) {
      assert.ok(!error.message.includes(secret), error.message);
      assert.ok(!error.message.includes(btoa(`writer:${secret}`)));
    }
    return true;
  });
  return text;
}

async function withServer(
  fn: (ctx: { server: GitHttpServer; root: string }) => Promise<void>,
): Promise<void> {
  const server = await startGitHttpServer(USERS);
  const root = await Deno.makeTempDir({ prefix: "aos_git_http_ws_" });
  try {
    await addRepo(server, "private", { "README.md": "# private\n" });
    await fn({ server, root });
  } finally {
    await server.stop();
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

async function remoteHead(
  server: GitHttpServer,
  branch: string,
): Promise<string | null> {
  const out = await git(
    ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`],
    { cwd: join(server.reposDir, "private.git"), allowFailure: true },
  );
  return out.code === 0 ? out.stdout.trim() : null;
}

Deno.test("a private repository on a non-GitHub host clones and pushes over https with its own token", async () => {
  await withServer(async ({ server, root }) => {
    const credentials = creds(server, {
      username: "writer",
      token: USERS.writer,
    });
    const repo = `${server.httpsOrigin}${server.path("private")}`;
    const { dir, baseCommit } = await prepareWorkspace({
      root,
      runId: "r1",
      repo,
      addressPolicy: TRUST_GIT_HOST,
      ref: "main",
      credentials,
    });
    assert.equal(
      await Deno.readTextFile(join(dir, "README.md")),
      "# private\n",
    );
    await Deno.writeTextFile(join(dir, "NEW.md"), "made by AOS\n");
    const { commit, pushed } = await commitAndPush({
      dir,
      baseCommit,
      branch: "aos/feature",
      message: "AOS: test",
      repo,
      addressPolicy: TRUST_GIT_HOST,
      credentials,
    });
    assert.ok(pushed);
    assert.equal(await remoteHead(server, "aos/feature"), commit);
    // The server saw the writer authenticate for both the fetch and the push.
    const log = await server.accessLog();
    assert.ok(
      log.some((l) => /^writer GET .*git-upload-pack/.test(l)),
      log.join("\n"),
    );
    assert.ok(
      log.some((l) => /^writer POST .*git-receive-pack 200/.test(l)),
      log.join("\n"),
    );
    // Nothing credential-shaped was written into the workspace's or mirror's git config.
    assert.doesNotMatch(
      await Deno.readTextFile(join(dir, ".git/config")),
      /writer-TOKEN|extraheader|Authorization/i,
    );
  });
});

Deno.test("no credential, a wrong token and a read-only token each get their own message", async () => {
  await withServer(async ({ server, root }) => {
    const repo = `${server.httpsOrigin}${server.path("private")}`;
    const host = server.httpsHost;
    const escaped = host.replace(/\./g, "\\.");
    // No credential for this host (GITHUB_TOKEN is configured, and never sent here).
    await expectGitError(
      prepareWorkspace({
        root,
        runId: "none",
        repo,
        addressPolicy: TRUST_GIT_HOST,
        ref: "main",
        credentials:
          readGitCredentials(null, "ghp_TESTSECRET0123456789abcdefABCDEF0123")
            .credentials,
      }),
      "no_credential",
      new RegExp(
        `Host '${escaped}' requires authentication \\(HTTP 401\\) to fetch '${repo}', and no credential is configured for this host: add "${escaped}" to AOS_GIT_CREDENTIALS`,
      ),
    );
    // A wrong token.
    await expectGitError(
      prepareWorkspace({
        root,
        runId: "wrong",
        repo,
        addressPolicy: TRUST_GIT_HOST,
        ref: "main",
        credentials: creds(server, {
          username: "writer",
          token: "not-the-right-token-123",
        }),
      }),
      "credential_rejected",
      new RegExp(
        `Host '${escaped}' rejected the credential from AOS_GIT_CREDENTIALS\\["${escaped}"\\] \\(HTTP 401\\) on fetch`,
      ),
    );
    // A read-only token: the clone works, the push is refused with 403.
    const reader = creds(server, { username: "reader", token: USERS.reader });
    const { dir, baseCommit } = await prepareWorkspace({
      root,
      runId: "reader",
      repo,
      addressPolicy: TRUST_GIT_HOST,
      ref: "main",
      credentials: reader,
    });
    await Deno.writeTextFile(join(dir, "x.txt"), "x\n");
    await expectGitError(
      commitAndPush({
        dir,
        baseCommit,
        branch: "aos/ro",
        message: "AOS: ro",
        repo,
        addressPolicy: TRUST_GIT_HOST,
        credentials: reader,
      }),
      "write_denied",
      new RegExp(
        `Host '${escaped}' refused the push to branch 'aos/ro' of '${repo}' \\(HTTP 403\\): the credential from AOS_GIT_CREDENTIALS\\["${escaped}"\\] may read this repository but not write to it`,
      ),
    );
    assert.equal(await remoteHead(server, "aos/ro"), null);
  });
});

Deno.test("a token is never sent over http unless the host opts in with insecure_http", async () => {
  await withServer(async ({ server, root }) => {
    const repo = `${server.httpOrigin}${server.path("private")}`;
    const before = (await server.accessLog()).length;
    await expectGitError(
      prepareWorkspace({
        root,
        runId: "http",
        repo,
        addressPolicy: TRUST_GIT_HOST,
        ref: "main",
        credentials: creds(server, { username: "writer", token: USERS.writer }),
      }),
      "insecure_http",
      new RegExp(
        `Refusing to send the credential from AOS_GIT_CREDENTIALS\\["${
          server.httpHost.replace(/\./g, "\\.")
        }"\\] to host '.*' over plain http`,
      ),
    );
    // Refused before any request went out.
    assert.equal((await server.accessLog()).length, before);
    const optedIn = creds(
      server,
      { username: "writer", token: USERS.writer },
      { insecure_http: true },
    );
    const { dir } = await prepareWorkspace({
      root,
      runId: "http-ok",
      repo,
      addressPolicy: TRUST_GIT_HOST,
      ref: "main",
      credentials: optedIn,
    });
    assert.equal(
      await Deno.readTextFile(join(dir, "README.md")),
      "# private\n",
    );
  });
});

Deno.test("unreachable host, missing repository and missing branch name the host", async () => {
  await withServer(async ({ server, root }) => {
    const credentials = creds(server, {
      username: "writer",
      token: USERS.writer,
    });
    const escaped = server.httpsHost.replace(/\./g, "\\.");
    await expectGitError(
      prepareWorkspace({
        root,
        runId: "branch",
        repo: `${server.httpsOrigin}${server.path("private")}`,
        addressPolicy: TRUST_GIT_HOST,
        ref: "no-such-branch",
        credentials,
      }),
      "ref_not_found",
      new RegExp(
        `Branch or commit 'no-such-branch' not found in repository '.*private\\.git' on host '${escaped}'`,
      ),
    );
    await expectGitError(
      prepareWorkspace({
        root,
        runId: "missing",
        repo: `${server.httpsOrigin}${server.path("missing")}`,
        addressPolicy: TRUST_GIT_HOST,
        ref: "main",
        credentials,
      }),
      "repo_not_found",
      new RegExp(
        `Repository '.*missing\\.git' was not found on host '${escaped}'`,
      ),
    );
    // A port nothing listens on.
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const closedPort = (listener.addr as Deno.NetAddr).port;
    listener.close();
    await expectGitError(
      prepareWorkspace({
        root,
        runId: "down",
        repo: `https://${GIT_HOST}:${closedPort}/git/private.git`,
        addressPolicy: TRUST_GIT_HOST,
        ref: "main",
        credentials,
      }),
      "unreachable",
      new RegExp(`Host '${GIT_HOST}:${closedPort}' is unreachable`),
    );
  });
});
