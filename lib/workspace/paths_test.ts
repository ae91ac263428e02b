import assert from "node:assert/strict";
import { join } from "node:path";
import {
  checkWritable,
  normalizeRepoDir,
  normalizeRepoPath,
  PathPolicyError,
  resolveInside,
} from "./paths.ts";
import { MAX_LAG_MS, withLagProbe } from "../../tests/support/loop_lag.ts";

function rejects(fn: () => unknown, includes: string) {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof PathPolicyError, String(error));
    assert.equal(error.name, "PathPolicyError");
    assert.ok(error.message.includes(includes), error.message);
    return true;
  });
}

Deno.test("normalizeRepoPath() returns a clean relative POSIX path", () => {
  assert.equal(normalizeRepoPath("a/b.txt"), "a/b.txt");
  assert.equal(normalizeRepoPath("./a//b/./c.txt"), "a/b/c.txt");
  assert.equal(normalizeRepoPath("src/"), "src");
  assert.equal(
    normalizeRepoPath(".github/workflows/ci.yml"),
    ".github/workflows/ci.yml",
  );
  assert.equal(normalizeRepoPath(".gitignore"), ".gitignore");
  assert.equal(normalizeRepoPath("a/..b"), "a/..b");
});

Deno.test("normalizeRepoPath() rejects unsafe paths, naming the path and the reason", () => {
  rejects(() => normalizeRepoPath(""), "is empty");
  rejects(() => normalizeRepoPath("  "), "is empty");
  rejects(
    () => normalizeRepoPath("/etc/passwd"),
    "Path '/etc/passwd' is absolute",
  );
  rejects(() => normalizeRepoPath("C:\\x"), "backslash");
  rejects(() => normalizeRepoPath("C:/x"), "is absolute");
  rejects(() => normalizeRepoPath("a\\b"), "backslash");
  rejects(() => normalizeRepoPath("../x"), "Path '../x' contains '..'");
  rejects(() => normalizeRepoPath("a/../../x"), "contains '..'");
  rejects(() => normalizeRepoPath("a\u0000b"), "control characters");
  rejects(() => normalizeRepoPath("a\nb"), "control characters");
  rejects(() => normalizeRepoPath(".git"), "'.git'");
  rejects(() => normalizeRepoPath(".git/config"), "'.git'");
  rejects(() => normalizeRepoPath("./.git/hooks/pre-commit"), "'.git'");
  rejects(() => normalizeRepoPath("sub/.GIT/config"), "'.git'");
  rejects(() => normalizeRepoPath("."), "repository root");
});

Deno.test("normalizeRepoDir() maps the root spellings to an empty path and checks the rest", () => {
  for (const root of [undefined, "", " ", ".", "./", "././"]) {
    assert.equal(normalizeRepoDir(root), "");
  }
  assert.equal(normalizeRepoDir("./src/"), "src");
  rejects(() => normalizeRepoDir("../"), "contains '..'");
  rejects(() => normalizeRepoDir(".."), "contains '..'");
  rejects(() => normalizeRepoDir("/"), "is absolute");
});

Deno.test("checkWritable() lets forbidden globs win over allowed ones", () => {
  const policy = {
    allowed: ["src/**", "*.md"],
    forbidden: ["src/secret/**", "*.lock"],
  };
  assert.equal(checkWritable("./src/a.py", policy), "src/a.py");
  assert.equal(checkWritable("README.md", policy), "README.md");
  rejects(
    () => checkWritable("src/secret/key.pem", policy),
    `Path 'src/secret/key.pem' matches forbidden_paths pattern "src/secret/**"`,
  );
  rejects(() => checkWritable("deno.lock", policy), "forbidden_paths");
  rejects(
    () => checkWritable("lib/x.py", policy),
    `Path 'lib/x.py' is outside allowed_paths ["src/**","*.md"]`,
  );
  rejects(
    () => checkWritable(".git/config", { allowed: [], forbidden: [] }),
    "'.git'",
  );
});

Deno.test("checkWritable() allows everything when allowed_paths is empty", () => {
  const policy = { allowed: [], forbidden: [] };
  assert.equal(
    checkWritable("deep/nested/.hidden/file", policy),
    "deep/nested/.hidden/file",
  );
});

Deno.test("checkWritable() treats a glob naming a directory as covering its contents", () => {
  const policy = { allowed: ["src", "docs/"], forbidden: ["vendor"] };
  assert.equal(checkWritable("src/a/b.ts", policy), "src/a/b.ts");
  assert.equal(checkWritable("docs/x.md", policy), "docs/x.md");
  rejects(
    () => checkWritable("vendor/x.js", { allowed: [], forbidden: ["vendor"] }),
    "forbidden",
  );
  rejects(() => checkWritable("srcx/a.ts", policy), "outside allowed_paths");
});

