import assert from "node:assert/strict";
import { join, relative } from "node:path";
import {
  applyPacket,
  commitAndPush,
  diffWorkspace,
  ensureMirror,
  GitError,
  prepareWorkspace,
  removeWorkspace,
  resetWorkspace,
} from "./workspace.ts";
import {
  git,
  GitCredentials,
  mirrorDir,
  readGitCredentials,
} from "../git/mod.ts";

const AUTHOR = {
  GIT_AUTHOR_NAME: "Seed",
  GIT_AUTHOR_EMAIL: "seed@example.com",
  GIT_COMMITTER_NAME: "Seed",
  GIT_COMMITTER_EMAIL: "seed@example.com",
};

interface Fixture {
  base: string;
  /** Bare repository playing the remote. */
  remote: string;
  /** Working clone of the remote used to make upstream commits. */
  seed: string;
  root: string;
  /** Prepares run `runId`'s workspace of the remote at `ref` under `root`. */
  prepare(runId: string, ref?: string): ReturnType<typeof prepareWorkspace>;
}

async function commitFile(
  seed: string,
  path: string,
  content: string,
  message: string,
) {
  await Deno.mkdir(join(seed, path, ".."), { recursive: true });
  await Deno.writeTextFile(join(seed, path), content);
  await git(["add", "--all"], { cwd: seed });
  await git(["commit", "-q", "-m", message], { cwd: seed, env: AUTHOR });
  await git(["push", "-q", "origin", "HEAD:refs/heads/main"], { cwd: seed });
  return (await git(["rev-parse", "HEAD"], { cwd: seed })).stdout.trim();
}

