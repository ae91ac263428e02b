/**
 * Pull requests through each forge's API, against stand-ins that follow the
 * documented contracts: the requests AOS makes (method, path, auth header
 * kind, body fields), idempotency by head branch, the "already exists" answer.
 */
import assert from "node:assert/strict";
import { readGitCredentials } from "../lib/git/mod.ts";
import type { ForgeKind } from "../lib/forge/mod.ts";
import {
  ForgeError,
  openOrUpdatePullRequest,
  runMarker,
} from "../lib/forge/mod.ts";
import {
  type FakeForge,
  forgeCredentials,
  startFakeForge,
} from "./support/fake_forge.ts";

const TOKEN = "forge-TOKEN-0a1b2c3d4e5f";

function setup(kind: ForgeKind, forge: FakeForge, token = TOKEN) {
  return forgeCredentials(kind, forge, { token });
}

const SPEC = {
  head: "aos/feature",
  base: "main",
  title: "Add the feature",
  body: `Body\n${runMarker("run-1")}`,
  draft: true,
};

/** What each forge's create request must carry. */
const CREATE: Record<ForgeKind, {
  path: string;
  auth: string;
  fields: Record<string, unknown>;
}> = {
  github: {
    path: "/api/v3/repos/acme/widgets/pulls",
    auth: "Bearer",
    fields: {
      head: "aos/feature",
      base: "main",
      title: "Add the feature",
      draft: true,
    },
  },
  gitlab: {
    path: "/api/v4/projects/acme%2Ftools%2Fwidgets/merge_requests",
    auth: "Bearer",
    fields: {
      source_branch: "aos/feature",
      target_branch: "main",
      title: "Draft: Add the feature",
    },
  },
  gitea: {
    path: "/api/v1/repos/acme/widgets/pulls",
    auth: "token",
    fields: {
      head: "aos/feature",
      base: "main",
      title: "WIP: Add the feature",
    },
  },
  bitbucket: {
    path: "/2.0/repositories/acme/widgets/pullrequests",
    auth: "Bearer",
    fields: {
      source: { branch: { name: "aos/feature" } },
      destination: { branch: { name: "main" } },
      title: "Add the feature",
      draft: true,
    },
  },
};

for (const kind of ["github", "gitlab", "gitea", "bitbucket"] as const) {
  Deno.test(`openOrUpdatePullRequest() on ${kind}: looks up, opens once, updates on a re-run`, async () => {
    const forge = startFakeForge(kind, TOKEN);
    try {
      const { repo, credentials } = setup(kind, forge);
      const first = await openOrUpdatePullRequest({
        repo,
        credentials,
        spec: SPEC,
        marker: runMarker("run-1"),
      });
      assert.equal(first.action, "opened");
      assert.equal(first.number, 1);
      assert.match(first.url, /^https:\/\/.*1$/);
      // A lookup by head branch, then the create with the documented fields.
      assert.deepEqual(forge.calls.map((c) => c.method), ["GET", "POST"]);
      const [list, create] = forge.calls;
      assert.ok(list!.path.startsWith(CREATE[kind].path));
      assert.equal(create!.path, CREATE[kind].path);
      for (const call of forge.calls) {
        assert.equal(call.auth, CREATE[kind].auth);
      }
      for (const [field, value] of Object.entries(CREATE[kind].fields)) {
        assert.deepEqual(create!.body![field], value, `${kind} ${field}`);
      }
      const bodyField = kind === "github" || kind === "gitea"
        ? "body"
        : "description";
      assert.equal(create!.body![bodyField], SPEC.body);

      // The same run's step redelivered after a crash: finds its own PR, no second one.
      const again = await openOrUpdatePullRequest({
        repo,
        credentials,
        spec: SPEC,
        marker: runMarker("run-1"),
      });
      assert.deepEqual([again.action, again.number], ["opened", 1]);
      // A later run of the same branch updates it.
      const rerun = await openOrUpdatePullRequest({
        repo,
        credentials,
        spec: {
          ...SPEC,
          title: "Add the feature, take 2",
          body: `New\n${runMarker("run-2")}`,
        },
        marker: runMarker("run-2"),
      });
      assert.deepEqual([rerun.action, rerun.number], ["updated", 1]);
      assert.equal(forge.pulls.length, 1);
      assert.equal(forge.calls.filter((c) => c.method === "POST").length, 1);
      const update = forge.calls.at(-1)!;
      assert.equal(
        update.method,
        kind === "github" || kind === "gitea" ? "PATCH" : "PUT",
      );
      assert.equal(update.path, `${CREATE[kind].path}/1`);
      assert.equal(update.body![bodyField], `New\n${runMarker("run-2")}`);
      assert.equal(forge.pulls[0]!.body, `New\n${runMarker("run-2")}`);
    } finally {
      await forge.close();
    }
  });
}

