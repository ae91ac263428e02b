import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
  rejects,
} from "node:assert/strict";
import { join } from "node:path";
import { gitIn, makeRepo, openTestCopy, withTempDir } from "./testing.ts";
import { workingCopyDir } from "./working_copy_prepare.ts";

const withTemp = (fn: (dir: string) => Promise<void>) =>
  withTempDir("aos_wc_", fn);

Deno.test("WorkingCopy writes land on disk and in the packet; reads, listings and searches see them", async () => {
  await withTemp(async (parent) => {
    const { repo, commit } = await makeRepo(parent, {
      "a.py": "x = 1\n",
      "old.py": "gone = True\n",
      ".gitignore": "build/\n",
    });
    const wc = await openTestCopy({
      parent,
      repo,
      commit,
      policy: { allowed: ["*.py"], forbidden: [] },
    });
    assertEquals(wc.dir, workingCopyDir(join(parent, "workspaces"), "run1"));
    await wc.writeFile("pkg/b.py", "needle = 2\n");
    await wc.editFile("a.py", "x = 1", "x = 3");
    await wc.deleteFile("old.py");
    assertEquals(
      await Deno.readTextFile(join(wc.dir, "pkg/b.py")),
      "needle = 2\n",
    );
    assertEquals(wc.packet(), {
      writes: [
        { path: "a.py", content: "x = 3\n" },
        { path: "pkg/b.py", content: "needle = 2\n" },
      ],
      deletes: ["old.py"],
    });
    assertMatch(await wc.readFile("a.py"), /^a\.py: all 1 lines\n1\tx = 3$/);
    assertMatch(await wc.listFiles(), /pkg\/ \(1 file\)/);
    assert(!(await wc.listFiles()).includes("old.py"));
    assertMatch(
      await wc.searchFiles("needle"),
      /pkg\/b\.py\n {2}1: needle = 2/,
    );
    assertMatch(await wc.searchFiles("gone"), /^No matches/);
    // HEAD is the start of the turn, so git sees exactly this turn's changes.
    const status = await gitIn(wc.dir, "status", "--porcelain", "-uall");
    assertEquals(status.split("\n").filter(Boolean).sort(), [
      " D old.py",
      " M a.py",
      "?? pkg/b.py",
    ]);
  });
});

Deno.test("WorkingCopy starts from the earlier packets and rebuilds from a journaled pending packet", async () => {
  await withTemp(async (parent) => {
    const { repo, commit } = await makeRepo(parent, { "a.txt": "one\n" });
    const earlier = [{
      writes: [{ path: "b.txt", content: "two\n" }],
      deletes: [],
    }];
    const first = await openTestCopy({ parent, repo, commit, earlier });
    assertMatch(await first.readFile("b.txt"), /two/);
    assertEquals(first.packet(), { writes: [], deletes: [] });
    await first.writeFile("c.txt", "three\n");
    await first.deleteFile("b.txt");
    const pending = first.packet();
    assertEquals(pending, {
      writes: [{ path: "c.txt", content: "three\n" }],
      deletes: ["b.txt"],
    });
    // Another worker: the directory is gone and is rebuilt from the same inputs.
    await Deno.remove(first.dir, { recursive: true });
    const second = await openTestCopy({
      parent,
      repo,
      commit,
      earlier,
      pending,
    });
    assertEquals(second.packet(), pending);
    assertEquals(second.startCommit, first.startCommit);
    assertMatch(await second.readFile("c.txt"), /three/);
    assertMatch(await second.listFiles(), /^(?![\s\S]*b\.txt)/);
  });
});

Deno.test("WorkingCopy refuses policy breaches and bad paths as ToolErrors, writing nothing", async () => {
  await withTemp(async (parent) => {
    const { repo, commit } = await makeRepo(parent, {
      "a.py": "x = 1\nx = 1\n",
    });
    const wc = await openTestCopy({
      parent,
      repo,
      commit,
      policy: { allowed: ["*.py"], forbidden: ["secret/**"] },
    });
    await Deno.symlink("/etc", join(wc.dir, "etc_link"));
    for (
      const path of [
        "evil.sh",
        "../x.py",
        "/etc/x.py",
        ".git/config",
        "etc_link/x.py",
        "secret/k.py",
      ]
    ) {
      await rejects(wc.writeFile(path, "x"), { name: "ToolError" }, path);
    }
    await rejects(wc.readFile("etc_link/passwd"), /outside the repository/);
    await rejects(wc.readFile("missing.py"), /does not exist/);
    await rejects(
      wc.editFile("a.py", "x = 1", "x = 2"),
      /matches 2 times in 'a\.py' \(at lines 1, 2\)/,
    );
    await rejects(wc.searchFiles("("), /could not search for \/\(\//);
    assertEquals(wc.packet(), { writes: [], deletes: [] });
  });
});

Deno.test("WorkingCopy answers a FIFO, a socket and links to devices with ToolErrors naming the kind, never blocking", async () => {
  await withTemp(async (parent) => {
    const { repo, commit } = await makeRepo(parent, { "a.py": "x = 1\n" });
    const wc = await openTestCopy({ parent, repo, commit });
    // What an SE run_command or a setup script could leave behind.
    await gitIn(wc.dir, "rm", "-q", "--cached", "a.py");
    await Deno.remove(join(wc.dir, "a.py"));
    for (const name of ["a.py", "pipe"]) {
      await new Deno.Command("mkfifo", { args: [join(wc.dir, name)] })
        .output();
    }
    await Deno.symlink("pipe", join(wc.dir, "to_pipe"));
    await Deno.symlink("/dev/zero", join(wc.dir, "zero"));
    await Deno.symlink("/dev/stdin", join(wc.dir, "stdin"));
    const listener = Deno.listen({
      transport: "unix",
      path: join(wc.dir, "sock"),
    });
    try {
      for (const path of ["a.py", "pipe", "to_pipe"]) {
        await rejects(
          wc.readFile(path),
          (e: Error) =>
            e.name === "ToolError" &&
            e.message ===
              `'${path}' is a named pipe (FIFO), not a regular file; AOS reads regular files only`,
        );
        await rejects(
          wc.editFile(path, "x", "y"),
          path === "to_pipe" ? /through the symlink/ : /named pipe \(FIFO\)/,
        );
      }
      await rejects(wc.readFile("sock"), /'sock' is a socket/);
      for (const path of ["zero", "stdin"]) {
        await rejects(wc.readFile(path), /points outside the repository/);
      }
      await rejects(
        wc.writeFile("pipe", "data"),
        /'pipe' is a named pipe \(FIFO\), not a regular file, so it cannot be written; delete_file it first/,
      );
      assertMatch(await wc.searchFiles("x"), /^No matches/);
      assertMatch(await wc.listFiles(), /^the repository root/);
      await wc.deleteFile("pipe");
      await wc.writeFile("pipe", "now a file\n");
      assertMatch(await wc.readFile("pipe"), /1\tnow a file/);
    } finally {
      listener.close();
    }
  });
});
