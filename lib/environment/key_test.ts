import assert from "node:assert/strict";
import { git } from "../git/mod.ts";
import { environmentKey, type EnvironmentKeyInput } from "./key.ts";
import { writeFiles } from "../workspace/testing.ts";

const AUTHOR = {
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@x",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@x",
};

async function commit(dir: string, files: Record<string, string>) {
  await writeFiles(dir, files);
  await git(["add", "-A"], { cwd: dir });
  await git(["commit", "-q", "--allow-empty", "-m", "c"], {
    cwd: dir,
    env: AUTHOR,
  });
  return (await git(["rev-parse", "HEAD"], { cwd: dir })).stdout.trim();
}

async function withRepo(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "aos-envkey-" });
  try {
    await git(["init", "-q", dir]);
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const input = (dir: string, baseCommit: string): EnvironmentKeyInput => ({
  repo: "https://example.com/r.git",
  cloneBranch: "main",
  setupCommands: ["npm ci"],
  cacheKey: null,
  env: {},
  mountAt: "/ws/.sandbox/repo",
  dir,
  baseCommit,
});

Deno.test("environmentKey() follows the base commit's whole tree: any file setup could run changes it", async () => {
  await withRepo(async (dir) => {
    const c1 = await commit(dir, {
      "package-lock.json": "{}",
      "package.json": '{"scripts":{}}',
      "src/app.js": "1",
    });
    const k1 = await environmentKey(input(dir, c1));
    const tree = (await git(["rev-parse", `${c1}^{tree}`], { cwd: dir }))
      .stdout.trim();
    assert.equal(k1.tree, tree);
    assert.deepEqual(k1.files, []);
    // Another commit with the same tree (an empty commit, a revert): same key.
    const same = await commit(dir, {});
    assert.equal((await environmentKey(input(dir, same))).key, k1.key);
    // An install script changed, lockfile untouched: a different environment.
    const poisoned = await commit(dir, {
      "package.json": '{"scripts":{"postinstall":"./evil.sh"}}',
    });
    assert.notEqual((await environmentKey(input(dir, poisoned))).key, k1.key);
    const source = await commit(dir, { "src/app.js": "2" });
    assert.notEqual((await environmentKey(input(dir, source))).key, k1.key);
    for (
      const changed of [
        { setupCommands: ["npm install"] },
        { env: { NODE_ENV: "production" } },
        { repo: "https://example.com/other.git" },
        { cacheKey: ["package-lock.json"] },
        { mountAt: "/elsewhere" },
      ]
    ) {
      assert.notEqual(
        (await environmentKey({ ...input(dir, c1), ...changed })).key,
        k1.key,
      );
    }
  });
});

Deno.test("environmentKey() with setup_cache_key: only the named files count, within one clone_branch", async () => {
  await withRepo(async (dir) => {
    const c1 = await commit(dir, {
      "package-lock.json": "{}",
      "web/yarn.lock": "a",
      "src/app.js": "1",
    });
    const named = {
      ...input(dir, c1),
      cacheKey: ["package-lock.json", "**/yarn.lock"],
    };
    const k1 = await environmentKey(named);
    assert.equal(k1.tree, null);
    assert.deepEqual(k1.files.map((f) => f.path), [
      "package-lock.json",
      "web/yarn.lock",
    ]);
    const c2 = await commit(dir, { "src/app.js": "2" });
    assert.equal(
      (await environmentKey({ ...named, baseCommit: c2 })).key,
      k1.key,
    );
    const c3 = await commit(dir, { "web/yarn.lock": "b" });
    assert.notEqual(
      (await environmentKey({ ...named, baseCommit: c3 })).key,
      k1.key,
    );
    // Another branch with the very same named files never shares it.
    assert.notEqual(
      (await environmentKey({ ...named, cloneBranch: "evil" })).key,
      k1.key,
    );
  });
});

Deno.test("environmentKey() of a repository without a lockfile: a changed package.json is a new environment", async () => {
  await withRepo(async (dir) => {
    const before = await commit(dir, {
      "package.json": '{"dependencies":{"left-pad":"1.0.0"}}',
    });
    const after = await commit(dir, {
      "package.json": '{"dependencies":{"left-pad":"1.3.0"}}',
    });
    const spec = (c: string) => ({
      ...input(dir, c),
      setupCommands: ["npm install"],
    });
    assert.notEqual(
      (await environmentKey(spec(before))).key,
      (await environmentKey(spec(after))).key,
      "a stale node_modules would be restored",
    );
  });
});
