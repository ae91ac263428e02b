import assert from "node:assert/strict";
import { join } from "node:path";
import { prepareWorkspace } from "../workspace/mod.ts";
import { git } from "../git/mod.ts";
import { resolveSandboxMode, type SandboxMode } from "./sandbox.ts";
import { run, runAsUser, withLoopbackProbe } from "./testing.ts";

const MODES: SandboxMode[] = ["bwrap", "none"];

/** `outsideTmp` puts the dirs where the sandbox's private /tmp does not already hide them. */
async function withDirs(
  fn: (d: { root: string; workspace: string }) => Promise<void>,
  outsideTmp = false,
) {
  const root = await Deno.realPath(
    await Deno.makeTempDir({
      prefix: "aos-sandbox-",
      ...(outsideTmp ? { dir: "/var/tmp" } : {}),
    }),
  );
  try {
    const workspace = join(root, "run-1");
    await Deno.mkdir(workspace);
    await fn({ root, workspace });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** Waits until no process on the host has `marker` in its command line; false if one survives. */
async function processGone(marker: string): Promise<boolean> {
  for (let attempt = 0; attempt < 50; attempt++) {
    let found = false;
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      try {
        const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`)
          .replaceAll("\0", " ");
        if (cmdline.includes(marker) && !cmdline.includes("aos-sh")) {
          found = true;
        }
      } catch { /* exited meanwhile */ }
    }
    if (!found) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

Deno.test("resolveSandboxMode() honours none and finds a working bwrap for auto", async () => {
  assert.equal(await resolveSandboxMode("none"), "none");
  assert.equal(await resolveSandboxMode("auto"), "bwrap");
  assert.equal(await resolveSandboxMode("bwrap"), "bwrap");
});

for (const mode of MODES) {
  Deno.test(`runCommand() [${mode}] reports exit codes and interleaved output`, async () => {
    await withDirs(async ({ workspace }) => {
      const ok = await run({
        command: "echo one; echo two >&2; echo three",
        cwd: workspace,
        mode,
      });
      assert.equal(ok.exit_code, 0);
      assert.equal(ok.output, "one\ntwo\nthree\n");
      assert.equal(ok.command, "echo one; echo two >&2; echo three");
      assert.equal(ok.timed_out, false);
      assert.equal(ok.cancelled, false);
      assert.equal(ok.truncated, false);
      const failed = await run({
        command: "echo nope >&2; exit 3",
        cwd: workspace,
        mode,
      });
      assert.equal(failed.exit_code, 3);
      assert.equal(failed.output, "nope\n");
      const syntax = await run({
        command: "if then fi (",
        cwd: workspace,
        mode,
      });
      assert.notEqual(syntax.exit_code, 0);
      assert.match(syntax.output, /syntax error/i);
    });
  });

  Deno.test(`runCommand() [${mode}] clears the environment and never passes secrets`, async () => {
    await withDirs(async ({ workspace }) => {
      const previous = Deno.env.get("OPENAI_API_KEY");
      Deno.env.set("OPENAI_API_KEY", "sk-parent-secret-value");
      try {
        const result = await run({
          command: "env",
          cwd: workspace,
          mode,
          env: {
            FOO: "bar",
            OPENAI_API_KEY: "sk-x",
            GITHUB_TOKEN: "ghp_x",
            AOS_API_TOKEN: "t",
            AOS_OTHER: "y",
          },
        });
        assert.equal(result.exit_code, 0);
        const names = result.output.trim().split("\n").map((l) =>
          l.split("=")[0]
        ).sort();
        assert.ok(
          names.includes("FOO") && names.includes("PATH") &&
            names.includes("HOME"),
          result.output,
        );
        assert.match(result.output, /^FOO=bar$/m);
        assert.match(result.output, /^LANG=C\.UTF-8$/m);
        for (
          const forbidden of [
            "OPENAI_API_KEY",
            "GITHUB_TOKEN",
            "AOS_API_TOKEN",
            "AOS_OTHER",
          ]
        ) {
          assert.ok(
            !names.includes(forbidden),
            `${forbidden} leaked: ${result.output}`,
          );
        }
        assert.doesNotMatch(result.output, /sk-parent-secret-value/);
      } finally {
        if (previous === undefined) Deno.env.delete("OPENAI_API_KEY");
        else Deno.env.set("OPENAI_API_KEY", previous);
      }
    });
  });

  Deno.test(`runCommand() [${mode}] kills the command and its children on timeout`, async () => {
    await withDirs(async ({ workspace }) => {
      const marker = `${90_000 + Math.floor(Math.random() * 9_999)}.${
        mode === "bwrap" ? 1 : 2
      }7`;
      const result = await run({
        command: `echo started; sleep ${marker} & sleep ${marker}`,
        cwd: workspace,
        mode,
        timeoutMs: 300,
      });
      assert.equal(result.timed_out, true);
      assert.equal(result.exit_code, null);
      assert.equal(result.cancelled, false);
      assert.match(result.output, /started\n[\s\S]*timed out after 300 ms/);
      assert.ok(
        await processGone(`sleep ${marker}`),
        "a sleep survived the timeout",
      );
    });
  });

  Deno.test(`runCommand() [${mode}] stops when its signal aborts`, async () => {
    await withDirs(async ({ workspace }) => {
      const controller = new AbortController();
      const marker = `${80_000 + Math.floor(Math.random() * 9_999)}.${
        mode === "bwrap" ? 1 : 2
      }3`;
      const pending = run({
        command: `sleep ${marker}`,
        cwd: workspace,
        mode,
        signal: controller.signal,
      });
      setTimeout(() => controller.abort(), 200);
      const result = await pending;
      assert.equal(result.cancelled, true);
      assert.equal(result.timed_out, false);
      assert.equal(result.exit_code, null);
      assert.ok(await processGone(`sleep ${marker}`));
    });
  });

  Deno.test(`runCommand() [${mode}] caps noisy output, keeping head and tail`, async () => {
    await withDirs(async ({ workspace }) => {
      const result = await run({
        command:
          "echo FIRST; head -c 300000 /dev/zero | tr '\\0' a; echo; echo LAST",
        cwd: workspace,
        mode,
        maxOutputBytes: 1000,
      });
      assert.equal(result.exit_code, 0);
      assert.equal(result.truncated, true);
      assert.ok(
        result.output.startsWith("FIRST\naaa"),
        result.output.slice(0, 20),
      );
      assert.ok(result.output.endsWith("aaa\nLAST\n"));
      assert.match(result.output, /\[AOS: 299\d{3} bytes omitted\]/);
      assert.ok(result.output.length < 1100);
    });
  });

  Deno.test(`runCommand() [${mode}] runs in the workspace and lets it be written`, async () => {
    await withDirs(async ({ workspace }) => {
      const result = await run({
        command: "pwd; echo built > out.txt",
        cwd: workspace,
        mode,
      });
      assert.equal(result.exit_code, 0);
      assert.equal(result.output, `${workspace}\n`);
      assert.equal(
        await Deno.readTextFile(join(workspace, "out.txt")),
        "built\n",
      );
    });
  });
}

Deno.test("runCommand() [bwrap] has no network, not even to the host's loopback", async () => {
  await withDirs(async ({ workspace }) => {
    await withLoopbackProbe(async (command) => {
      const host = await run({ command, cwd: workspace, mode: "none" });
      assert.match(
        host.output,
        /connected/,
        "the probe works without a sandbox",
      );
      const sandboxed = await run({ command, cwd: workspace, mode: "bwrap" });
      assert.notEqual(sandboxed.exit_code, 0);
      assert.doesNotMatch(sandboxed.output, /connected/);
      const interfaces = await run({
        command: "cat /proc/net/dev",
        cwd: workspace,
        mode: "bwrap",
      });
      assert.doesNotMatch(
        interfaces.output,
        /^\s*(?!lo:)\w+:/m,
        interfaces.output,
      );
    });
  });
});

Deno.test("runCommand() [bwrap] leaves no trace outside the workspace", async () => {
  await withDirs(async ({ root, workspace }) => {
    const name = `aos-probe-${crypto.randomUUID()}`;
    const targets = [
      join(root, name),
      `/tmp/${name}`,
      `/var/tmp/${name}`,
      `${Deno.env.get("HOME") ?? "/root"}/${name}`,
    ];
    const result = await run({
      command: targets.map((t) => `echo x > ${t}`).join("; ") + "; echo done",
      cwd: workspace,
      mode: "bwrap",
    });
    assert.match(result.output, /done/);
    for (const target of targets) {
      await assert.rejects(
        Deno.stat(target),
        Deno.errors.NotFound,
        `${target} was written on the host`,
      );
    }
  }, true);
});

Deno.test("runCommand() [bwrap] hides the workspace root's cache and other runs", async () => {
  await withDirs(async ({ root, workspace }) => {
    await Deno.mkdir(join(root, ".cache"));
    await Deno.writeTextFile(join(root, ".cache/secret.txt"), "mirror data");
    await Deno.mkdir(join(root, "run-2"));
    await Deno.writeTextFile(join(root, "run-2/private.txt"), "other run");
    const result = await run({
      command:
        `ls -A ${root}; cat ${root}/.cache/secret.txt ${root}/run-2/private.txt`,
      cwd: workspace,
      mode: "bwrap",
      hideDirs: [root],
    });
    assert.notEqual(result.exit_code, 0);
    assert.doesNotMatch(result.output, /mirror data|other run/);
    assert.equal(
      result.output.split("\n")[0],
      "run-1",
      "only the run's own workspace is listed",
    );
  }, true);
});

Deno.test("runCommand() [bwrap] lets git read a shared-clone workspace but not change its .git", async () => {
  await withDirs(async ({ root }) => {
    const remote = join(root, "remote.git");
    await git(["init", "-q", "--bare", "-b", "main", remote]);
    const seed = join(root, "seed");
    await git(["clone", "-q", remote, seed]);
    await Deno.writeTextFile(join(seed, "a.txt"), "a\n");
    await git(["add", "."], { cwd: seed });
    await git(["commit", "-q", "-m", "seed commit"], {
      cwd: seed,
      env: {
        GIT_AUTHOR_NAME: "s",
        GIT_AUTHOR_EMAIL: "s@x",
        GIT_COMMITTER_NAME: "s",
        GIT_COMMITTER_EMAIL: "s@x",
      },
    });
    await git(["push", "-q", "origin", "HEAD:main"], { cwd: seed });
    const workspaces = join(root, "workspaces");
    const { dir } = await prepareWorkspace({
      root: workspaces,
      runId: "r",
      repo: remote,
      ref: "main",
    });
    const result = await run({
      command:
        "git log --format=%s -1; echo '[core]' >> .git/config && echo config-changed",
      cwd: dir,
      mode: "bwrap",
      hideDirs: [workspaces],
    });
    assert.match(result.output, /^seed commit$/m);
    assert.doesNotMatch(result.output, /config-changed/);
    assert.doesNotMatch(
      await Deno.readTextFile(join(dir, ".git/config")),
      /\[core\]\n$/,
    );
  }, true);
});

Deno.test("runCommand() [bwrap] cannot reach host unix sockets under /run", async () => {
  await withDirs(async ({ workspace }) => {
    let listener: Deno.Listener | null = null;
    const socket = `/run/aos-test-${crypto.randomUUID().slice(0, 8)}.sock`;
    try {
      listener = Deno.listen({ transport: "unix", path: socket });
    } catch {
      // /run not writable for this user: the listing check below still applies.
    }
    try {
      const probe = listener
        ? `python3 -c 'import socket; socket.socket(socket.AF_UNIX).connect("${socket}"); print("CONNECTED")'; `
        : "";
      const result = await run({
        command: `${probe}ls -A /run; echo end`,
        cwd: workspace,
        mode: "bwrap",
      });
      assert.doesNotMatch(result.output, /CONNECTED/);
      assert.match(result.output, /(^|\n)end\n$/);
      const listing = result.output.split("\n").filter((l) =>
        l && l !== "end" && !/Traceback|Error|File|socket|\^/.test(l)
      );
      assert.deepEqual(listing, [], result.output);
    } finally {
      listener?.close();
      await Deno.remove(socket).catch(() => {});
    }
  });
});

Deno.test("runCommand() [bwrap] hides the service user's whole home, not only its credentials", async () => {
  await withDirs(async ({ root, workspace }) => {
    const home = join(root, "home");
    await Deno.mkdir(join(home, ".ssh"), { recursive: true });
    await Deno.writeTextFile(join(home, ".ssh/id_ed25519"), "PRIVATE KEY");
    await Deno.writeTextFile(
      join(home, ".netrc"),
      "machine x password hunter2",
    );
    await Deno.writeTextFile(join(home, "notes.txt"), "harmless");
    // The service's HOME is set in a child process: setting it in this one
    // would leak into the test files running beside this one.
    const result = await runAsUser(0, {
      command:
        `cat ${home}/.ssh/id_ed25519 ${home}/.netrc ${home}/notes.txt; ls -A ${home}/.ssh`,
      cwd: workspace,
      mode: "bwrap",
    }, { HOME: home });
    assert.doesNotMatch(result.output, /PRIVATE KEY|hunter2|harmless/);
  }, true);
});
