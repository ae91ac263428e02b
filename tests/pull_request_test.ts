/**
 * Pull requests end to end: a full run clones a private repository from a
 * real smart-HTTP git server (Apache + git http-backend over https) on a
 * non-GitHub host, pushes with the host's token, and opens the pull request
 * through a Gitea-contract API stand-in; a second run of the branch updates it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runAos } from "../cli/testing.ts";
import { git } from "../lib/git/mod.ts";
import { withHarness } from "./support/harness.ts";
import { startFakeForge } from "./support/fake_forge.ts";
import { addRepo, startGitHttpServer } from "./support/git_http_server.ts";
import { everythingStored } from "./support/run_events.ts";
import { poVerdict } from "../lib/llm/testing.ts";

const USERS = {
  reader: "reader-TOKEN-9d8c7b6a5f4e",
  writer: "writer-TOKEN-1f2e3d4c5b6a",
};

const write = (content: string, summary = "notes") => ({
  tool_calls: [
    { name: "write_file", arguments: { path: "NOTES.md", content } },
    { name: "finish", arguments: { summary } },
  ],
});
const pass = (feedback: string) => poVerdict("PASS", feedback);

Deno.test("a run pushes to a private https git host and opens, then a re-run updates, its pull request", async () => {
  const server = await startGitHttpServer(USERS);
  const forge = startFakeForge("gitea", USERS.writer);
  try {
    await addRepo(server, "private", { "README.md": "# private\n" });
    const repo = `${server.httpsOrigin}${server.path("private")}`;
    await withHarness({
      script: {
        // The SE echoes the host's token: every stored copy must be redacted.
        se: [write("first\n", `used ${USERS.writer}`), write("second\n")],
        po: [pass("Notes are there"), pass("Still good")],
      },
      env: {
        // The git server is on loopback: its host is allow-listed explicitly.
        AOS_REPO_ALLOWLIST: `${server.httpsOrigin}/`,
        AOS_GIT_CREDENTIALS: JSON.stringify({
          [server.httpsHost]: {
            token: USERS.writer,
            kind: "gitea",
            username: "writer",
            api: forge.api,
            // Only the API stand-in is plain http; git goes over https.
            insecure_http: true,
          },
        }),
        AOS_PUBLIC_URL: "https://aos.example.com/",
      },
    }, async (h) => {
      const first = await h.submit(h.workOrder({
        repo,
        title: "Write the notes",
        push_branch: "aos/notes",
        acceptance_commands: ["test -f NOTES.md"],
        pull_request: { draft: true },
      }, "Create NOTES.md."));
      const done = await h.waitForEnd(first.id);
      assert.equal(done.status, "SUCCEEDED", done.error ?? "");
      const url = `https://gitea.example/git/private/pulls/1`;
      assert.equal(done.pull_request_url, url);
      assert.equal(
        done.result_summary,
        `Decision: PASS, pushed to aos/notes, pull request ${url}`,
      );
      const events = await h.svc.store.listEvents(first.id);
      const opened = events.find((e) => e.kind === "PR_OPENED");
      assert.deepEqual(opened?.payload, {
        url,
        number: 1,
        branch: "aos/notes",
      });
      // The branch is on the git server, pushed by the writer.
      const pushed = await git(
        ["show", "aos/notes:NOTES.md"],
        { cwd: join(server.reposDir, "private.git") },
      );
      assert.equal(pushed.stdout, "first\n");
      // The forge got a lookup by head, then the create, with the token as `token`.
      assert.deepEqual(
        forge.calls.map((c) => [c.method, c.path, c.auth]),
        [
          ["GET", "/api/v1/repos/git/private/pulls", "token"],
          ["POST", "/api/v1/repos/git/private/pulls", "token"],
        ],
      );
      const create = forge.calls[1]!.body!;
      assert.equal(create.head, "aos/notes");
      assert.equal(create.base, "main");
      assert.equal(create.title, "WIP: Write the notes");
      const body = String(create.body);
      assert.match(body, /\*\*Write the notes\*\*/);
      assert.match(body, /Create NOTES\.md\./);
      assert.match(body, /after 1 of at most 5 iteration/);
      assert.match(body, /- PASS `test -f NOTES\.md` — exit 0/);
      assert.match(body, /\*\*PASS\*\*: Notes are there/);
      assert.ok(
        body.includes(
          `[${first.id}](https://aos.example.com/ui/runs/${first.id})`,
        ),
      );
      assert.ok(body.includes(`<!-- aos-run: ${first.id} -->`));

      // `aos status` shows the pull request.
      const status = await runAos(["status", first.id], { env: h.cliEnv });
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, new RegExp(`^PR: +${url}$`, "m"));

      // A second run continues the branch: the same pull request is updated.
      const second = await h.submit(h.workOrder({
        repo,
        clone_branch: "aos/notes",
        push_branch: "aos/notes",
        allow_push_to_clone_branch: true,
        pull_request: { base: "main", title: "Notes, second pass" },
      }, "Rewrite NOTES.md."));
      const again = await h.waitForEnd(second.id);
      assert.equal(again.status, "SUCCEEDED", again.error ?? "");
      assert.equal(again.pull_request_url, url);
      const kinds = (await h.svc.store.listEvents(second.id)).map((e) =>
        e.kind
      );
      assert.ok(kinds.includes("PR_UPDATED"));
      assert.ok(!kinds.includes("PR_OPENED"));
      assert.equal(forge.pulls.length, 1);
      assert.equal(forge.pulls[0]!.title, "Notes, second pass");
      assert.ok(
        forge.pulls[0]!.body.includes(`<!-- aos-run: ${second.id} -->`),
      );
      assert.equal(forge.calls.filter((c) => c.method === "POST").length, 1);

      for (const id of [first.id, second.id]) {
        const stored = await everythingStored(h.svc.store, id);
        assert.ok(!stored.includes(USERS.writer), "token never stored");
        assert.ok(!stored.includes(btoa(`writer:${USERS.writer}`)));
      }
    });
  } finally {
    await forge.close();
    await server.stop();
  }
});

