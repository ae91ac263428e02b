import assert from "node:assert/strict";
import { join } from "node:path";
import { choosePushTarget, type PushMode } from "./push_target.ts";
import { commitAndPush } from "./commit.ts";
import { GitError } from "./errors.ts";
import { remoteBranches, remoteDefaultBranch } from "./remote.ts";
import { git } from "./run.ts";

const AUTHOR = {
  GIT_AUTHOR_NAME: "Seed",
  GIT_AUTHOR_EMAIL: "seed@example.com",
  GIT_COMMITTER_NAME: "Seed",
  GIT_COMMITTER_EMAIL: "seed@example.com",
};

/** A bare remote with one commit on `main`, and `work`: a clone of it (the run's checkout). */
async function withRemote(
  fn: (
    f: { remote: string; work: string; base: string; tmp: string },
  ) => Promise<void>,
): Promise<void> {
  const tmp = await Deno.makeTempDir({ prefix: "aos_push_target_" });
  try {
    const remote = join(tmp, "remote.git");
    const work = join(tmp, "work");
    await git(["init", "-q", "--bare", "-b", "main", remote]);
    await git(["init", "-q", "-b", "main", work]);
    await Deno.writeTextFile(join(work, "a.txt"), "a\n");
    await git(["add", "--all"], { cwd: work });
    await git(["commit", "-q", "-m", "seed"], { cwd: work, env: AUTHOR });
    await git(["push", "-q", remote, "HEAD:refs/heads/main"], { cwd: work });
    const base = (await git(["rev-parse", "HEAD"], { cwd: work })).stdout
      .trim();
    await fn({ remote, work, base, tmp });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

/** Pushes a commit on top of `parent` to `branch` from a second clone the run's checkout never saw. */
async function pushElsewhere(
  f: { remote: string; tmp: string },
  branch: string,
  parent: string,
): Promise<string> {
  const other = join(f.tmp, `other-${crypto.randomUUID()}`);
  await git(["clone", "-q", f.remote, other]);
  await git(["checkout", "-q", parent], { cwd: other });
  await Deno.writeTextFile(join(other, "b.txt"), crypto.randomUUID());
  await git(["add", "--all"], { cwd: other });
  await git(["commit", "-q", "-m", "elsewhere"], { cwd: other, env: AUTHOR });
  await git(["push", "-q", "origin", `HEAD:refs/heads/${branch}`], {
    cwd: other,
  });
  return (await git(["rev-parse", "HEAD"], { cwd: other })).stdout.trim();
}

function choose(
  f: { remote: string; work: string; base: string },
  mode: PushMode,
  branch = "aos/x",
) {
  return choosePushTarget({
    repo: f.remote,
    branch,
    mode,
    baseCommit: f.base,
    dir: f.work,
  });
}

async function rejectsConflict(
  promise: Promise<unknown>,
  message: RegExp,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof GitError, String(error));
    assert.equal(error.reason, "push_conflict");
    assert.match(error.message, message);
    return true;
  });
}

Deno.test("choosePushTarget() takes a branch that does not exist in every mode", async () => {
  await withRemote(async (f) => {
    for (const mode of ["new", "update", "suffix"] as const) {
      assert.deepEqual(await choose(f, mode), {
        branch: "aos/x",
        existing: null,
      });
    }
  });
});

Deno.test("choosePushTarget() on a branch that is an ancestor of the base: update on top, new refuses, suffix renames", async () => {
  await withRemote(async (f) => {
    await git(["push", "-q", f.remote, `${f.base}:refs/heads/aos/x`], {
      cwd: f.work,
    });
    assert.deepEqual(await choose(f, "update"), {
      branch: "aos/x",
      existing: f.base,
    });
    await rejectsConflict(
      choose(f, "new"),
      /Branch 'aos\/x' already exists on '.*remote\.git' and the work order says push_mode: new: delete the branch, choose another push_branch, or set push_mode: update .* or push_mode: suffix \(push to 'aos\/x-2'\)/,
    );
    assert.deepEqual(await choose(f, "suffix"), {
      branch: "aos/x-2",
      existing: null,
    });
    await git(["push", "-q", f.remote, `${f.base}:refs/heads/aos/x-2`], {
      cwd: f.work,
    });
    assert.equal((await choose(f, "suffix")).branch, "aos/x-3");
  });
});

