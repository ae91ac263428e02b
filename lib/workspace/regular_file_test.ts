import {
  deepStrictEqual as assertEquals,
  ok as assert,
  rejects,
} from "node:assert/strict";
import { join } from "node:path";
import {
  FileTooLargeError,
  NotRegularFileError,
  readRegularFile,
  writeRegularFile,
} from "./regular_file.ts";
import { runCommand, withTempDir } from "./testing.ts";

const withTemp = (fn: (dir: string) => Promise<void>) =>
  withTempDir("aos_regular_", fn);

async function mkfifo(path: string): Promise<void> {
  await runCommand("mkfifo", [path]);
}

const kindOf = (kind: string) => (error: unknown) =>
  error instanceof NotRegularFileError && error.kind === kind;

Deno.test("readRegularFile() refuses a FIFO at once instead of blocking for a writer", async () => {
  await withTemp(async (dir) => {
    await mkfifo(join(dir, "pipe"));
    await rejects(
      readRegularFile(join(dir, "pipe"), { path: "pipe", maxBytes: 1024 }),
      kindOf("a named pipe (FIFO)"),
    );
    // Through a symlink inside the directory, too.
    await Deno.symlink("pipe", join(dir, "link"));
    await rejects(
      readRegularFile(join(dir, "link"), { path: "link", maxBytes: 1024 }),
      (error) =>
        kindOf("a named pipe (FIFO)")(error) &&
        /^'link' is a named pipe \(FIFO\), not a regular file$/.test(
          (error as Error).message,
        ),
    );
  });
});

Deno.test("readRegularFile() refuses devices and sockets without reading them", async () => {
  await rejects(
    readRegularFile("/dev/zero", { path: "zero", maxBytes: 1024 }),
    kindOf("a character device"),
  );
  await withTemp(async (dir) => {
    const listener = Deno.listen({
      transport: "unix",
      path: join(dir, "sock"),
    });
    try {
      await rejects(
        readRegularFile(join(dir, "sock"), { path: "sock", maxBytes: 1024 }),
        kindOf("a socket"),
      );
    } finally {
      listener.close();
    }
  });
});

Deno.test("readRegularFile() stops at its size cap and at an aborted signal", async () => {
  await withTemp(async (dir) => {
    const file = join(dir, "big.txt");
    await Deno.writeTextFile(file, "x".repeat(5000));
    await rejects(
      readRegularFile(file, { path: "big.txt", maxBytes: 4096 }),
      (error) => error instanceof FileTooLargeError && error.bytes === 5000,
    );
    assertEquals(
      (await readRegularFile(file, { path: "big.txt", maxBytes: 5000 }))
        .length,
      5000,
    );
    const controller = new AbortController();
    controller.abort(new Error("turn cancelled"));
    await rejects(
      readRegularFile(file, {
        path: "big.txt",
        maxBytes: 10_000,
        signal: controller.signal,
      }),
      /turn cancelled/,
    );
  });
});

Deno.test("writeRegularFile() refuses a FIFO, socket or symlink in the way, or replaces a special file when asked", async () => {
  await withTemp(async (dir) => {
    const pipe = join(dir, "pipe");
    await mkfifo(pipe);
    await rejects(
      writeRegularFile(pipe, "data", { path: "pipe" }),
      kindOf("a named pipe (FIFO)"),
    );
    await writeRegularFile(pipe, "data", {
      path: "pipe",
      replaceSpecial: true,
    });
    assert((await Deno.lstat(pipe)).isFile);
    assertEquals(await Deno.readTextFile(pipe), "data");

    await Deno.symlink("pipe", join(dir, "link"));
    await rejects(
      writeRegularFile(join(dir, "link"), "x", {
        path: "link",
        replaceSpecial: true,
      }),
      kindOf("a symbolic link"),
    );
    assertEquals(await Deno.readTextFile(pipe), "data");
  });
});

Deno.test("writeRegularFile() truncates an existing file and keeps its mode", async () => {
  await withTemp(async (dir) => {
    const script = join(dir, "run.sh");
    await Deno.writeTextFile(script, "#!/bin/sh\necho a long old body\n");
    await Deno.chmod(script, 0o755);
    await writeRegularFile(script, "#!/bin/sh\n", { path: "run.sh" });
    assertEquals(await Deno.readTextFile(script), "#!/bin/sh\n");
    assertEquals((await Deno.stat(script)).mode! & 0o777, 0o755);
  });
});
