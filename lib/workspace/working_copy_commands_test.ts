import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
  rejects,
} from "node:assert/strict";
import { join } from "node:path";
import { resolveSandboxMode } from "../sandbox/mod.ts";
import { makeRepo, openTestCopy } from "./testing.ts";
import type { SeCommandSettings } from "./se_command.ts";
import type { WorkingCopy } from "./working_copy.ts";

const mode = await resolveSandboxMode("auto");

function settings(
  parent: string,
  over: Partial<SeCommandSettings> = {},
): SeCommandSettings {
  return {
    env: { GREETING: "hi" },
    mode,
    hideDirs: [join(parent, "workspaces")],
    maxCommands: 10,
    maxSeconds: 120,
    maxTimeoutS: 60,
    ...over,
  };
}

async function withCopy(
  fn: (wc: WorkingCopy, parent: string) => Promise<void>,
  opts: { over?: Partial<SeCommandSettings>; signal?: AbortSignal } = {},
): Promise<void> {
  const parent = await Deno.makeTempDir({ prefix: "aos_wcc_" });
  try {
    const { repo, commit } = await makeRepo(parent, {
      "calc.py": "def add(a, b):\n    return a - b\n",
      ".gitignore": "*.log\n",
    });
    const wc = await openTestCopy({
      parent,
      repo,
      commit,
      policy: { allowed: [], forbidden: ["secrets/**", "dist/"] },
      options: {
        commands: settings(parent, opts.over),
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
    });
    await fn(wc, parent);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
}

const run = (wc: WorkingCopy, command: string, timeoutS?: number) => {
  assert(wc.runCommand, "run_command is offered");
  return wc.runCommand(command, timeoutS === undefined ? {} : { timeoutS });
};

Deno.test("run_command sees pending writes, gets the work order's env and reports exit code and output", async () => {
  await withCopy(async (wc) => {
    await wc.editFile("calc.py", "a - b", "a + b");
    const out = await run(
      wc,
      'python3 -c "from calc import add; print(add(2, 3))"; echo "$GREETING"; exit 3',
    );
    assertMatch(out, /^\$ python3 .*\nexit code 3 in \d+\.\d s\n5\nhi\n/);
    assertMatch(out, /9 commands and \d+ command seconds left this turn/);
  });
});

Deno.test("run_command has no network", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("reached"),
  );
  try {
    const port = server.addr.port;
    await withCopy(async (wc) => {
      // The host can reach the server; the sandboxed command cannot.
      assertEquals(
        await (await fetch(`http://127.0.0.1:${port}/`)).text(),
        "reached",
      );
      const out = await run(
        wc,
        `curl -sS --max-time 5 http://127.0.0.1:${port}/; echo "rc=$?"`,
      );
      assert(!out.includes("reached"), out);
      assertMatch(out, /rc=[1-9]/);
    });
  } finally {
    await server.shutdown();
  }
});

Deno.test("run_command cannot write outside the working copy", async () => {
  await withCopy(async (wc, parent) => {
    const outside = join(parent, "outside");
    await Deno.mkdir(outside);
    const tr = join(parent, "workspaces", "run1");
    await Deno.mkdir(tr, { recursive: true });
    const out = await run(
      wc,
      `echo x > ${outside}/f; echo "a=$?"; echo x > ${tr}/f; echo "b=$?"; ` +
        `echo x > .git/f; echo "c=$?"; echo x > /tmp/f; echo "d=$?"`,
    );
    assertMatch(out, /a=[1-9]/);
    assertMatch(out, /b=[1-9]/);
    assertMatch(out, /c=[1-9]/);
    assertMatch(out, /d=0/); // a private /tmp, gone with the command
    for (const path of [`${outside}/f`, `${tr}/f`, join(wc.dir, ".git/f")]) {
      await rejects(Deno.stat(path), Deno.errors.NotFound, path);
    }
    assertEquals(wc.packet(), { writes: [], deletes: [] });
  });
});

Deno.test("run_command is killed at its timeout, with the whole process group", async () => {
  await withCopy(async (wc) => {
    const started = performance.now();
    const out = await run(wc, "(sleep 30; echo late > late.txt) & sleep 30", 1);
    assert(performance.now() - started < 10_000);
    assertMatch(out, /killed after \d+\.\d s: its timeout of 1 s was reached/);
    await new Promise((r) => setTimeout(r, 200));
    await rejects(Deno.stat(join(wc.dir, "late.txt")));
  }, { over: { maxTimeoutS: 60 } });
});

