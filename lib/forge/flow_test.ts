/**
 * The shared flow's less travelled paths, against the forge stand-ins: a
 * refusal that is not a duplicate, a duplicate the list never shows, paging
 * and head matching where the forge cannot filter, Bitbucket's Basic auth.
 */
import assert from "node:assert/strict";
import { withFakeForge } from "../../tests/support/fake_forge.ts";
import { ForgeError, openOrUpdatePullRequest, runMarker } from "./mod.ts";

const TOKEN = "flow-TOKEN-9f8e7d6c5b4a";
const marker = runMarker("run-1");
const SPEC = {
  head: "aos/feature",
  base: "main",
  title: "Add the feature",
  body: `Body\n${marker}`,
  draft: false,
};

Deno.test("openOrUpdatePullRequest() names the forge, host and status of a refusal that is not a duplicate, never the token", async () => {
  await withFakeForge({ kind: "github", token: TOKEN }, async (forge, to) => {
    const spec = { ...SPEC, title: "" };
    await assert.rejects(
      openOrUpdatePullRequest({ ...to, spec, marker }),
      (error: unknown) => {
        assert.ok(error instanceof ForgeError);
        assert.equal(error.status, 422);
        assert.match(
          error.message,
          /^GitHub at '127\.0\.0\.1:\d+' refused the pull request from 'aos\/feature' into 'main' \(HTTP 422\): Validation Failed$/,
        );
        assert.ok(!error.message.includes(TOKEN));
        return true;
      },
    );
    assert.deepEqual(forge.calls.map((c) => c.method), ["GET", "POST"]);
    assert.equal(forge.pulls.length, 0);
  });
});

Deno.test("openOrUpdatePullRequest() fails naming the forge when a duplicate is refused but never listed", async () => {
  await withFakeForge({ kind: "gitlab", token: TOKEN }, async (forge, to) => {
    await openOrUpdatePullRequest({ ...to, spec: SPEC, marker });
    forge.calls.length = 0;
    forge.hiddenLists = 2;
    await assert.rejects(
      openOrUpdatePullRequest({ ...to, spec: SPEC, marker }),
      (error: unknown) => {
        assert.ok(error instanceof ForgeError);
        assert.equal(error.status, 409);
        assert.match(
          error.message,
          /^GitLab at '127\.0\.0\.1:\d+' says a merge request from 'aos\/feature' already exists, but it is not listed as open$/,
        );
        return true;
      },
    );
    assert.deepEqual(forge.calls.map((c) => c.method), ["GET", "POST", "GET"]);
  });
});

Deno.test("openOrUpdatePullRequest() on gitea pages through open pull requests and takes only the head branch's", async () => {
  await withFakeForge({ kind: "gitea", token: TOKEN }, async (forge, to) => {
    // A full first page of other branches' pull requests.
    for (let n = 1; n <= 50; n++) {
      forge.pulls.push({
        number: n,
        head: `other/${n}`,
        base: "main",
        title: `Other ${n}`,
        body: "",
        draft: false,
        open: true,
      });
    }
    const pages = (from: number) =>
      forge.calls.slice(from).map((c) => `${c.method} ${c.query.page ?? ""}`);
    const first = await openOrUpdatePullRequest({ ...to, spec: SPEC, marker });
    assert.deepEqual([first.action, first.number], ["opened", 51]);
    assert.deepEqual(pages(0), ["GET 1", "GET 2", "POST "]);
    const seen = forge.calls.length;
    const rerun = await openOrUpdatePullRequest({
      ...to,
      spec: { ...SPEC, body: runMarker("run-2") },
      marker: runMarker("run-2"),
    });
    assert.deepEqual([rerun.action, rerun.number], ["updated", 51]);
    assert.deepEqual(pages(seen), ["GET 1", "GET 2", "PATCH "]);
    assert.equal(
      forge.calls.at(-1)!.path,
      "/api/v1/repos/acme/widgets/pulls/51",
    );
    assert.equal(forge.pulls.length, 51);
  });
});

Deno.test("openOrUpdatePullRequest() on bitbucket sends an app password as Basic with its username", async () => {
  const bitbucket = {
    kind: "bitbucket",
    token: TOKEN,
    username: "robot",
  } as const;
  await withFakeForge(bitbucket, async (forge, to) => {
    const outcome = await openOrUpdatePullRequest({
      ...to,
      spec: SPEC,
      marker,
    });
    assert.deepEqual([outcome.action, outcome.number], ["opened", 1]);
    assert.deepEqual(forge.calls.map((c) => c.auth), ["Basic", "Basic"]);
  });
});
