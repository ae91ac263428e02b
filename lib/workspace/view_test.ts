import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  rejects,
} from "node:assert/strict";
import { dirname } from "node:path";
import { ToolError, WorkspaceView } from "./view.ts";

async function repo(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "aos_view_" });
  await Deno.writeTextFile(`${dir}/a.py`, "x = 1\nx = 1\n");
  await Deno.writeTextFile(`${dir}/.gitignore`, "build/\n");
  await Deno.mkdir(`${dir}/build`);
  await Deno.writeTextFile(`${dir}/build/out.txt`, "ignored\n");
  await Deno.symlink("/etc", `${dir}/etc_link`);
  await new Deno.Command("git", { args: ["init", "-q"], cwd: dir }).output();
  return dir;
}

Deno.test("WorkspaceView reads through pending writes and never touches disk", async () => {
  const dir = await repo();
  try {
    const view = new WorkspaceView({
      dir,
      policy: { allowed: ["*.py"], forbidden: [] },
    });
    assertEquals(
      (await view.listFiles()).split("\n").includes("build/out.txt"),
      false,
    );
    await view.writeFile("b.py", "y = 2\n");
    assertEquals(await view.readFile("b.py"), "y = 2\n");
    assertMatch(await view.listFiles(), /b\.py/);
    await rejects(Deno.stat(`${dir}/b.py`));
    await view.editFile("b.py", "y = 2", "y = 3");
    assertEquals(view.packet().writes, [{ path: "b.py", content: "y = 3\n" }]);
    await view.deleteFile("a.py");
    assertEquals(view.packet().deletes, ["a.py"]);
    await rejects(view.readFile("a.py"), ToolError);
    assertMatch(await view.searchFiles("y = \\d"), /b\.py:1: y = 3/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("WorkspaceView turns policy breaches and bad input into ToolErrors", async () => {
  const dir = await repo();
  try {
    const view = new WorkspaceView({
      dir,
      policy: { allowed: ["*.py"], forbidden: [] },
    });
    for (
      const path of [
        "evil.sh",
        "../x.py",
        "/etc/passwd",
        ".git/config",
        "etc_link/x.py",
      ]
    ) {
      await rejects(
        view.writeFile(path, "x"),
        ToolError,
        `write to ${path} was allowed`,
      );
    }
    await rejects(view.readFile("etc_link/passwd"), ToolError);
    await rejects(view.readFile("missing.py"), /does not exist/);
    await rejects(view.editFile("a.py", "x = 1", "x = 2"), /matches 2 times/);
    await rejects(view.searchFiles("("), /Invalid regular expression/);
    assertEquals(view.packet(), { writes: [], deletes: [] });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A repository with one commit, so tracked, untracked and ignored files all occur. */
async function committedRepo(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "aos_view_" });
  const files: Record<string, string> = {
    "README.md": "# demo\nTODO: more\n",
    "src/app.py": "def main():\n    return 'TODO'\n",
    "src/util/helpers.py": "price = '$5'\n",
    "docs/guide.md": "guide\n",
    "old.txt": "old\n",
    ".gitignore": "build/\n*.log\n",
  };
  for (const [path, content] of Object.entries(files)) {
    await Deno.mkdir(dirname(`${dir}/${path}`), { recursive: true });
    await Deno.writeTextFile(`${dir}/${path}`, content);
  }
  const git = (...args: string[]) =>
    new Deno.Command("git", {
      args: ["-c", "user.name=t", "-c", "user.email=t@x", ...args],
      cwd: dir,
      env: { GIT_CONFIG_GLOBAL: "/dev/null" },
    }).output();
  await git("init", "-q");
  await git("add", "--all");
  await git("commit", "-q", "-m", "seed");
  // After the commit: an untracked file, ignored files, a binary file, a tracked file gone from disk.
  await Deno.writeTextFile(`${dir}/notes.txt`, "TODO untracked\n");
  await Deno.writeTextFile(`${dir}/debug.log`, "TODO ignored\n");
  await Deno.mkdir(`${dir}/build`);
  await Deno.writeTextFile(`${dir}/build/out.txt`, "TODO ignored\n");
  await Deno.writeFile(
    `${dir}/image.bin`,
    new Uint8Array([137, 80, 78, 71, 0, 1, 2]),
  );
  await Deno.remove(`${dir}/old.txt`);
  return dir;
}

async function withView(
  fn: (view: WorkspaceView, dir: string) => Promise<void>,
  policy = { allowed: [] as string[], forbidden: ["docs/**"] },
  maxReadBytes?: number,
) {
  const dir = await committedRepo();
  try {
    await fn(
      new WorkspaceView({
        dir,
        policy,
        ...(maxReadBytes ? { maxReadBytes } : {}),
      }),
      dir,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("WorkspaceView.listFiles() lists tracked and untracked files, not ignored or deleted ones", async () => {
  await withView(async (view) => {
    assertEquals((await view.listFiles()).split("\n"), [
      ".gitignore",
      "README.md",
      "docs/guide.md",
      "image.bin",
      "notes.txt",
      "src/app.py",
      "src/util/helpers.py",
    ]);
    assertEquals(
      await view.listFiles("./src/"),
      "src/app.py\nsrc/util/helpers.py",
    );
    assertEquals(await view.listFiles("."), await view.listFiles());
    await rejects(view.listFiles("nope"), /Directory 'nope' does not exist/);
    await rejects(view.listFiles("../"), ToolError);
    await rejects(view.listFiles(".git"), ToolError);
  });
});

Deno.test("WorkspaceView.listFiles() shows pending writes and hides pending deletes", async () => {
  await withView(async (view) => {
    await view.writeFile("src/new/mod.py", "x\n");
    await view.deleteFile("src/app.py");
    assertEquals(
      await view.listFiles("src"),
      "src/new/mod.py\nsrc/util/helpers.py",
    );
  });
});

Deno.test("WorkspaceView.readFile() refuses binaries, directories and missing files", async () => {
  await withView(async (view) => {
    assertEquals(
      await view.readFile("./src//app.py"),
      "def main():\n    return 'TODO'\n",
    );
    await rejects(view.readFile("image.bin"), /File 'image.bin' is binary/);
    await rejects(view.readFile("src"), /is a directory/);
    await rejects(view.readFile("old.txt"), /File 'old.txt' does not exist/);
    await rejects(view.readFile(""), ToolError);
  });
});

Deno.test("WorkspaceView.readFile() truncates a file over the read limit with a note", async () => {
  await withView(
    async (view) => {
      const text = await view.readFile("README.md");
      assertEquals(
        text,
        "# demo\nTODO:\n… [AOS: file truncated: showing the first 12 of 18 bytes]",
      );
    },
    undefined,
    12,
  );
});

Deno.test("WorkspaceView.searchFiles() finds lines in visible text files only", async () => {
  await withView(async (view) => {
    await view.writeFile("src/extra.py", "# TODO pending\n");
    assertEquals(
      await view.searchFiles("TODO"),
      [
        "README.md:2: TODO: more",
        "notes.txt:1: TODO untracked",
        "src/app.py:2:     return 'TODO'",
        "src/extra.py:1: # TODO pending",
      ].join("\n"),
    );
    assertEquals(
      await view.searchFiles("TODO", "src/app.py"),
      "src/app.py:2:     return 'TODO'",
    );
    assertEquals(await view.searchFiles("^zzz$"), "No matches for /^zzz$/");
    await rejects(
      view.searchFiles("x", "missing"),
      /Path 'missing' does not exist/,
    );
    await rejects(view.searchFiles("[a-"), /Invalid regular expression '\[a-'/);
  });
});

Deno.test("WorkspaceView.writeFile() enforces the policy with the reason in the error", async () => {
  await withView(async (view) => {
    await rejects(
      view.writeFile("docs/guide.md", "x"),
      /matches forbidden_paths pattern "docs\/\*\*"/,
    );
    await rejects(view.writeFile("src", "x"), /Path 'src' is a directory/);
    await rejects(view.writeFile("README.md/x", "x"), /'README.md' is a file/);
    assertEquals(
      await view.writeFile("README.md", "new\n"),
      "Wrote 'README.md' (4 bytes)",
    );
    assertEquals(
      await view.writeFile("fresh.txt", "é"),
      "Created 'fresh.txt' (2 bytes)",
    );
  });
});

Deno.test("WorkspaceView.editFile() needs exactly one match and inserts new_text literally", async () => {
  await withView(async (view) => {
    await rejects(
      view.editFile("src/app.py", "absent", "x"),
      /not found in 'src\/app.py' \(0 matches/,
    );
    await rejects(
      view.editFile("src/app.py", "", "x"),
      /old_text must not be empty/,
    );
    await rejects(view.editFile("missing.py", "a", "b"), /does not exist/);
    await view.editFile("src/util/helpers.py", "'$5'", "'$& $1 $$'");
    assertEquals(
      await view.readFile("src/util/helpers.py"),
      "price = '$& $1 $$'\n",
    );
    await view.editFile("src/util/helpers.py", "price", "cost");
    assertEquals(view.packet().writes, [{
      path: "src/util/helpers.py",
      content: "cost = '$& $1 $$'\n",
    }]);
  });
});

Deno.test("WorkspaceView.deleteFile() records deletes of real files only", async () => {
  await withView(async (view) => {
    await rejects(view.deleteFile("old.txt"), /File 'old.txt' does not exist/);
    await rejects(view.deleteFile("docs/guide.md"), /forbidden_paths/);
    await view.writeFile("tmp.txt", "x");
    assertEquals(await view.deleteFile("tmp.txt"), "Deleted 'tmp.txt'");
    await view.deleteFile("notes.txt");
    await rejects(view.deleteFile("notes.txt"), /does not exist/);
    assertEquals(view.packet(), { writes: [], deletes: ["notes.txt"] });
    // Writing a deleted file again turns the delete into a write.
    await view.writeFile("notes.txt", "back\n");
    assertEquals(view.packet(), {
      writes: [{ path: "notes.txt", content: "back\n" }],
      deletes: [],
    });
  });
});

Deno.test("WorkspaceView.layout() lists the shallowest files first, capped", async () => {
  await withView(async (view) => {
    assertEquals(
      await view.layout(3),
      ".gitignore\nREADME.md\nimage.bin\n… 4 more files not shown; use list_files",
    );
    assertMatch(await view.layout(), /src\/util\/helpers\.py/);
  });
});

Deno.test("WorkspaceView leaves the workspace on disk untouched", async () => {
  await withView(async (view, dir) => {
    const before = new TextDecoder().decode(
      (await new Deno.Command("git", {
        args: ["status", "--porcelain", "--ignored"],
        cwd: dir,
      }).output()).stdout,
    );
    await view.writeFile("README.md", "changed");
    await view.writeFile("a/b/c.txt", "new");
    await view.deleteFile("src/app.py");
    await view.editFile("src/util/helpers.py", "price", "cost");
    const after = new TextDecoder().decode(
      (await new Deno.Command("git", {
        args: ["status", "--porcelain", "--ignored"],
        cwd: dir,
      }).output()).stdout,
    );
    assertEquals(after, before);
    assertEquals(
      await Deno.readTextFile(`${dir}/README.md`),
      "# demo\nTODO: more\n",
    );
  });
});

Deno.test("search_files stops a pattern that backtracks for ever, and the event loop keeps running", async () => {
  const dir = await repo();
  try {
    await Deno.writeTextFile(`${dir}/slow.py`, `s = "${"a".repeat(1000)}!"\n`);
    const view = new WorkspaceView({
      dir,
      policy: { allowed: ["*.py"], forbidden: [] },
      searchTimeoutMs: 1000,
    });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    try {
      await rejects(
        view.searchFiles("(a+)+$"),
        (e: unknown) =>
          e instanceof ToolError &&
          /took longer than 1000 ms/.test(e.message),
      );
    } finally {
      clearInterval(timer);
    }
    // Matching ran off the event loop: timers fired meanwhile.
    assertEquals(ticks > 10, true, `only ${ticks} ticks`);
    // The view still searches afterwards.
    assertMatch(await view.searchFiles("^x = 1$"), /a\.py:1: x = 1/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
