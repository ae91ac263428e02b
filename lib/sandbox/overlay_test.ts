import assert from "node:assert/strict";
import { join } from "node:path";
import { overlayProblem } from "./sandbox.ts";
import { run } from "./testing.ts";

async function withDirs(
  fn: (d: { root: string; workspace: string; layer: string }) => Promise<void>,
) {
  // Outside /tmp: the sandbox's private /tmp would hide these anyway.
  const root = await Deno.realPath(
    await Deno.makeTempDir({ prefix: "aos-overlay-", dir: "/var/tmp" }),
  );
  try {
    const workspace = join(root, "run-1");
    const layer = join(root, ".envs/e1");
    await Deno.mkdir(workspace);
    await Deno.mkdir(join(layer, "node_modules/x"), { recursive: true });
    await Deno.writeTextFile(
      join(layer, "node_modules/x/index.js"),
      "cached\n",
    );
    await Deno.writeTextFile(join(layer, "node_modules/y.js"), "y\n");
    await fn({ root, workspace, layer });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("overlayProblem() finds overlay layers usable on this machine", async () => {
  assert.equal(await overlayProblem(), null);
});

Deno.test("runCommand() [bwrap] with layers: sees them, writes to the workspace, never changes them", async () => {
  await withDirs(async ({ root, workspace, layer }) => {
    await Deno.writeTextFile(join(workspace, "a.txt"), "tracked\n");
    const result = await run({
      command: [
        "cat node_modules/x/index.js a.txt",
        "echo changed > node_modules/x/index.js",
        "rm node_modules/y.js",
        "rm -rf node_modules/x && echo gone",
        "ls -A node_modules | wc -l",
        "echo built > out.txt",
      ].join(" && "),
      cwd: workspace,
      mode: "bwrap",
      layers: [layer],
      hideDirs: [root],
    });
    assert.equal(result.exit_code, 0, result.output);
    assert.equal(result.output, "cached\ntracked\ngone\n0\n");
    assert.equal(
      await Deno.readTextFile(join(workspace, "out.txt")),
      "built\n",
    );
    assert.equal(
      await Deno.readTextFile(join(layer, "node_modules/x/index.js")),
      "cached\n",
    );
    assert.equal(
      await Deno.readTextFile(join(layer, "node_modules/y.js")),
      "y\n",
    );
    // The overlay's scratch dir is gone again.
    const left = [...Deno.readDirSync(root)].map((e) => e.name).sort();
    assert.deepEqual(left, [".envs", "run-1"]);
  });
});

Deno.test("runCommand() [bwrap] with layers: a layer dir cannot be written through its own path", async () => {
  await withDirs(async ({ root, workspace, layer }) => {
    const result = await run({
      command: `echo x > ${layer}/node_modules/y.js; cat node_modules/y.js`,
      cwd: workspace,
      mode: "bwrap",
      layers: [layer],
      hideDirs: [root],
    });
    assert.equal(result.output.trim().split("\n").at(-1), "y");
    assert.equal(
      await Deno.readTextFile(join(layer, "node_modules/y.js")),
      "y\n",
    );
  });
});

Deno.test("runCommand() [bwrap] mountAt shows the workspace at a fixed path", async () => {
  await withDirs(async ({ root, workspace }) => {
    const mountAt = join(root, ".sandbox/repo");
    const result = await run({
      command: "pwd; echo hi > f.txt",
      cwd: workspace,
      mode: "bwrap",
      hideDirs: [root],
      mountAt,
    });
    assert.equal(result.output, `${mountAt}\n`);
    assert.equal(await Deno.readTextFile(join(workspace, "f.txt")), "hi\n");
    await assert.rejects(Deno.stat(mountAt), Deno.errors.NotFound);
  });
});

Deno.test("runCommand() [none] refuses layers rather than running unisolated over them", async () => {
  await withDirs(async ({ workspace, layer }) => {
    await assert.rejects(
      run({
        command: "true",
        cwd: workspace,
        mode: "none",
        layers: [layer],
      }),
      /without the bwrap sandbox/,
    );
  });
});
