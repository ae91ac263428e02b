import assert from "node:assert/strict";
import { join } from "node:path";
import { attemptWorkOrder, loadSuite, SuiteError } from "./suite.ts";

const TASK_MD = '---\ntitle: T\nacceptance_commands: ["true"]\n---\n\nDo it.\n';
const EVAL_YML = 'hidden_check: ["true"]\n';

async function write(dir: string, files: Record<string, string>) {
  for (const [path, text] of Object.entries(files)) {
    const full = join(dir, path);
    await Deno.mkdir(join(full, ".."), { recursive: true });
    await Deno.writeTextFile(full, text);
  }
}

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "aos_suite_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Loads `files` as a suite and returns the SuiteError it must raise. */
async function refusal(files: Record<string, string>): Promise<SuiteError> {
  let caught: unknown;
  await withDir(async (dir) => {
    await write(dir, files);
    caught = await loadSuite(dir).then(() => null, (e) => e);
  });
  assert.ok(
    caught instanceof SuiteError,
    `Expected a SuiteError, got ${caught}`,
  );
  return caught;
}

Deno.test("loadSuite() reads tasks in name order with their folders, spec and quick subset", async () => {
  await withDir(async (dir) => {
    await write(dir, {
      "suite.yml": "description: Demo\nquick: [b]\n",
      "b/task.md": TASK_MD,
      "b/eval.yml":
        'hidden_check: ["python3 -m unittest"]\nhidden_timeout_s: 30\ndifficulty: hard\ntags: [feature]\n',
      "b/repo/x.py": "x = 1\n",
      "b/hidden/test_x.py": "",
      "b/solution.patch": "",
      "a/task.md": "---\nrepo: https://example.com/r.git\n---\n\nDo it.\n",
      "a/eval.yml": EVAL_YML,
      ".git/ignored": "",
    });
    const suite = await loadSuite(dir);
    assert.deepEqual(suite.tasks.map((t) => t.name), ["a", "b"]);
    assert.deepEqual(suite.quick, ["b"]);
    assert.equal(suite.description, "Demo");
    const [a, b] = suite.tasks;
    assert.equal(a?.repoDir, null);
    assert.equal(a?.fields.repo, "https://example.com/r.git");
    assert.equal(b?.repoDir, join(dir, "b", "repo"));
    assert.equal(b?.hiddenDir, join(dir, "b", "hidden"));
    assert.equal(b?.solutionPatch, join(dir, "b", "solution.patch"));
    assert.deepEqual(b?.spec, {
      hidden_check: ["python3 -m unittest"],
      hidden_timeout_s: 30,
      difficulty: "hard",
      tags: ["feature"],
      network: false,
    });
    const wo = attemptWorkOrder(b!, {
      repo: "/tmp/x/repo.git",
      pushBranch: "aos-eval/1",
      models: { model: "m1", se_model: null },
    });
    assert.deepEqual(
      [wo.repo, wo.push_branch, wo.model, wo.se_model, wo.title, wo.task],
      ["/tmp/x/repo.git", "aos-eval/1", "m1", null, "T", "Do it."],
    );
  });
});

Deno.test("loadSuite() refuses a missing folder, an empty suite and a task without a work order", async () => {
  const missing = await loadSuite("/no/such/suite").then(() => null, (e) => e);
  assert.ok(missing instanceof SuiteError);
  assert.equal(missing.message, 'Suite folder "/no/such/suite" does not exist');
  assert.match((await refusal({ "README.md": "" })).message, /has no tasks/);
  const noWorkOrder = await refusal({ "t/eval.yml": EVAL_YML });
  assert.match(
    noWorkOrder.message,
    /^Task "t" has no work order: ".*\/t\/task\.md" is missing$/,
  );
  assert.match(noWorkOrder.file, /\/t\/task\.md$/);
});

Deno.test("loadSuite() names the file and field of a malformed hidden check", async () => {
  const missing = await refusal({ "t/task.md": TASK_MD, "t/repo/a": "" });
  assert.match(missing.message, /"\S+\/t\/eval\.yml" is missing/);
  const notYaml = await refusal({
    "t/task.md": TASK_MD,
    "t/repo/a": "",
    "t/eval.yml": "hidden_check: [unclosed\n",
  });
  assert.match(notYaml.message, /"\S+\/t\/eval\.yml" is not valid YAML/);
  const wrong = await refusal({
    "t/task.md": TASK_MD,
    "t/repo/a": "",
    "t/eval.yml": "hidden_check: python3 -m unittest\nhiden_timeout_s: 5\n",
  });
  assert.match(wrong.message, /^Invalid "\S+\/t\/eval\.yml"$/);
  assert.equal(wrong.details.length, 2);
  assert.match(wrong.details.join("\n"), /^hidden_check: /m);
  assert.match(wrong.details.join("\n"), /^Unknown field 'hiden_timeout_s'$/m);
  const empty = await refusal({
    "t/task.md": TASK_MD,
    "t/repo/a": "",
    "t/eval.yml": "hidden_check: []\n",
  });
  assert.match(empty.details[0] ?? "", /^hidden_check: /);
});

Deno.test("loadSuite() validates task.md with the server's rules and the fields aos eval owns", async () => {
  const invalid = await refusal({
    "t/task.md": "---\nmax_iterations: 0\nunknown_field: 1\n---\n\nx\n",
    "t/repo/a": "",
    "t/eval.yml": EVAL_YML,
  });
  assert.match(invalid.message, /^Invalid work order "\S+\/t\/task\.md"$/);
  assert.deepEqual(invalid.details, [
    "max_iterations: Must be an integer from 1 to 20, got number 0",
    "unknown_field: Unknown field 'unknown_field'",
  ]);
  const owned = await refusal({
    "t/task.md": "---\nrepo: /x/y.git\npush_branch: z\n---\n\nx\n",
    "t/repo/a": "",
    "t/eval.yml": EVAL_YML,
  });
  assert.deepEqual(owned.details.map((d) => d.split(":")[0]), [
    "repo",
    "push_branch",
  ]);
  const noRepo = await refusal({
    "t/task.md": TASK_MD,
    "t/eval.yml": EVAL_YML,
  });
  assert.match(noRepo.details[0] ?? "", /^repo: Required field is missing/);
  const noFrontmatter = await refusal({
    "t/task.md": "Just text\n",
    "t/repo/a": "",
    "t/eval.yml": EVAL_YML,
  });
  assert.match(noFrontmatter.details[0] ?? "", /^frontmatter: /);
  const badQuick = await refusal({
    "suite.yml": "quick: [t, ghost]\n",
    "t/task.md": TASK_MD,
    "t/repo/a": "",
    "t/eval.yml": EVAL_YML,
  });
  assert.match(badQuick.file, /suite\.yml$/);
  assert.deepEqual(badQuick.details, ['quick: no task folder named "ghost"']);
});
