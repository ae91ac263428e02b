import assert from "node:assert/strict";
import { join } from "node:path";
import { git } from "../git/mod.ts";
import { EnvironmentCache, EVICTION_GRACE_MS } from "./cache.ts";
import { withTempDir } from "../workspace/testing.ts";

const KEY_A = "a".repeat(64);
const KEY_B = "b".repeat(64);
const KEY_C = "c".repeat(64);

async function checkout(root: string, name: string): Promise<string> {
  const dir = join(root, name);
  await Deno.mkdir(join(dir, "src"), { recursive: true });
  await git(["init", "-q", dir]);
  await Deno.writeTextFile(join(dir, "src/main.js"), "tracked\n");
  await git(["add", "."], { cwd: dir });
  return dir;
}

const withRoot = (fn: (root: string) => Promise<void>) =>
  withTempDir("aos-envcache-", fn);

Deno.test("EnvironmentCache.capture() moves every untracked path into the entry, tracked files stay", async () => {
  await withRoot(async (root) => {
    const dir = await checkout(root, "ws");
    await Deno.mkdir(join(dir, "node_modules/x"), { recursive: true });
    await Deno.writeTextFile(join(dir, "node_modules/x/index.js"), "x\n");
    await Deno.writeTextFile(join(dir, "src/gen.so"), "binary\n");
    const cache = new EnvironmentCache({ workspaceRoot: root, maxBytes: 1e9 });
    const env = await cache.capture(dir, KEY_A);
    assert.deepEqual(env.roots, ["node_modules", "src/gen.so"]);
    assert.equal(env.files, 2);
    assert.ok(env.bytes > 0);
    assert.equal(
      await Deno.readTextFile(join(env.tree, "node_modules/x/index.js")),
      "x\n",
    );
    await assert.rejects(Deno.stat(join(dir, "node_modules")));
    assert.equal(
      await Deno.readTextFile(join(dir, "src/main.js")),
      "tracked\n",
    );
    assert.equal((await cache.lookup(KEY_A))?.tree, env.tree);
    assert.equal(await cache.lookup(KEY_B), null);
    assert.deepEqual(
      [...Deno.readDirSync(cache.dir)].map((e) => e.name),
      [KEY_A],
      "no staging dir is left behind",
    );
  });
});

Deno.test("EnvironmentCache.capture() keeps the first entry when two runs store the same key", async () => {
  await withRoot(async (root) => {
    const cache = new EnvironmentCache({ workspaceRoot: root, maxBytes: 1e9 });
    const one = await checkout(root, "one");
    await Deno.writeTextFile(join(one, "out.txt"), "first\n");
    const two = await checkout(root, "two");
    await Deno.writeTextFile(join(two, "out.txt"), "second\n");
    await cache.capture(one, KEY_A);
    const env = await cache.capture(two, KEY_A);
    assert.equal(await Deno.readTextFile(join(env.tree, "out.txt")), "first\n");
    assert.deepEqual([...Deno.readDirSync(cache.dir)].map((e) => e.name), [
      KEY_A,
    ]);
  });
});

Deno.test("EnvironmentCache.evict() drops least recently used entries down to the bound, sparing recent ones", async () => {
  await withRoot(async (root) => {
    const cache = new EnvironmentCache({ workspaceRoot: root, maxBytes: 1 });
    for (const key of [KEY_A, KEY_B, KEY_C]) {
      const dir = await checkout(root, key.slice(0, 1));
      await Deno.writeTextFile(join(dir, "blob.bin"), "z".repeat(10_000));
      await cache.capture(dir, key);
    }
    // All used just now: a command may still be reading them, nothing goes.
    assert.deepEqual(await cache.evict(), []);
    const old = new Date(Date.now() - EVICTION_GRACE_MS - 60_000);
    const older = new Date(old.getTime() - 60_000);
    await Deno.utime(join(cache.dir, KEY_A, "meta.json"), older, older);
    await Deno.utime(join(cache.dir, KEY_B, "meta.json"), old, old);
    const size = (await cache.list()).find((e) => e.key === KEY_C)!.bytes;
    const bounded = new EnvironmentCache({
      workspaceRoot: root,
      maxBytes: size * 2,
    });
    // Least recently used (A) goes first; then the total fits.
    assert.deepEqual(await bounded.evict(), [KEY_A]);
    assert.equal(await bounded.lookup(KEY_A), null);
    assert.ok(await bounded.lookup(KEY_B));
    assert.ok(await bounded.lookup(KEY_C));
  });
});

Deno.test("EnvironmentCache refuses keys that are not hex digests", async () => {
  await withRoot(async (root) => {
    const cache = new EnvironmentCache({ workspaceRoot: root, maxBytes: 1 });
    await assert.rejects(cache.lookup("../../etc"), /Invalid environment key/);
  });
});