Deno.test("checkWritable() matches a slash-less glob against the file name at any depth", () => {
  const policy = { allowed: ["*.py"], forbidden: ["*.lock"] };
  assert.equal(checkWritable("pkg/sub/mod.py", policy), "pkg/sub/mod.py");
  rejects(() => checkWritable("pkg/poetry.lock", policy), "forbidden_paths");
  rejects(() => checkWritable("pkg/mod.js", policy), "outside allowed_paths");
  // With a slash the glob is anchored at the repository root.
  rejects(
    () => checkWritable("x/src/a.py", { allowed: ["src/*.py"], forbidden: [] }),
    "outside",
  );
});

Deno.test("checkWritable() matches dotfiles with globs", () => {
  const policy = { allowed: ["*.py"], forbidden: ["**/.env"] };
  assert.equal(checkWritable(".hidden.py", policy), ".hidden.py");
  rejects(
    () => checkWritable("app/.env", { allowed: [], forbidden: ["**/.env"] }),
    "forbidden",
  );
});

async function withTree(fn: (root: string, outside: string) => Promise<void>) {
  const base = await Deno.makeTempDir({ prefix: "aos-paths-" });
  try {
    const root = join(base, "repo");
    const outside = join(base, "outside");
    await Deno.mkdir(join(root, "src"), { recursive: true });
    await Deno.mkdir(outside);
    await Deno.writeTextFile(join(root, "src/a.txt"), "a");
    await Deno.writeTextFile(join(outside, "secret.txt"), "s");
    await Deno.symlink(outside, join(root, "out_dir"));
    await Deno.symlink(join(outside, "secret.txt"), join(root, "out_file"));
    await Deno.symlink("src", join(root, "in_dir"));
    await Deno.symlink("src/a.txt", join(root, "in_file"));
    await Deno.symlink("/nonexistent/elsewhere", join(root, "dangling"));
    await fn(await Deno.realPath(root), outside);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

async function rejectsAsync(p: Promise<unknown>, includes: string) {
  await assert.rejects(p, (error: unknown) => {
    assert.ok(error instanceof PathPolicyError, String(error));
    assert.ok(error.message.includes(includes), error.message);
    return true;
  });
}

Deno.test("resolveInside() returns the absolute path of plain and new files", async () => {
  await withTree(async (root) => {
    assert.equal(
      await resolveInside(root, "src/a.txt"),
      join(root, "src/a.txt"),
    );
    assert.equal(
      await resolveInside(root, "./new/dir/f.txt", { forWrite: true }),
      join(root, "new/dir/f.txt"),
    );
  });
});

Deno.test("resolveInside() rejects reads through symlinks that leave the root", async () => {
  await withTree(async (root) => {
    await rejectsAsync(
      resolveInside(root, "out_dir/secret.txt"),
      "'out_dir', which points outside",
    );
    await rejectsAsync(resolveInside(root, "out_file"), "points outside");
    await rejectsAsync(resolveInside(root, "dangling"), "points outside");
    // Links that stay inside are fine for reading.
    assert.equal(
      await resolveInside(root, "in_dir/a.txt"),
      join(root, "in_dir/a.txt"),
    );
    assert.equal(await resolveInside(root, "in_file"), join(root, "in_file"));
  });
});

Deno.test("resolveInside() rejects writes through any symlink", async () => {
  await withTree(async (root) => {
    await rejectsAsync(
      resolveInside(root, "in_file", { forWrite: true }),
      "symlink 'in_file'",
    );
    await rejectsAsync(
      resolveInside(root, "in_dir/new.txt", { forWrite: true }),
      "symlink 'in_dir'",
    );
    await rejectsAsync(
      resolveInside(root, "out_dir/new.txt", { forWrite: true }),
      "symlink 'out_dir'",
    );
  });
});

Deno.test("resolveInside() lets a delete remove a link but not go through one", async () => {
  await withTree(async (root) => {
    assert.equal(
      await resolveInside(root, "out_file", { forDelete: true }),
      join(root, "out_file"),
    );
    await rejectsAsync(
      resolveInside(root, "out_dir/secret.txt", { forDelete: true }),
      "symlink 'out_dir'",
    );
  });
});

Deno.test("resolveInside() validates the relative path first", async () => {
  await withTree(async (root) => {
    await rejectsAsync(
      resolveInside(root, "../outside/secret.txt"),
      "contains '..'",
    );
  });
});

Deno.test("checkWritable() with a forbidden_paths glob built to backtrack answers in milliseconds", async () => {
  // A work order's (or a repository's .aos/work_order.yml) glob against a repository's file name.
  const policy = { allowed: [], forbidden: [`${"*a".repeat(12)}b`] };
  const path = `src/${"a".repeat(200)}`;
  const { value, lagMs } = await withLagProbe(() =>
    checkWritable(path, policy)
  );
  assert.equal(value, path);
  assert.ok(lagMs < MAX_LAG_MS, `event loop blocked ${lagMs} ms`);
});
