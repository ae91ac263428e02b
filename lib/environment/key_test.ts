import assert from "node:assert/strict";
import { git } from "../git/run.ts";
import { environmentKey, type EnvironmentKeyInput } from "./key.ts";
import { writeFiles } from "../../tests/support/files.ts";

const AUTHOR = {
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@x",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@x",
};

async function commit(dir: string, files: Record<string, string>) {
  await writeFiles(dir, files);
  await git(["add", "-A"], { cwd: dir });
  await git(["commit", "-q", "-m", "c"], { cwd: dir, env: AUTHOR });
  return (await git(["rev-parse", "HEAD"], { cwd: dir })).stdout.trim();
}

Deno.test("environmentKey() follows the lockfiles' content, the commands and the env, not other files", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aos-envkey-" });
  try {
    await git(["init", "-q", dir]);
    const c1 = await commit(dir, {
      "package-lock.json": "{}",
      "web/yarn.lock": "a",
      "requirements-dev.txt": "pytest",
      "src/app.js": "1",
    });
    const base: EnvironmentKeyInput = {
      repo: "https://example.com/r.git",
      setupCommands: ["npm ci"],
      cacheKey: null,
      env: {},
      mountAt: "/ws/.sandbox/repo",
      dir,
      baseCommit: c1,
    };
    const k1 = await environmentKey(base);
    assert.deepEqual(k1.files.map((f) => f.path), [
      "package-lock.json",
      "requirements-dev.txt",
      "web/yarn.lock",
    ]);
    const c2 = await commit(dir, { "src/app.js": "2" });
    assert.equal(
      (await environmentKey({ ...base, baseCommit: c2 })).key,
      k1.key,
    );
    const c3 = await commit(dir, { "web/yarn.lock": "b" });
    const k3 = await environmentKey({ ...base, baseCommit: c3 });
    assert.notEqual(k3.key, k1.key);
    for (
      const changed of [
        { setupCommands: ["npm install"] },
        { env: { NODE_ENV: "production" } },
        { repo: "https://example.com/other.git" },
        { cacheKey: ["src/**"] },
      ]
    ) {
      assert.notEqual(
        (await environmentKey({ ...base, ...changed })).key,
        k1.key,
      );
    }
    // A named key file: only it counts.
    const named = { ...base, cacheKey: ["src/app.js"] };
    assert.deepEqual(
      (await environmentKey(named)).files.map((f) => f.path),
      ["src/app.js"],
    );
    assert.notEqual(
      (await environmentKey({ ...named, baseCommit: c2 })).key,
      (await environmentKey(named)).key,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