async function withFixture(fn: (f: Fixture) => Promise<void>) {
  const base = await Deno.realPath(
    await Deno.makeTempDir({ prefix: "aos-git-" }),
  );
  try {
    const remote = join(base, "remote.git");
    const seed = join(base, "seed");
    await git(["init", "-q", "--bare", "-b", "main", remote]);
    await git(["init", "-q", "-b", "main", seed]);
    await git(["remote", "add", "origin", remote], { cwd: seed });
    await Deno.writeTextFile(join(seed, ".gitignore"), "build/\n");
    await commitFile(seed, "README.md", "# demo\n", "initial");
    await git(["tag", "v1"], { cwd: seed });
    await git(["push", "-q", "origin", "v1"], { cwd: seed });
    const root = join(base, "workspaces");
    await fn({
      base,
      remote,
      seed,
      root,
      prepare: (runId, ref = "main") =>
        prepareWorkspace({ root, runId, repo: remote, ref }),
    });
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

const head = async (dir: string, ref = "HEAD") =>
  (await git(["rev-parse", ref], { cwd: dir })).stdout.trim();

Deno.test("ensureMirror() clones once, then fetches new commits", async () => {
  await withFixture(async ({ remote, seed, base }) => {
    const cacheDir = join(base, "cache");
    const dirs = await Promise.all(
      [1, 2, 3].map(() => ensureMirror({ cacheDir, repo: remote })),
    );
    assert.equal(new Set(dirs).size, 1);
    const mirror = dirs[0] as string;
    assert.equal(mirror, await mirrorDir(cacheDir, remote));
    assert.match(mirror, /\/[0-9a-f]{64}$/);
    assert.equal(await head(mirror, "refs/heads/main"), await head(seed));
    const next = await commitFile(seed, "b.txt", "b\n", "second");
    await ensureMirror({ cacheDir, repo: remote });
    assert.equal(await head(mirror, "refs/heads/main"), next);
    // Only the mirror, its lock file and its fetch time remain: no temp clones.
    const names = [...Deno.readDirSync(cacheDir)].map((e) => e.name).sort();
    assert.deepEqual(names, [
      mirror.split("/").pop(),
      `${mirror.split("/").pop()}.fetched`,
      `${mirror.split("/").pop()}.lock`,
    ]);
  });
});

Deno.test("ensureMirror() resolves a relative local path against the cwd", async () => {
  await withFixture(async ({ remote, base }) => {
    const cacheDir = join(base, "cache");
    const relative = join(
      "..",
      ...Array(Deno.cwd().split("/").length).fill(".."),
      remote,
    );
    const a = await ensureMirror({ cacheDir, repo: relative });
    assert.equal(a, await mirrorDir(cacheDir, remote));
  });
});

Deno.test("prepareWorkspace() checks out a branch detached, with origin at the original repo", async () => {
  await withFixture(async ({ remote, seed, root, prepare }) => {
    const { dir, baseCommit } = await prepare("run-1");
    assert.equal(dir, join(root, "run-1"));
    assert.equal(baseCommit, await head(seed));
    assert.equal(await head(dir), baseCommit);
    assert.equal(await Deno.readTextFile(join(dir, "README.md")), "# demo\n");
    const symbolic = await git(["symbolic-ref", "-q", "HEAD"], {
      cwd: dir,
      allowFailure: true,
    });
    assert.notEqual(symbolic.code, 0, "HEAD should be detached");
    assert.equal(
      (await git(["config", "remote.origin.url"], { cwd: dir })).stdout.trim(),
      remote,
    );
  });
});

Deno.test("prepareWorkspace() works with a workspace root relative to the cwd", async () => {
  await withFixture(async ({ remote, seed, root }) => {
    const rel = relative(Deno.cwd(), root);
    const { dir, baseCommit } = await prepareWorkspace({
      root: rel,
      runId: "r",
      repo: remote,
      ref: "main",
    });
    assert.equal(dir, join(root, "r"));
    assert.equal(baseCommit, await head(seed));
    const alternates = await Deno.readTextFile(
      join(dir, ".git/objects/info/alternates"),
    );
    assert.ok(alternates.startsWith(join(root, ".cache")), alternates);
    assert.equal(await diffWorkspace(dir, baseCommit), "");
  });
});

Deno.test("prepareWorkspace() accepts a tag, a full SHA and a short SHA", async () => {
  await withFixture(async ({ seed, prepare }) => {
    const first = await head(seed);
    await commitFile(seed, "b.txt", "b\n", "second");
    const byTag = await prepare("tag", "v1");
    assert.equal(byTag.baseCommit, first);
    const byFull = await prepare("full", first);
    assert.equal(byFull.baseCommit, first);
    const byShort = await prepare("short", first.slice(0, 8));
    assert.equal(byShort.baseCommit, first);
    await assert.rejects(
      Deno.stat(join(byShort.dir, "b.txt")),
      Deno.errors.NotFound,
    );
  });
});

Deno.test("prepareWorkspace() names the unknown ref and the repository", async () => {
  await withFixture(async ({ prepare }) => {
    await assert.rejects(
      prepare("r", "no-such-branch"),
      (error: unknown) => {
        assert.ok(error instanceof GitError);
        assert.equal(error.name, "GitError");
        assert.match(
          error.message,
          /Branch or commit 'no-such-branch' not found in repository '.*remote\.git'/,
        );
        return true;
      },
    );
  });
});

Deno.test("prepareWorkspace() keeps credentials out of errors", async () => {
  await withFixture(async ({ root }) => {
    await assert.rejects(
      prepareWorkspace({
        root,
        runId: "r",
        repo: "https://user:hunter2secret@127.0.0.1:9/x.git",
        ref: "main",
        // Past the address guard, to reach git's own error.
        addressPolicy: { allowPrivate: true, allowlist: [] },
        credentials: new GitCredentials([{
          host: "127.0.0.1",
          token: "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
          kind: "gitea",
          api: "https://127.0.0.1:9/api/v1",
          username: "aos",
          insecureHttp: false,
          webhookSecret: null,
          source: "test",
        }]),
      }),
      (error: unknown) => {
        assert.ok(error instanceof GitError, String(error));
        assert.match(error.message, /Host '127.0.0.1:9' is unreachable/);
        assert.doesNotMatch(error.message, /hunter2secret|ghp_/);
        return true;
      },
    );
  });
});

Deno.test("prepareWorkspace() reuses the run's workspace and its base commit", async () => {
  await withFixture(async ({ seed, root, prepare }) => {
    const first = await prepare("run");
    await Deno.writeTextFile(join(first.dir, "junk.txt"), "x");
    const upstream = await commitFile(seed, "b.txt", "b\n", "moved upstream");
    const again = await prepare("run");
    assert.deepEqual(again, first);
    await assert.rejects(
      Deno.stat(join(first.dir, "junk.txt")),
      Deno.errors.NotFound,
    );
    // Naming the base by its SHA reuses the workspace too (a marker in .git survives).
    await Deno.writeTextFile(join(first.dir, ".git/aos-marker"), "x");
    assert.deepEqual(
      await prepare("run", first.baseCommit),
      first,
    );
    assert.equal(
      await Deno.readTextFile(join(first.dir, ".git/aos-marker")),
      "x",
    );
    // A workspace lost with its worker is rebuilt from the mirror.
    await removeWorkspace(root, "run");
    const rebuilt = await prepare("run", first.baseCommit);
    assert.deepEqual(rebuilt, first);
    const other = await prepare("other");
    assert.equal(other.baseCommit, upstream);
  });
});

Deno.test("prepareWorkspace() rejects run ids that would leave the root", async () => {
  await withFixture(async ({ prepare }) => {
    await assert.rejects(
      prepare("../x", "main"),
      TypeError,
    );
    await assert.rejects(
      prepare(".cache", "main"),
      TypeError,
    );
  });
});

Deno.test("applyPacket() applies writes and deletes and reports rejected paths", async () => {
  await withFixture(async ({ base, prepare }) => {
    const { dir } = await prepare("r");
    await Deno.symlink(base, join(dir, "escape"));
    const result = await applyPacket(dir, {
      writes: [
        { path: "src/deep/new.py", content: "print(1)\n" },
        { path: "README.md", content: "changed\n" },
        { path: ".git/hooks/pre-commit", content: "evil" },
        { path: "secret/key", content: "k" },
        { path: "escape/pwned.txt", content: "x" },
        { path: "../outside.txt", content: "x" },
      ],
      deletes: [".gitignore", "gone.txt", "secret/other"],
    }, { allowed: [], forbidden: ["secret/**"] });
    assert.equal(result.applied, 4);
    assert.deepEqual(result.rejected.map((r) => r.path), [
      "secret/other",
      ".git/hooks/pre-commit",
      "secret/key",
      "escape/pwned.txt",
      "../outside.txt",
    ]);
    assert.match(result.rejected[0]?.reason ?? "", /forbidden_paths/);
    assert.match(result.rejected[3]?.reason ?? "", /symlink/);
    assert.equal(
      await Deno.readTextFile(join(dir, "src/deep/new.py")),
      "print(1)\n",
    );
    assert.equal(await Deno.readTextFile(join(dir, "README.md")), "changed\n");
    await assert.rejects(
      Deno.stat(join(dir, ".gitignore")),
      Deno.errors.NotFound,
    );
    await assert.rejects(
      Deno.stat(join(base, "pwned.txt")),
      Deno.errors.NotFound,
    );
    await assert.rejects(
      Deno.stat(join(dir, ".git/hooks/pre-commit")),
      Deno.errors.NotFound,
    );
  });
});

Deno.test("diffWorkspace() shows modified, new, deleted and binary files without touching the index", async () => {
  await withFixture(async ({ prepare }) => {
    const { dir, baseCommit } = await prepare("r");
    await applyPacket(dir, {
      writes: [{ path: "README.md", content: "# changed\n" }, {
        path: "new.txt",
        content: "hello\n",
      }],
      deletes: [".gitignore"],
    }, { allowed: [], forbidden: [] });
    await Deno.writeFile(
      join(dir, "blob.bin"),
      new Uint8Array([0, 1, 2, 255, 0, 7]),
    );
    const diff = await diffWorkspace(dir, baseCommit);
    assert.match(
      diff,
      /diff --git a\/README.md b\/README.md[\s\S]*-# demo\n\+# changed/,
    );
    assert.match(
      diff,
      /diff --git a\/new.txt b\/new.txt\nnew file mode[\s\S]*\+hello/,
    );
    assert.match(
      diff,
      /diff --git a\/.gitignore b\/.gitignore\ndeleted file mode/,
    );
    assert.match(
      diff,
      /diff --git a\/blob.bin b\/blob.bin[\s\S]*GIT binary patch/,
    );
    const status = (await git(["status", "--porcelain"], { cwd: dir })).stdout;
    assert.match(
      status,
      /^\?\? new.txt$/m,
      "new.txt stays untracked in the real index",
    );
    assert.equal(
      (await git(["diff", "--cached", "--name-only"], { cwd: dir })).stdout,
      "",
    );
    const gitFiles = [...Deno.readDirSync(join(dir, ".git"))].map((e) =>
      e.name
    );
    assert.ok(
      !gitFiles.some((n) => n.startsWith("aos-diff-index")),
      "temp index removed",
    );
  });
});

Deno.test("resetWorkspace() restores tracked files and removes untracked and ignored ones", async () => {
  await withFixture(async ({ prepare }) => {
    const { dir, baseCommit } = await prepare("r");
    await Deno.writeTextFile(join(dir, "README.md"), "dirty");
    await Deno.mkdir(join(dir, "build"));
    await Deno.writeTextFile(join(dir, "build/out.o"), "ignored");
    await Deno.writeTextFile(join(dir, "untracked.txt"), "x");
    await resetWorkspace(dir, baseCommit);
    assert.equal(await Deno.readTextFile(join(dir, "README.md")), "# demo\n");
    await assert.rejects(Deno.stat(join(dir, "build")), Deno.errors.NotFound);
    await assert.rejects(
      Deno.stat(join(dir, "untracked.txt")),
      Deno.errors.NotFound,
    );
    assert.equal(await diffWorkspace(dir, baseCommit), "");
  });
});

async function finishRun(
  root: string,
  remote: string,
  runId: string,
  ref: string,
  branch: string | null,
) {
  const { dir, baseCommit } = await prepareWorkspace({
    root,
    runId,
    repo: remote,
    ref,
  });
  await applyPacket(dir, {
    writes: [{
      path: "calc.py",
      content: "def add(a, b):\n    return a + b\n",
    }],
    deletes: [],
  }, {
    allowed: [],
    forbidden: [],
  });
  return await commitAndPush({
    dir,
    baseCommit,
    branch,
    message: "AOS: add\n\nRun x",
    repo: remote,
  });
}

Deno.test("commitAndPush() pushes a commit by AOS, and redoing it yields the same SHA", async () => {
  await withFixture(async ({ remote, root, seed }) => {
    const base = await head(seed);
    const first = await finishRun(root, remote, "run", "main", "aos/feature");
    assert.equal(first.pushed, true);
    assert.equal(await head(remote, "refs/heads/aos/feature"), first.commit);
    const meta = (await git([
      "show",
      "-s",
      "--format=%an <%ae>|%cn <%ce>|%P|%s",
      first.commit,
    ], { cwd: remote })).stdout;
    assert.equal(
      meta.trim(),
      `AOS <aos@localhost>|AOS <aos@localhost>|${base}|AOS: add`,
    );
    // A crash after the push: another worker rebuilds the workspace and repeats it.
    await removeWorkspace(root, "run");
    const again = await finishRun(root, remote, "run", base, "aos/feature");
    assert.deepEqual(again, first);
    assert.equal(
      await head(remote, "refs/heads/main"),
      base,
      "main is untouched",
    );
  });
});

Deno.test("commitAndPush() without a branch commits locally only", async () => {
  await withFixture(async ({ remote, root }) => {
    const result = await finishRun(root, remote, "run", "main", null);
    assert.equal(result.pushed, false);
    assert.equal(await head(join(root, "run")), result.commit);
    const branches = (await git(["branch", "--list"], { cwd: remote })).stdout
      .trim();
    assert.equal(branches, "* main");
  });
});

Deno.test("commitAndPush() refuses to overwrite a remote branch with unrelated history", async () => {
  await withFixture(async ({ remote, root, seed }) => {
    await git(["checkout", "-q", "--orphan", "other"], { cwd: seed });
    await Deno.writeTextFile(join(seed, "other.txt"), "x");
    await git(["add", "--all"], { cwd: seed });
    await git(["commit", "-q", "-m", "unrelated"], { cwd: seed, env: AUTHOR });
    await git(["push", "-q", "origin", "HEAD:refs/heads/taken"], { cwd: seed });
    const before = await head(remote, "refs/heads/taken");
    await assert.rejects(
      finishRun(root, remote, "run", "main", "taken"),
      (error: unknown) => {
        assert.ok(error instanceof GitError);
        assert.match(error.message, /Push to branch 'taken' .* was rejected/);
        return true;
      },
    );
    assert.equal(await head(remote, "refs/heads/taken"), before);
  });
});

Deno.test("commitAndPush() rejects an invalid branch name", async () => {
  await withFixture(async ({ remote, root }) => {
    await assert.rejects(
      finishRun(root, remote, "run", "main", "bad..name"),
      /Invalid branch name 'bad..name'/,
    );
  });
});

Deno.test("prepareWorkspace() never writes the token into git config", async () => {
  await withFixture(async ({ remote, root }) => {
    const token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
    const { dir } = await prepareWorkspace({
      root,
      runId: "r",
      repo: `file://${remote}`,
      ref: "main",
      credentials: readGitCredentials(null, token).credentials,
    });
    const mirror = await mirrorDir(join(root, ".cache"), `file://${remote}`);
    for (const config of [join(dir, ".git/config"), join(mirror, "config")]) {
      assert.doesNotMatch(
        await Deno.readTextFile(config),
        /ghp_|extraheader|Authorization/i,
      );
    }
  });
});

Deno.test("a FIFO a command left in the workspace neither blocks applyPacket() nor survives resetWorkspace()", async () => {
  await withFixture(async ({ prepare }) => {
    const { dir, baseCommit } = await prepare("r");
    // An acceptance or setup command's leftovers: git neither tracks nor cleans these.
    await git(["rm", "-q", "README.md"], { cwd: dir });
    for (const name of ["out.txt", "README.md"]) {
      const made = await new Deno.Command("mkfifo", {
        args: [join(dir, name)],
      }).output();
      assert.ok(made.success);
    }
    const result = await applyPacket(dir, {
      writes: [{ path: "out.txt", content: "written\n" }],
      deletes: [],
    }, { allowed: [], forbidden: [] });
    assert.deepEqual(result, { applied: 1, rejected: [] });
    assert.equal(await Deno.readTextFile(join(dir, "out.txt")), "written\n");
    await resetWorkspace(dir, baseCommit);
    assert.equal(await Deno.readTextFile(join(dir, "README.md")), "# demo\n");
    await assert.rejects(
      Deno.lstat(join(dir, "out.txt")),
      Deno.errors.NotFound,
    );
    assert.equal(await diffWorkspace(dir, baseCommit), "");
  });
});
