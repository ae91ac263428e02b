import assert from "node:assert/strict";
import { join } from "node:path";
import { git } from "../git/mod.ts";
import { runCommand } from "../sandbox/mod.ts";
import { prepareWorkspace } from "../workspace/mod.ts";
import { EnvironmentCache } from "./cache.ts";
import { prepareEnvironment, type SetupSpec } from "./setup.ts";

const AUTHOR = {
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@x",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@x",
};

/** A bare repo with a lockfile, a WORKSPACE_ROOT outside /tmp, and a checkout helper. */
async function withRepo(
  fn: (r: {
    root: string;
    remote: string;
    checkout: (runId: string) => Promise<{ dir: string; baseCommit: string }>;
  }) => Promise<void>,
) {
  const dir = await Deno.realPath(
    await Deno.makeTempDir({ prefix: "aos-setup-", dir: "/var/tmp" }),
  );
  try {
    const seed = join(dir, "seed");
    await git(["init", "-q", "-b", "main", seed]);
    await Deno.writeTextFile(join(seed, "deps.lock"), "a 1\n");
    await git(["add", "."], { cwd: seed });
    await git(["commit", "-q", "-m", "seed"], { cwd: seed, env: AUTHOR });
    const remote = join(dir, "remote.git");
    await git(["clone", "-q", "--bare", seed, remote]);
    const root = join(dir, "ws");
    await fn({
      root,
      remote,
      checkout: (runId) =>
        prepareWorkspace({ root, runId, repo: remote, ref: "main" }),
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const spec = (remote: string, commands: string[]): SetupSpec => ({
  repo: remote,
  clone_branch: "main",
  setup_commands: commands,
  setup_network: true,
  setup_cache_key: ["deps.lock"],
  setup_timeout_s: 60,
  env: { GREETING: "hello" },
});

Deno.test("prepareEnvironment() builds once, restores in a fresh checkout, and rebuilds after eviction", async () => {
  await withRepo(async ({ root, remote, checkout }) => {
    const cache = new EnvironmentCache({ workspaceRoot: root, maxBytes: 1e9 });
    const setup = spec(remote, [
      "mkdir -p deps && echo $GREETING > deps/greeting && pwd > deps/where",
    ]);
    const common = {
      spec: setup,
      cache,
      workspaceRoot: root,
      mode: "bwrap" as const,
    };
    const one = await checkout("run-1");
    const built = await prepareEnvironment({ ...one, ...common });
    assert.equal(built.status, "built");
    assert.deepEqual(built.commands.map((c) => c.exit_code), [0]);
    assert.deepEqual(built.environment?.roots, ["deps"]);
    assert.deepEqual(built.key_files.map((f) => f.path), ["deps.lock"]);
    // Setup ran at the fixed sandbox path, not at the run's own directory.
    assert.equal(
      await Deno.readTextFile(join(cache.dir, built.key!, "tree/deps/where")),
      `${join(root, ".sandbox/repo")}\n`,
    );
    assert.match(
      await Deno.readTextFile(join(one.dir, ".git/info/exclude")),
      /^\/deps$/m,
    );

    const two = await checkout("run-2");
    const restored = await prepareEnvironment({ ...two, ...common });
    assert.equal(restored.status, "restored");
    assert.deepEqual(restored.commands, []);
    assert.equal(restored.key, built.key);
    const seen = await runCommand({
      command: "cat deps/greeting",
      cwd: two.dir,
      env: {},
      timeoutMs: 30_000,
      mode: "bwrap",
      hideDirs: [root],
      ...restored.layout,
    });
    assert.equal(seen.output, "hello\n");

    await Deno.remove(join(cache.dir, built.key!), { recursive: true });
    const again = await prepareEnvironment({ ...two, ...common });
    assert.equal(again.status, "built");
  });
});

Deno.test("prepareEnvironment() stops at the first failing command and keeps nothing", async () => {
  await withRepo(async ({ root, remote, checkout }) => {
    const cache = new EnvironmentCache({ workspaceRoot: root, maxBytes: 1e9 });
    const ws = await checkout("run-1");
    const outcome = await prepareEnvironment({
      ...ws,
      spec: spec(remote, ["mkdir half", "echo broken; exit 7", "echo never"]),
      cache,
      workspaceRoot: root,
      mode: "bwrap",
    });
    assert.equal(outcome.status, "failed");
    assert.deepEqual(outcome.commands.map((c) => [c.exit_code, c.output]), [
      [0, ""],
      [7, "broken\n"],
    ]);
    assert.deepEqual(await cache.list(), []);
  });
});

Deno.test("prepareEnvironment() gives setup the network only when setup_network is true, and the host's loopback only on the ports named", async () => {
  await withRepo(async ({ root, remote, checkout }) => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const accepting = (async () => {
      for await (const conn of listener) conn.close();
    })();
    try {
      const { port } = listener.addr as Deno.NetAddr;
      const probe = `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port}'`;
      const cases = [
        { network: false, hostPorts: [port], status: "failed" },
        { network: true, hostPorts: [], status: "failed" },
        { network: true, hostPorts: [port], status: "built" },
      ];
      for (const [n, c] of cases.entries()) {
        const ws = await checkout(`run-${n}`);
        const outcome = await prepareEnvironment({
          ...ws,
          spec: { ...spec(remote, [probe]), setup_network: c.network },
          cache: new EnvironmentCache({ workspaceRoot: root, maxBytes: 1e9 }),
          workspaceRoot: root,
          mode: "bwrap",
          hostPorts: c.hostPorts,
        });
        assert.equal(outcome.status, c.status, JSON.stringify(c));
      }
    } finally {
      listener.close();
      await accepting.catch(() => {});
    }
  });
});

Deno.test("prepareEnvironment() without bwrap copies the environment in, and a copy never changes the cache", async () => {
  await withRepo(async ({ root, remote, checkout }) => {
    const cache = new EnvironmentCache({ workspaceRoot: root, maxBytes: 1e9 });
    const common = {
      spec: spec(remote, ["mkdir -p deps && echo $GREETING > deps/greeting"]),
      cache,
      workspaceRoot: root,
      mode: "none" as const,
    };
    const built = await prepareEnvironment({
      ...(await checkout("a")),
      ...common,
    });
    assert.equal(built.status, "built");
    assert.deepEqual(built.layout, { layers: [] });
    const two = await checkout("b");
    const restored = await prepareEnvironment({ ...two, ...common });
    assert.equal(restored.status, "restored");
    assert.equal(
      await Deno.readTextFile(join(two.dir, "deps/greeting")),
      "hello\n",
    );
    await Deno.writeTextFile(join(two.dir, "deps/greeting"), "changed\n");
    assert.equal(
      await Deno.readTextFile(
        join(cache.dir, built.key!, "tree/deps/greeting"),
      ),
      "hello\n",
    );
    // Diffs and commits never pick the environment up.
    const status = await git(["status", "--porcelain"], { cwd: two.dir });
    assert.equal(status.stdout, "");
  });
});

Deno.test("prepareEnvironment() gives setup the work order's secrets only with setup_secrets, keyed by their names", async () => {
  await withRepo(async ({ root, remote, checkout }) => {
    const cache = new EnvironmentCache({ workspaceRoot: root, maxBytes: 1e9 });
    const secrets = { NPM_TOKEN: "npm-secret-value-1" };
    const check = `test "$NPM_TOKEN" = npm-secret-value-1`;
    const base = { ...spec(remote, [check]), secrets: ["NPM_TOKEN"] };
    const without = await prepareEnvironment({
      ...await checkout("run-1"),
      spec: base,
      secrets: {},
      cache,
      workspaceRoot: root,
      mode: "bwrap",
    });
    assert.equal(without.status, "failed", "no setup_secrets: no secret");
    const given = await prepareEnvironment({
      ...await checkout("run-2"),
      spec: { ...base, setup_secrets: true },
      secrets,
      cache,
      workspaceRoot: root,
      mode: "bwrap",
    });
    assert.equal(given.status, "built", JSON.stringify(given.commands));
    // Another secret name is another environment; the value is not in the key's material.
    const other = await prepareEnvironment({
      ...await checkout("run-3"),
      spec: { ...base, setup_secrets: true, secrets: ["OTHER_TOKEN"] },
      secrets: { OTHER_TOKEN: "x" },
      cache,
      workspaceRoot: root,
      mode: "bwrap",
    });
    assert.notEqual(other.key, given.key);
  });
});