Deno.test("a pull request the forge refuses ends the run FAILED saying the branch was pushed", async () => {
  const server = await startGitHttpServer(USERS);
  // The API accepts another token than the one configured for the host.
  const forge = startFakeForge("gitlab", "the-right-api-token-000");
  try {
    await addRepo(server, "private", { "README.md": "# private\n" });
    await withHarness({
      script: { se: [write("x\n")], po: [pass("ok")] },
      env: {
        // The git server is on loopback: its host is allow-listed explicitly.
        AOS_REPO_ALLOWLIST: `${server.httpsOrigin}/`,
        AOS_GIT_CREDENTIALS: JSON.stringify({
          [server.httpsHost]: {
            token: USERS.writer,
            kind: "gitlab",
            username: "writer",
            api: forge.api,
            insecure_http: true,
          },
        }),
      },
    }, async (h) => {
      const run = await h.submit(h.workOrder({
        repo: `${server.httpsOrigin}${server.path("private")}`,
        push_branch: "aos/x",
        pull_request: true,
      }));
      const done = await h.waitForEnd(run.id);
      assert.equal(done.status, "FAILED");
      assert.match(
        done.error ?? "",
        /^Pushed branch 'aos\/x', but the pull request failed: Forge API at '127\.0\.0\.1:\d+' answered HTTP 401, could not list merge requests of 'git\/private': the credential from AOS_GIT_CREDENTIALS\["git\.localhost:\d+"\] was rejected/,
      );
      assert.equal(done.pull_request_url, null);
      assert.equal(forge.calls[0]!.auth, "Bearer");
      const pushed = await git(["rev-parse", "--verify", "refs/heads/aos/x"], {
        cwd: join(server.reposDir, "private.git"),
        allowFailure: true,
      });
      assert.equal(pushed.code, 0, "the branch was pushed before the PR step");
      assert.ok(
        !JSON.stringify(await h.svc.store.listEvents(run.id)).includes(
          USERS.writer,
        ),
      );
    });
  } finally {
    await forge.close();
    await server.stop();
  }
});

Deno.test("a pull_request no credential can open is refused at submit with 422", async () => {
  await withHarness({}, async (h) => {
    for (
      const [repo, message] of [
        [h.remote, /is not an https repository URL/],
        [
          "https://git.example.com/acme/widgets.git",
          /no credential is configured for host 'git\.example\.com'/,
        ],
      ] as const
    ) {
      const res = await fetch(`${h.svc.url}/runs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          repo,
          push_branch: "aos/x",
          pull_request: true,
          task: "Do it.",
        }),
      });
      assert.equal(res.status, 422);
      const body = await res.json();
      assert.equal(body.error.details[0].field, "pull_request");
      assert.match(body.error.details[0].message, message);
    }
    assert.equal(
      (await h.svc.store.listRuns({ limit: 10, offset: 0 })).runs.length,
      0,
    );
  });
});
