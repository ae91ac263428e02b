import assert from "node:assert/strict";
import { join } from "node:path";
import { prepareWorkspace } from "../workspace/mod.ts";
import { ensureMirror, mirrorDir } from "./mirror.ts";
import { git } from "./run.ts";

const AUTHOR = {
  GIT_AUTHOR_NAME: "Seed",
  GIT_AUTHOR_EMAIL: "seed@example.com",
  GIT_COMMITTER_NAME: "Seed",
  GIT_COMMITTER_EMAIL: "seed@example.com",
};

/** A bare remote with one commit, and a way to count the fetches served from it. */
async function withRemote(
  fn: (r: {
    base: string;
    remote: string;
    head: string;
    countFetches: (mirror: string) => Promise<() => Promise<number>>;
  }) => Promise<void>,
): Promise<void> {
  const base = await Deno.realPath(
    await Deno.makeTempDir({ prefix: "aos-mirror-" }),
  );
  try {
    const remote = join(base, "remote.git");
    const seed = join(base, "seed");
    await git(["init", "-q", "--bare", "-b", "main", remote]);
    await git(["init", "-q", "-b", "main", seed]);
    await Deno.writeTextFile(join(seed, "README.md"), "# demo\n");
    await git(["add", "--all"], { cwd: seed });
    await git(["commit", "-q", "-m", "initial"], { cwd: seed, env: AUTHOR });
    await git(["push", "-q", remote, "HEAD:refs/heads/main"], { cwd: seed });
    const head = (await git(["rev-parse", "HEAD"], { cwd: seed })).stdout
      .trim();
    // Every fetch from the remote runs its upload-pack: a wrapper counts them.
    const countFetches = async (mirror: string) => {
      const log = join(base, "upload-pack.log");
      const wrapper = join(base, "upload-pack.sh");
      await Deno.writeTextFile(
        wrapper,
        `#!/bin/sh\necho fetch >> '${log}'\nexec git-upload-pack "$@"\n`,
      );
      await Deno.chmod(wrapper, 0o755);
      await git(["config", "remote.origin.uploadpack", wrapper], {
        cwd: mirror,
      });
      return async () => {
        try {
          return (await Deno.readTextFile(log)).split("\n").filter(Boolean)
            .length;
        } catch {
          return 0;
        }
      };
    };
    await fn({ base, remote, head, countFetches });
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

Deno.test("ensureMirror() shares fetches between concurrent callers and never serves one older than the request", async () => {
  await withRemote(async ({ base, remote, countFetches }) => {
    const cacheDir = join(base, "cache");
    const mirror = await ensureMirror({ cacheDir, repo: remote });
    const fetches = await countFetches(mirror);
    await Promise.all(
      Array.from(
        { length: 10 },
        () => ensureMirror({ cacheDir, repo: remote }),
      ),
    );
    // The first caller fetches; the other nine arrived while it did, so one
    // fetch started after all of them serves them all.
    const burst = await fetches();
    assert.ok(burst >= 1 && burst <= 2, `${burst} fetches for 10 callers`);
    // A caller after the burst still fetches: nothing started after it asked.
    await ensureMirror({ cacheDir, repo: remote });
    assert.equal(await fetches(), burst + 1);
  });
});

Deno.test("prepareWorkspace() of ten runs at once fetches the mirror at most twice; a SHA it has needs no fetch", async () => {
  await withRemote(async ({ base, remote, head, countFetches }) => {
    const root = join(base, "workspaces");
    await prepareWorkspace({ root, runId: "first", repo: remote, ref: "main" });
    const fetches = await countFetches(
      await mirrorDir(join(root, ".cache"), remote),
    );
    const prepared = await Promise.all(
      Array.from(
        { length: 10 },
        (_, i) =>
          prepareWorkspace({
            root,
            runId: `run-${i}`,
            repo: remote,
            ref: "main",
          }),
      ),
    );
    assert.ok(prepared.every((p) => p.baseCommit === head));
    const burst = await fetches();
    assert.ok(burst >= 1 && burst <= 2, `${burst} fetches for 10 runs`);
    const bySha = await prepareWorkspace({
      root,
      runId: "by-sha",
      repo: remote,
      ref: head,
    });
    assert.equal(bySha.baseCommit, head);
    assert.equal(await fetches(), burst);
  });
});

Deno.test("a clone_branch the repository lacks: the error names its default branch", async () => {
  await withRemote(async ({ base, remote, head }) => {
    // A repository whose default branch is master, without main.
    await git(["update-ref", "refs/heads/master", head], { cwd: remote });
    await git(["symbolic-ref", "HEAD", "refs/heads/master"], { cwd: remote });
    await git(["update-ref", "-d", "refs/heads/main"], { cwd: remote });
    await assert.rejects(
      prepareWorkspace({
        root: join(base, "ws"),
        runId: "r",
        repo: remote,
        ref: "main",
      }),
      (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.match(
          error.message,
          /^Branch or commit 'main' not found in repository '.*remote\.git': its default branch is 'master' \(set clone_branch: master\)$/,
        );
        return true;
      },
    );
  });
});