Deno.test("choosePushTarget() update refuses a branch with commits the base lacks, naming the remedies", async () => {
  await withRemote(async (f) => {
    // Pushed from another clone: the run's checkout must fetch it to tell.
    const tip = await pushElsewhere(f, "aos/x", f.base);
    await rejectsConflict(
      choose(f, "update"),
      new RegExp(
        `Branch 'aos/x' already exists on '.*' at ${
          tip.slice(0, 12)
        }, which is not an ancestor of this run's base commit ${
          f.base.slice(0, 12)
        }.*merge or delete the branch, choose another push_branch, set clone_branch to 'aos/x'.*push_mode: suffix`,
      ),
    );
    // A prefix of the name is not the branch (ls-remote matches tails).
    await pushElsewhere(f, "team/aos/x-old", f.base);
    assert.deepEqual(
      [...(await remoteBranches({ repo: f.remote, only: "x-old" })).keys()],
      [],
    );
  });
});

Deno.test("choosePushTarget() update accepts a branch the base was built on", async () => {
  await withRemote(async (f) => {
    const tip = await pushElsewhere(f, "aos/x", f.base);
    // The run's base is now the branch's own tip plus one commit (say main merged it).
    await git(["fetch", "-q", f.remote, "refs/heads/aos/x"], { cwd: f.work });
    await git(["checkout", "-q", tip], { cwd: f.work });
    await Deno.writeTextFile(join(f.work, "c.txt"), "c\n");
    await git(["add", "--all"], { cwd: f.work });
    await git(["commit", "-q", "-m", "on top"], { cwd: f.work, env: AUTHOR });
    const base = (await git(["rev-parse", "HEAD"], { cwd: f.work })).stdout
      .trim();
    assert.deepEqual(await choose({ ...f, base }, "update"), {
      branch: "aos/x",
      existing: tip,
    });
  });
});

Deno.test("commitAndPush() re-checks at push time: a branch created since the check is never overwritten", async () => {
  await withRemote(async (f) => {
    const target = await choose(f, "new");
    await Deno.writeTextFile(join(f.work, "new.txt"), "new\n");
    const theirs = await pushElsewhere(f, target.branch, f.base);
    for (const mode of ["new", "suffix"] as const) {
      await rejectsConflict(
        commitAndPush({
          dir: f.work,
          baseCommit: f.base,
          branch: target.branch,
          message: "AOS: x",
          repo: f.remote,
          mode,
        }),
        /Branch 'aos\/x' was created on '.*' by someone else after this run checked it \(push_mode: (new|suffix)\)/,
      );
    }
    assert.equal(
      (await remoteBranches({ repo: f.remote, only: "aos/x" })).get("aos/x"),
      theirs,
    );
  });
});

Deno.test("commitAndPush() dates the commit at the run's time, by the configured author, and a repeat is a no-op", async () => {
  await withRemote(async (f) => {
    const date = new Date("2026-12-06T04:05:06.789Z");
    const push = () =>
      commitAndPush({
        dir: f.work,
        baseCommit: f.base,
        branch: "aos/x",
        message: "AOS: x\n\nRun r1, iteration 1.\n\nAOS-Run-Id: r1",
        repo: f.remote,
        mode: "new",
        author: { name: "Robot", email: "robot@example.com" },
        date,
      });
    await Deno.writeTextFile(join(f.work, "new.txt"), "new\n");
    const first = await push();
    assert.equal(first.pushed, true);
    const meta = (await git([
      "show",
      "-s",
      "--format=%an <%ae>|%cn <%ce>|%at|%ct|%(trailers:key=AOS-Run-Id,valueonly)",
      first.commit,
    ], { cwd: f.remote })).stdout.trim();
    assert.equal(
      meta,
      `Robot <robot@example.com>|Robot <robot@example.com>|${
        Math.floor(date.getTime() / 1000)
      }|${Math.floor(date.getTime() / 1000)}|r1`,
    );
    // A crash after the push: the repeat (same inputs, push_mode new) finds its own commit there.
    await git(["reset", "-q", "--hard", f.base], { cwd: f.work });
    await Deno.writeTextFile(join(f.work, "new.txt"), "new\n");
    assert.deepEqual(await push(), first);
    // Even once someone pushed on top of it (fetched to tell: the checkout never saw that commit).
    const later = await pushElsewhere(f, "aos/x", first.commit);
    await git(["reset", "-q", "--hard", f.base], { cwd: f.work });
    await Deno.writeTextFile(join(f.work, "new.txt"), "new\n");
    assert.deepEqual(await push(), first);
    assert.equal(
      (await remoteBranches({ repo: f.remote, only: "aos/x" })).get("aos/x"),
      later,
    );
  });
});

Deno.test("remoteDefaultBranch() names the branch the remote's HEAD points at", async () => {
  await withRemote(async (f) => {
    assert.equal(await remoteDefaultBranch({ repo: f.remote }), "main");
    await git(["symbolic-ref", "HEAD", "refs/heads/master"], {
      cwd: f.remote,
    });
    await git(["push", "-q", f.remote, `${f.base}:refs/heads/master`], {
      cwd: f.work,
    });
    assert.equal(await remoteDefaultBranch({ repo: f.remote }), "master");
  });
});