Deno.test("run_command is killed when the turn is cancelled", async () => {
  const controller = new AbortController();
  await withCopy(async (wc) => {
    const started = performance.now();
    setTimeout(() => controller.abort(new Error("cancelled")), 300);
    const out = await run(wc, "sleep 30");
    assert(performance.now() - started < 10_000);
    assertMatch(out, /cancelled after/);
  }, { signal: controller.signal });
});

Deno.test("run_command's writes join the packet only where the path policy allows", async () => {
  await withCopy(async (wc) => {
    const out = await run(
      wc,
      "mkdir -p secrets dist __pycache__ && echo key > secrets/k && echo js > dist/a.js && " +
        "echo ok > notes.md && sed -i 's/a - b/a + b/' calc.py && echo noise > run.log && " +
        "printf 'x' > __pycache__/c.pyc && printf '\\000\\001' > blob.bin",
    );
    assertEquals(wc.packet(), {
      writes: [
        { path: "calc.py", content: "def add(a, b):\n    return a + b\n" },
        { path: "notes.md", content: "ok\n" },
      ],
      deletes: [],
    });
    assertMatch(
      out,
      /Files this command changed \(part of your changes now\): calc\.py \(modified\), notes\.md \(created\)/,
    );
    assertMatch(
      out,
      /secrets\/k' matches forbidden_paths pattern "secrets\/\*\*"/,
    );
    assertMatch(out, /dist\/a\.js' matches forbidden_paths pattern "dist\/"/);
    assertMatch(out, /'blob\.bin' is binary/);
    assertMatch(out, /1 build\/cache output files/);
    assertEquals(wc.refused().map((r) => r.path).sort(), [
      "blob.bin",
      "dist/a.js",
      "secrets/k",
    ]);
    // A command deleting a file and reverting another is seen too.
    await run(
      wc,
      "rm notes.md && git checkout -q -- calc.py 2>/dev/null || cp /dev/null /dev/null",
    );
    const again = await run(wc, "rm -f calc.py");
    assertMatch(again, /calc\.py \(deleted\)/);
    assertEquals(wc.packet(), { writes: [], deletes: ["calc.py"] });
  });
});

Deno.test("run_command stops at the per-turn command and second limits", async () => {
  await withCopy(async (wc) => {
    await run(wc, "true");
    await run(wc, "true");
    await rejects(
      run(wc, "true"),
      /2 commands \(max_se_commands\) are used up/,
    );
    assertEquals(wc.commandUsage().commands, 2);
  }, { over: { maxCommands: 2 } });
  await withCopy(async (wc) => {
    const out = await run(wc, "sleep 5", 30);
    assertMatch(out, /its timeout of 2 s was reached/);
    await rejects(
      run(wc, "true"),
      /2 command seconds \(se_command_seconds\) are used up/,
    );
  }, { over: { maxSeconds: 2 } });
});

Deno.test("run_command's symlinks and oversized files stay out of the packet; the SE's own writes always count", async () => {
  await withCopy(async (wc) => {
    await wc.writeFile(
      "own.log",
      "ignored by .gitignore but written by the SE\n",
    );
    const out = await run(
      wc,
      "ln -s /etc/passwd link.txt && head -c 2000000 /dev/zero | tr '\\0' a > huge.txt && echo more >> own.log",
    );
    assertMatch(out, /'link\.txt' is a symbolic link; only regular files/);
    assertMatch(out, /'huge\.txt' has 2000000 bytes/);
    assertEquals(wc.packet(), {
      writes: [{
        path: "own.log",
        content: "ignored by .gitignore but written by the SE\nmore\n",
      }],
      deletes: [],
    });
    await rejects(wc.readFile("link.txt"), /outside the repository/);
  });
});

Deno.test("a command writing thousands of files fills the packet only up to its bound; the SE's own writes stay", async () => {
  await withCopy(async (wc) => {
    await wc.writeFile("mine.py", "x = 1\n");
    const answer = await run(
      wc,
      "mkdir -p many && for i in $(seq 1 2100); do echo $i > many/f$i.txt; done",
    );
    assertMatch(answer, /exit code 0/);
    const packet = wc.packet();
    assertEquals(packet.writes.length, 2000);
    assert(packet.writes.some((w) => w.path === "mine.py"));
    const refused = wc.refused();
    assertEquals(refused.length, 101);
    assertMatch(
      refused[0]?.reason ?? "",
      /was left out: this turn's changes already hold 2000 files/,
    );
  });
});