/**
 * What a create racing an open pull request (a list that lags) does: GitHub,
 * GitLab and Gitea refuse it as a duplicate and the existing one is updated;
 * Bitbucket's create updates the open one itself, so the earlier run's marker
 * is gone before AOS reads it and the run reports it as opened.
 */
const RACED: Record<ForgeKind, { calls: string[]; action: string }> = {
  github: { calls: ["GET", "POST", "GET", "PATCH"], action: "updated" },
  gitlab: { calls: ["GET", "POST", "GET", "PUT"], action: "updated" },
  gitea: { calls: ["GET", "POST", "GET", "PATCH"], action: "updated" },
  bitbucket: { calls: ["GET", "POST"], action: "opened" },
};

for (const kind of ["github", "gitlab", "gitea", "bitbucket"] as const) {
  Deno.test(`openOrUpdatePullRequest() on ${kind}: a create racing an open pull request lands on it`, async () => {
    const forge = startFakeForge(kind, TOKEN);
    try {
      const { repo, credentials } = setup(kind, forge);
      await openOrUpdatePullRequest({
        repo,
        credentials,
        spec: SPEC,
        marker: runMarker("run-1"),
      });
      forge.calls.length = 0;
      forge.hiddenLists = 1;
      const outcome = await openOrUpdatePullRequest({
        repo,
        credentials,
        spec: { ...SPEC, body: runMarker("run-3") },
        marker: runMarker("run-3"),
      });
      assert.deepEqual([outcome.action, outcome.number], [
        RACED[kind].action,
        1,
      ]);
      assert.deepEqual(forge.calls.map((c) => c.method), RACED[kind].calls);
      assert.equal(forge.pulls.length, 1);
      assert.equal(forge.pulls[0]!.body, runMarker("run-3"));
    } finally {
      await forge.close();
    }
  });
}

Deno.test("openOrUpdatePullRequest() names the host and the credential's source on a rejected token, never the token", async () => {
  const forge = startFakeForge("gitea", TOKEN);
  try {
    const { repo, credentials } = setup(
      "gitea",
      forge,
      "wrong-token-value-123",
    );
    await assert.rejects(
      openOrUpdatePullRequest({ repo, credentials, spec: SPEC, marker: "m" }),
      (error: unknown) => {
        assert.ok(error instanceof ForgeError);
        assert.equal(error.status, 401);
        assert.match(
          error.message,
          /Forge API at '127\.0\.0\.1:\d+' answered HTTP 401, could not list pull requests of 'acme\/widgets': the credential from AOS_GIT_CREDENTIALS\["git\.example\.com"\] was rejected/,
        );
        assert.ok(!error.message.includes("wrong-token-value-123"));
        return true;
      },
    );
  } finally {
    await forge.close();
  }
});

Deno.test("openOrUpdatePullRequest() needs a credential for the host and an https URL", async () => {
  const { credentials } = readGitCredentials(null, null);
  await assert.rejects(
    openOrUpdatePullRequest({
      repo: "https://git.example.com/acme/widgets.git",
      credentials,
      spec: SPEC,
      marker: "m",
    }),
    /Cannot open a pull request: no credential is configured for host 'git\.example\.com' \(add "git\.example\.com" with its token and kind to AOS_GIT_CREDENTIALS\)/,
  );
  await assert.rejects(
    openOrUpdatePullRequest({
      repo: "/srv/repos/widgets",
      credentials,
      spec: SPEC,
      marker: "m",
    }),
    /'\/srv\/repos\/widgets' is not an https repository URL of the form https:\/\/HOST\/OWNER\/NAME, which pull requests need/,
  );
});
