import assert from "node:assert/strict";
import { readGitCredentials } from "./credentials.ts";
import { FORGES } from "../forge/mod.ts";

const TOKEN = "glpat-SECRETsecret0123456789";

Deno.test("readGitCredentials() applies each kind's user name and API default", () => {
  const { credentials, issues } = readGitCredentials(
    JSON.stringify({
      "gitlab.example.com": { token: TOKEN, kind: "gitlab" },
      "git.example.com:3000": { token: "gitea-tok", kind: "gitea" },
      "bitbucket.org": { token: "bb-tok", kind: "bitbucket" },
      "github.mycorp.com": { token: "ghes-tok", kind: "github" },
      "acme.ghe.com": { token: "ghec-tok" },
      "forge.internal": {
        token: "t0ken",
        kind: "gitea",
        api: "http://forge.internal/api/v1/",
        username: "robot",
        insecure_http: true,
      },
    }),
    "ghp_default",
  );
  assert.deepEqual(issues, []);
  const pick = (host: string, port = "") => {
    const c = credentials.forHost(host, port);
    return c && [c.kind, c.username, c.api, c.source];
  };
  assert.deepEqual(pick("GitLab.example.com"), [
    "gitlab",
    "oauth2",
    "https://gitlab.example.com/api/v4",
    'AOS_GIT_CREDENTIALS["gitlab.example.com"]',
  ]);
  assert.deepEqual(pick("git.example.com", "3000")?.slice(0, 3), [
    "gitea",
    "aos",
    "https://git.example.com:3000/api/v1",
  ]);
  // A host:port key names only that port.
  assert.equal(credentials.forHost("git.example.com", "443"), null);
  assert.deepEqual(pick("bitbucket.org")?.slice(0, 3), [
    "bitbucket",
    "x-token-auth",
    "https://api.bitbucket.org/2.0",
  ]);
  assert.deepEqual(pick("github.mycorp.com")?.slice(0, 3), [
    "github",
    "x-access-token",
    "https://github.mycorp.com/api/v3",
  ]);
  assert.deepEqual(pick("acme.ghe.com")?.slice(0, 3), [
    "github",
    "x-access-token",
    "https://api.acme.ghe.com",
  ]);
  assert.deepEqual(pick("forge.internal")?.slice(1, 3), [
    "robot",
    "http://forge.internal/api/v1",
  ]);
  assert.deepEqual(pick("github.com"), [
    "github",
    "x-access-token",
    "https://api.github.com",
    "GITHUB_TOKEN",
  ]);
  // The redactor gets every token and its Basic-auth form.
  const secrets = credentials.secrets();
  assert.ok(secrets.includes(TOKEN));
  assert.ok(secrets.includes(btoa(`oauth2:${TOKEN}`)));
  assert.ok(secrets.includes("ghp_default"));
});

Deno.test("readGitCredentials() lets the map override GITHUB_TOKEN for github.com", () => {
  const { credentials } = readGitCredentials(
    JSON.stringify({ "github.com": { token: "from-map" } }),
    "from-env",
  );
  assert.equal(credentials.forHost("github.com")?.token, "from-map");
  assert.equal(credentials.entries.length, 1);
});

Deno.test("readGitCredentials() reads @file and names every problem without the token", () => {
  const files: Record<string, string> = {
    "/etc/aos/git.json": JSON.stringify({ "h.example": { token: "abc" } }),
  };
  const read = (path: string) => {
    const text = files[path];
    if (text === undefined) throw new Deno.errors.NotFound(path);
    return text;
  };
  const ok = readGitCredentials("@/etc/aos/git.json", null, read);
  assert.deepEqual(ok.issues.length, 1); // kind is required off github.com
  assert.match(ok.issues[0]!, /entry 'h\.example', field 'kind': required/);

  assert.deepEqual(
    readGitCredentials("@/missing.json", null, read).issues,
    ["Could not read credentials file '/missing.json' (NotFound)"],
  );
  const bad = readGitCredentials(
    `{"https://h.example": {"token": "${TOKEN}"}, "ok.example": {"token": "${TOKEN}", "kind": "svn", "extra": 1}, ` +
      `"x.example": {"token": "${TOKEN}", "kind": "gitlab", "api": "http://x.example/api/v4"}}`,
    null,
  );
  const text = bad.issues.join("\n");
  assert.match(text, /Key 'https:\/\/h\.example' must be a host name/);
  assert.match(text, /entry 'ok\.example', field 'kind'/);
  assert.match(text, /unknown field\(s\) 'extra'/);
  assert.match(text, /entry 'x\.example', field 'api': must be an https URL/);
  assert.doesNotMatch(text, new RegExp(TOKEN));
  const broken = readGitCredentials(`{"h": {"token": "${TOKEN}"`, null);
  assert.deepEqual(broken.issues, [
    "Is not valid JSON (expected an object keyed by host)",
  ]);
  assert.deepEqual(readGitCredentials("[1]", null).issues, [
    "Must be a JSON object keyed by host (or host:port)",
  ]);
});

Deno.test("FORGES[kind].defaultApi() follows each forge's documented base URL", () => {
  assert.equal(
    FORGES.github.defaultApi("github.com"),
    "https://api.github.com",
  );
  assert.equal(
    FORGES.github.defaultApi("acme.ghe.com"),
    "https://api.acme.ghe.com",
  );
  assert.equal(
    FORGES.github.defaultApi("ghes:8443"),
    "https://ghes:8443/api/v3",
  );
  assert.equal(FORGES.gitlab.defaultApi("h:8443"), "https://h:8443/api/v4");
  assert.equal(FORGES.gitea.defaultApi("h"), "https://h/api/v1");
  assert.equal(
    FORGES.bitbucket.defaultApi("bitbucket.org"),
    "https://api.bitbucket.org/2.0",
  );
});
