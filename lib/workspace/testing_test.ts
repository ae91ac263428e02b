import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { join } from "node:path";
import { runCommand, withTempDir, writeFiles } from "./testing.ts";

Deno.test("runCommand() returns stdout, runs in cwd with the added variables", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aos_command_" });
  try {
    assertEquals(
      await runCommand("sh", ["-c", 'pwd; echo "$AOS_X"'], {
        cwd: dir,
        env: { AOS_X: "added" },
      }),
      `${await Deno.realPath(dir)}\nadded\n`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runCommand() throws naming the command line and its stderr", async () => {
  await rejects(
    runCommand("sh", ["-c", "echo broken >&2; exit 3"]),
    { message: "sh -c echo broken >&2; exit 3 failed: broken\n" },
  );
});

Deno.test("writeFiles() writes nested paths, creating their folders", async () => {
  await withTempDir("aos_files_", async (dir) => {
    await writeFiles(dir, { "a.txt": "a\n", "src/deep/b.py": "b = 1\n" });
    assertEquals(await Deno.readTextFile(join(dir, "a.txt")), "a\n");
    assertEquals(
      await Deno.readTextFile(join(dir, "src/deep/b.py")),
      "b = 1\n",
    );
  });
});

Deno.test("withTempDir() removes the dir after fn, also when fn throws", async () => {
  let kept = "";
  await rejects(
    withTempDir("aos_files_", (dir) => {
      kept = dir;
      return Promise.reject(new Error("boom"));
    }),
    { message: "boom" },
  );
  await rejects(Deno.stat(kept), Deno.errors.NotFound);
});
