import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  rejects,
} from "node:assert/strict";
import { ToolError, WorkspaceView } from "./workspace_view.ts";

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
