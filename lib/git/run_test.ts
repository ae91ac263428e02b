import assert from "node:assert/strict";
import { readGitCredentials } from "./credentials.ts";
import { GitError } from "./errors.ts";
import { remoteAccess } from "./run.ts";

const GH = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";

Deno.test("remoteAccess() sends each host its own credential in a host-scoped header", () => {
  const { credentials } = readGitCredentials(
    JSON.stringify({
      "gitlab.example.com": { token: "gl-token", kind: "gitlab" },
      "test.localhost:8080": {
        token: "rig-token",
        kind: "gitea",
        insecure_http: true,
      },
    }),
    GH,
  );
  const gh = remoteAccess("https://github.com/o/r.git", credentials);
  assert.equal(gh.url, "https://github.com/o/r.git");
  assert.equal(gh.host, "github.com");
  assert.equal(gh.credentialSource, "GITHUB_TOKEN");
  assert.equal(gh.env.GIT_CONFIG_KEY_0, "http.https://github.com/.extraHeader");
  assert.equal(
    gh.env.GIT_CONFIG_VALUE_0,
    `Authorization: Basic ${btoa(`x-access-token:${GH}`)}`,
  );
  const gl = remoteAccess("https://gitlab.example.com/g/r.git", credentials);
  assert.equal(
    gl.env.GIT_CONFIG_VALUE_0,
    `Authorization: Basic ${btoa("oauth2:gl-token")}`,
  );
  // No credential for the host: nothing sent.
  const other = remoteAccess("https://other.example.com/o/r.git", credentials);
  assert.deepEqual(other.env, {});
  assert.equal(other.credentialSource, null);
  // The explicit insecure opt-in allows http for that host:port only.
  const rig = remoteAccess("http://test.localhost:8080/r.git", credentials);
  assert.equal(
    rig.credentialSource,
    'AOS_GIT_CREDENTIALS["test.localhost:8080"]',
  );
  assert.equal(
    rig.env.GIT_CONFIG_KEY_0,
    "http.http://test.localhost:8080/.extraHeader",
  );
});

Deno.test("remoteAccess() refuses to send a credential over plain http", () => {
  const { credentials } = readGitCredentials(
    JSON.stringify({
      "git.example.com": { token: "s3cret-tok", kind: "gitea" },
    }),
    GH,
  );
  for (
    const repo of [
      "http://git.example.com/o/r.git",
      "http://github.com/o/r.git",
      "http://bob:pw@anything.example/r.git",
    ]
  ) {
    assert.throws(() => remoteAccess(repo, credentials), (error: unknown) => {
      assert.ok(error instanceof GitError);
      assert.equal(error.reason, "insecure_http");
      assert.match(
        error.message,
        /Refusing to send the credential from .* over plain http/,
      );
      assert.doesNotMatch(error.message, /s3cret|ghp_|pw@/);
      return true;
    });
  }
  // Without a credential for the host, http is just a URL.
  assert.deepEqual(
    remoteAccess("http://public.example/r.git", credentials).env,
    {},
  );
});

Deno.test("remoteAccess() keeps embedded credentials out of the URL", () => {
  const embedded = remoteAccess("https://bob:p%40ss@git.example.com/o/r.git");
  assert.equal(embedded.url, "https://git.example.com/o/r.git");
  assert.equal(
    embedded.env.GIT_CONFIG_VALUE_0,
    `Authorization: Basic ${btoa("bob:p@ss")}`,
  );
  const { credentials } = readGitCredentials(null, GH);
  assert.deepEqual(remoteAccess("git@github.com:o/r.git", credentials).env, {});
  assert.equal(remoteAccess("git@github.com:o/r.git").host, "github.com");
  assert.equal(
    remoteAccess("ssh://git:pw@host/r.git").url,
    "ssh://git@host/r.git",
  );
  assert.equal(remoteAccess("file:///srv/r.git").url, "file:///srv/r.git");
});
