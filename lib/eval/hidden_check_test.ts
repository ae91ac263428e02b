import assert from "node:assert/strict";
import { join } from "node:path";
import { git } from "../git/mod.ts";
import { parseWorkOrder } from "../work_order/mod.ts";
import { overlayFiles, runHiddenCheck } from "./hidden_check.ts";
import type { EvalTask } from "./suite.ts";
import { checkoutResult, createTaskRepo } from "./task_repo.ts";

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "aos_hidden_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function task(dir: string, hiddenCheck: string[]): EvalTask {
  return {
    name: "t",
    dir,
    fields: {},
    body: "x",
    spec: {
      hidden_check: hiddenCheck,
      hidden_timeout_s: 30,
      tags: [],
      network: false,
    },
    repoDir: null,
    hiddenDir: join(dir, "hidden"),
    solutionPatch: null,
  };
}

Deno.test("overlayFiles() never writes through a symlink the agent left in the checkout", async () => {
  await withDir(async (dir) => {
    const outside = join(dir, "outside");
    const checkout = join(dir, "checkout");
    const hidden = join(dir, "hidden");
    await Deno.mkdir(outside);
    await Deno.mkdir(join(hidden, "tests"), { recursive: true });
    await Deno.mkdir(checkout);
    await Deno.writeTextFile(join(hidden, "tests", "test_x.py"), "hidden");
    await Deno.writeTextFile(join(hidden, "conftest.py"), "hidden too");
    await Deno.writeTextFile(join(outside, "victim"), "keep");
    // The agent's tree: a folder that is a link out, a file that is a link out.
    await Deno.symlink(outside, join(checkout, "tests"));
    await Deno.symlink(join(outside, "victim"), join(checkout, "conftest.py"));
    await overlayFiles(hidden, checkout);
    assert.deepEqual([...Deno.readDirSync(outside)].map((e) => e.name), [
      "victim",
    ]);
    assert.equal(await Deno.readTextFile(join(outside, "victim")), "keep");
    assert.equal(
      await Deno.readTextFile(join(checkout, "tests", "test_x.py")),
      "hidden",
    );
    assert.equal((await Deno.lstat(join(checkout, "tests"))).isDirectory, true);
    assert.equal(
      await Deno.readTextFile(join(checkout, "conftest.py")),
      "hidden too",
    );
  });
});

Deno.test("createTaskRepo() commits a folder into a bare repo; checkoutResult() gets a pushed branch back", async () => {
  await withDir(async (dir) => {
    const source = join(dir, "src");
    await Deno.mkdir(join(source, "pkg"), { recursive: true });
    await Deno.writeTextFile(join(source, "pkg", "a.py"), "A = 1\n");
    await Deno.writeTextFile(join(source, ".gitignore"), "*.pyc\n");
    await Deno.writeTextFile(join(source, "junk.pyc"), "x");
    const bare = join(dir, "repo.git");
    const first = await createTaskRepo({ sourceDir: source, bareDir: bare });
    // Same files, same commit: attempts start from one base.
    const again = await createTaskRepo({
      sourceDir: source,
      bareDir: join(dir, "again.git"),
    });
    assert.equal(first, again);
    const files =
      (await git(["--git-dir", bare, "ls-tree", "-r", "--name-only", "main"]))
        .stdout.trim().split("\n");
    assert.deepEqual(files, [".gitignore", "pkg/a.py"]);
    assert.equal(
      (await git(["--git-dir", bare, "rev-parse", "--is-bare-repository"]))
        .stdout.trim(),
      "true",
    );
    await git(["--git-dir", bare, "branch", "aos-eval/x", "main"]);
    const checkout = join(dir, "checkout");
    const head = await checkoutResult({
      repo: bare,
      branch: "aos-eval/x",
      dir: checkout,
    });
    assert.equal(head, first);
    assert.equal(
      await Deno.readTextFile(join(checkout, "pkg", "a.py")),
      "A = 1\n",
    );
  });
});

Deno.test("runHiddenCheck() passes when every command exits 0 and reports the first failure", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(join(dir, "hidden"));
    await Deno.writeTextFile(
      join(dir, "hidden", "check.sh"),
      "test -f made_by_setup\n",
    );
    const checkout = join(dir, "checkout");
    await Deno.mkdir(checkout);
    const workOrder = parseWorkOrder(
      '---\nrepo: /x/r.git\nsetup_commands: ["touch made_by_setup"]\nsetup_network: false\nenv: {GREETING: hi}\n---\n\nx\n',
    );
    const passed = await runHiddenCheck({
      task: task(dir, ["sh check.sh", 'test "$GREETING" = hi']),
      workOrder,
      checkoutDir: checkout,
      mode: "bwrap",
    });
    assert.equal(passed.outcome, "passed", JSON.stringify(passed));
    assert.deepEqual(passed.commands.map((c) => [c.phase, c.exit_code]), [
      ["setup", 0],
      ["check", 0],
      ["check", 0],
    ]);
    const failed = await runHiddenCheck({
      task: task(dir, ["echo first; exit 3", "true"]),
      workOrder,
      checkoutDir: checkout,
      mode: "bwrap",
    });
    assert.equal(failed.outcome, "failed");
    assert.equal(
      failed.detail,
      "hidden check `echo first; exit 3` exited 3\nfirst",
    );
    assert.equal(failed.commands.length, 2);
    // The network is off for the hidden check itself.
    const offline = await runHiddenCheck({
      task: task(dir, [
        "python3 -c \"import socket; socket.create_connection(('1.1.1.1', 53), timeout=3)\"",
      ]),
      workOrder,
      checkoutDir: checkout,
      mode: "bwrap",
    });
    assert.equal(offline.outcome, "failed");
    const setupFails = await runHiddenCheck({
      task: task(dir, ["true"]),
      workOrder: { ...workOrder, setup_commands: ["exit 7"] },
      checkoutDir: checkout,
      mode: "bwrap",
    });
    assert.equal(setupFails.outcome, "error");
    assert.match(setupFails.detail ?? "", /^setup command `exit 7` exited 7/);
  });
});
