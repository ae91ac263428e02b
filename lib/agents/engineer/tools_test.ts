import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
  rejects,
} from "node:assert/strict";
import { executeTool, SE_TOOLS, type ToolOutcome, toolsFor } from "./tools.ts";
import { makeRepo, openTestCopy } from "../../workspace/testing.ts";
import type { WorkingCopy } from "../../workspace/mod.ts";
import { resolveSandboxMode } from "../../sandbox/mod.ts";
import { MemoryWorkspace } from "./testing.ts";

/** A workspace whose read_file never returns (what a FIFO did before reads were bounded). */
class HangingWorkspace extends MemoryWorkspace {
  override readFile(): Promise<string> {
    return new Promise(() => {});
  }
}

function shape(tools: typeof SE_TOOLS) {
  return tools.map((t) => {
    assert(t.type === "function");
    const params = t.function.parameters as {
      properties: Record<string, unknown>;
      required?: string[];
      additionalProperties?: boolean;
    };
    assert(t.function.description);
    assertEquals(params.additionalProperties, false);
    return [
      t.function.name,
      Object.keys(params.properties),
      params.required ?? [],
    ];
  });
}

Deno.test("SE_TOOLS offers the protocol's tools and argument names, generated from the table", () => {
  assertEquals(shape(SE_TOOLS), [
    ["list_files", ["path", "depth", "offset"], []],
    ["find_files", ["glob", "offset"], ["glob"]],
    ["read_file", ["path", "start_line", "end_line"], ["path"]],
    ["search_files", ["pattern", "path", "glob", "ignore_case"], ["pattern"]],
    ["write_file", ["path", "content"], ["path", "content"]],
    ["edit_file", ["path", "old_text", "new_text"], [
      "path",
      "old_text",
      "new_text",
    ]],
    ["delete_file", ["path"], ["path"]],
    ["run_command", ["command", "timeout_s"], ["command"]],
    ["finish", ["summary"], ["summary"]],
  ]);
  const read = SE_TOOLS.find((t) =>
    t.type === "function" && t.function.name === "read_file"
  );
  assert(read?.type === "function");
  assertEquals(
    (read.function.parameters as { properties: Record<string, unknown> })
      .properties.start_line,
    {
      type: "integer",
      minimum: 1,
      description: "First line to show (default 1)",
    },
  );
});

async function withCopy(
  files: Record<string, string>,
  fn: (wc: WorkingCopy) => Promise<void>,
  commands = false,
): Promise<void> {
  const parent = await Deno.makeTempDir({ prefix: "aos_tools_" });
  try {
    const { repo, commit } = await makeRepo(parent, files);
    const mode = await resolveSandboxMode("auto");
    const wc = await openTestCopy({
      parent,
      repo,
      commit,
      options: commands
        ? {
          commands: {
            env: {},
            mode,
            hideDirs: [parent],
            maxCommands: 5,
            maxSeconds: 60,
            maxTimeoutS: 30,
          },
        }
        : {},
    });
    await fn(wc);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
}

async function call(
  wc: WorkingCopy,
  name: string,
  args: unknown,
): Promise<ToolOutcome> {
  return await executeTool(wc, name, JSON.stringify(args));
}

function text(outcome: ToolOutcome): string {
  assert(
    outcome.kind === "result",
    `expected a result, got ${JSON.stringify(outcome)}`,
  );
  return outcome.text;
}

Deno.test("run_command is offered only when the work order allows SE commands, and unknown tools are errors", async () => {
  await withCopy({ "a.txt": "a\n" }, async (wc) => {
    assert(!shape(toolsFor(wc)).some(([name]) => name === "run_command"));
    const outcome = await call(wc, "run_command", { command: "true" });
    assertEquals(outcome.kind, "error");
    assertMatch(
      (outcome as { text: string }).text,
      /^Error: unknown tool 'run_command'; available tools: list_files, find_files, read_file/,
    );
  });
  await withCopy({ "a.txt": "a\n" }, async (wc) => {
    assert(shape(toolsFor(wc)).some(([name]) => name === "run_command"));
    assertMatch(
      text(await call(wc, "run_command", { command: "cat a.txt" })),
      /exit code 0/,
    );
  }, true);
});

Deno.test("executeTool() accepts numbers and booleans sent as strings and null for omitted arguments", async () => {
  const lines = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join(
    "\n",
  );
  await withCopy({ "f.txt": `${lines}\n` }, async (wc) => {
    assertMatch(
      text(
        await call(wc, "read_file", {
          path: "f.txt",
          start_line: "5",
          end_line: 6,
        }),
      ),
      /^f\.txt: lines 5-6 of 20\n5\tline 5\n6\tline 6\n/,
    );
    assertMatch(
      text(
        await call(wc, "search_files", {
          pattern: "LINE 1\\b",
          ignore_case: "true",
          path: null,
        }),
      ),
      /1 match in 1 file/,
    );
    const bad = await call(wc, "read_file", { path: "f.txt", start_line: 0 });
    assertEquals(bad, {
      kind: "error",
      reason: "invalid_arguments",
      text:
        "Error: arguments for read_file: 'start_line' must be at least 1, got 0",
    });
    const wrong = await call(wc, "read_file", {
      path: "f.txt",
      start_line: 2.5,
    });
    assertMatch(
      (wrong as { text: string }).text,
      /'start_line' must be an integer/,
    );
  });
});

Deno.test("every line of a 5,000-line file is reachable with read_file, following its hints", async () => {
  const lines = Array.from(
    { length: 5_000 },
    (_, i) => `value_${i + 1} = ${"x".repeat(i % 70)}`,
  );
  await withCopy({ "big.py": `${lines.join("\n")}\n` }, async (wc) => {
    const seen: string[] = [];
    let args: Record<string, unknown> = { path: "big.py" };
    for (let calls = 0; calls < 100; calls++) {
      const answer = text(await call(wc, "read_file", args));
      assert(answer.length < 25_000, `answer of ${answer.length} chars`);
      const [header, ...rest] = answer.split("\n");
      assertMatch(header ?? "", /^big\.py: lines \d+-\d+ of 5000$/);
      for (const line of rest) {
        const m = /^(\d+)\t(.*)$/.exec(line);
        if (m) {
          assertEquals(Number(m[1]), seen.length + 1);
          seen.push(m[2] as string);
        }
      }
      const next = /read on with start_line=(\d+)\]$/.exec(answer);
      if (!next) break;
      args = { path: "big.py", start_line: Number(next[1]) };
    }
    assertEquals(seen, lines);
  });
});

Deno.test("every entry of a 3,000-entry folder is reachable with list_files, and its footer is never cut", async () => {
  const files: Record<string, string> = { "README.md": "# r\n" };
  for (let i = 0; i < 2_990; i++) {
    files[`big/file_${String(i).padStart(4, "0")}_${"n".repeat(i % 40)}.txt`] =
      "x\n";
  }
  for (let i = 0; i < 10; i++) files[`big/sub_${i}/inner.txt`] = "y\n";
  await withCopy(files, async (wc) => {
    const root = text(await call(wc, "list_files", {}));
    assertMatch(
      root,
      /^the repository root, depth 1: 1 directories, 1 files \(3001 files in all below it\)\nbig\/ \(3000 files\)\nREADME\.md$/,
    );
    const seen: string[] = [];
    let args: Record<string, unknown> = { path: "big" };
    for (let calls = 0; calls < 100; calls++) {
      const answer = text(await call(wc, "list_files", args));
      assert(answer.length < 12_000, `answer of ${answer.length} chars`);
      const lines = answer.split("\n");
      assertMatch(
        lines[0] ?? "",
        /^'big\/', depth 1: 10 directories, 2990 files/,
      );
      const footer = lines.at(-1) ?? "";
      const paged =
        /^\[entries \d+-\d+ of 3000(?:; \d+ more: list_files (\{.*\}))?\]$/
          .exec(footer);
      assert(paged, `footer missing: ${footer}`);
      seen.push(...lines.slice(1, -1));
      if (!paged[1]) break;
      args = JSON.parse(paged[1]);
    }
    assertEquals(seen.length, 3_000);
    assertEquals(seen.slice(0, 2), [
      "big/sub_0/ (1 file)",
      "big/sub_1/ (1 file)",
    ]);
    const expected = Object.keys(files).filter((f) => f.startsWith("big/file_"))
      .sort();
    assertEquals(seen.slice(10), expected);
    const deep = text(
      await call(wc, "list_files", { path: "big/sub_3", depth: 2 }),
    );
    assertMatch(deep, /big\/sub_3\/inner\.txt/);
    const found = text(await call(wc, "find_files", { glob: "inner.txt" }));
    assertMatch(found, /^10 files match 'inner\.txt'\nbig\/sub_0\/inner\.txt/);
  });
});

Deno.test("edit_file answers with a numbered snippet, and names the closest text when old_text is not found", async () => {
  const source = [
    "def total(items):",
    "    result = 0",
    "    for item in items:",
    "        result += item.price",
    "    return result",
    "",
  ].join("\n");
  await withCopy({ "shop.py": source }, async (wc) => {
    const done = text(
      await call(wc, "edit_file", {
        path: "shop.py",
        old_text: "item.price",
        new_text: "item.price * item.qty",
      }),
    );
    assertMatch(
      done,
      /^Edited 'shop\.py': lines 4-4 replaced by 1 line; the file has 5 lines now:\n1\tdef total\(items\):\n2\t/,
    );
    assertMatch(
      done,
      /4\t {8}result \+= item\.price \* item\.qty\n5\t {4}return result$/,
    );
    const miss = await call(wc, "edit_file", {
      path: "shop.py",
      old_text:
        "    for itm in items:\n        result += item.price * item.qty",
      new_text: "x",
    });
    assertEquals(miss.kind, "error");
    assertMatch(
      (miss as { text: string }).text,
      /not found in 'shop\.py'.*Closest text[\s\S]*lines 3-4 \(\d+% similar\):\n3\t {4}for item in items:\n4\t {8}result \+= item\.price \* item\.qty/,
    );
    const numbered = await call(wc, "edit_file", {
      path: "shop.py",
      old_text: "5\t    return result",
      new_text: "x",
    });
    assertMatch(
      (numbered as { text: string }).text,
      /carries read_file's line numbers/,
    );
  });
});

Deno.test("executeTool() abandons a file tool that hangs, with an error naming the call", async () => {
  const ws = new HangingWorkspace({ "a.py": "x = 1\n" });
  const outcome = await executeTool(
    ws,
    "read_file",
    JSON.stringify({ path: "pipe" }),
    { timeoutMs: 50 },
  );
  assertEquals(outcome.kind, "error");
  assert(outcome.kind === "error");
  assertEquals(outcome.reason, "timeout");
  assertMatch(
    outcome.text,
    /^Error: read_file \{"path":"pipe"\} did not finish within 0\.05 s and was abandoned/,
  );
});

Deno.test("executeTool() gives up on a hanging tool as soon as the turn is cancelled", async () => {
  const ws = new HangingWorkspace({});
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error("run cancelled")), 50);
  await rejects(
    executeTool(ws, "read_file", JSON.stringify({ path: "pipe" }), {
      signal: controller.signal,
    }),
    /run cancelled/,
  );
});

Deno.test("list_files on a file shows the file as read_file does; a missing directory is still an error", async () => {
  await withCopy({ "src/pager.py": "def f():\n    return 1\n" }, async (wc) => {
    const shown = text(await call(wc, "list_files", { path: "src/pager.py" }));
    assertEquals(
      shown,
      text(await call(wc, "read_file", { path: "src/pager.py" })),
    );
    assertMatch(shown, /1\tdef f\(\):\n2\t {4}return 1/);
    const missing = await call(wc, "list_files", { path: "lib" });
    assertEquals(missing.kind, "error");
    assertMatch(
      (missing as { text: string }).text,
      /^Error: Directory 'lib' does not exist/,
    );
  });
});

Deno.test("the compact profile offers fewer tools, one-line descriptions and only the needed arguments", async () => {
  await withCopy({ "a.txt": "a\n" }, (wc) => {
    const compact = toolsFor(wc, "compact");
    assertEquals(shape(compact), [
      ["list_files", ["path"], []],
      ["read_file", ["path"], ["path"]],
      ["write_file", ["path", "content"], ["path", "content"]],
      ["edit_file", ["path", "old_text", "new_text"], [
        "path",
        "old_text",
        "new_text",
      ]],
      ["run_command", ["command"], ["command"]],
      ["finish", ["summary"], ["summary"]],
    ]);
    const full = JSON.stringify(toolsFor(wc)).length;
    assert(
      JSON.stringify(compact).length * 3 < full,
      `compact ${JSON.stringify(compact).length} vs full ${full} characters`,
    );
    return Promise.resolve();
  }, true);
});

Deno.test("plain reads (compact profile) show a short file as it is; a window or a long file stays numbered", async () => {
  const long = Array.from({ length: 2_000 }, (_, i) => `line ${i}`).join("\n");
  await withCopy(
    { "a.py": "def f():\n    return 1\n", "big.txt": long },
    async (wc) => {
      const plain = { plainRead: true };
      const read = async (args: unknown) =>
        text(await executeTool(wc, "read_file", JSON.stringify(args), plain));
      assertEquals(await read({ path: "a.py" }), "def f():\n    return 1\n");
      assertEquals(
        text(
          await executeTool(wc, "list_files", '{"path": "a.py"}', plain),
        ),
        "def f():\n    return 1\n",
      );
      assertMatch(await read({ path: "a.py", start_line: 2 }), /^a\.py: /);
      assertMatch(await read({ path: "big.txt" }), /^big\.txt: lines 1-/);
      assertMatch(
        text(await call(wc, "read_file", { path: "a.py" })),
        /^a\.py: all 2 lines/,
      );
    },
  );
});

Deno.test("write_file (compact profile) refuses a content that drops most of an existing file; a whole rewrite or a new file goes through", async () => {
  const original = [
    '"""Stats."""',
    "",
    "def words(text):",
    "    return text.split()",
    "",
    "def average(text):",
    "    found = words(text)",
    "    return sum(len(w) for w in found) / len(found)",
    "",
    "def longest(text):",
    "    return max(words(text), key=len)",
    "",
  ].join("\n");
  await withCopy({ "stats.py": original }, async (wc) => {
    const compact = { plainRead: true };
    const write = (
      path: string,
      content: string,
      context: { plainRead?: boolean } = compact,
    ) =>
      executeTool(
        wc,
        "write_file",
        JSON.stringify({ path, content }),
        context,
      );
    // Only the fixed function: refused, the file unchanged.
    const fragment =
      "def average(text):\n    found = words(text)\n    if not found:\n        return 0.0\n    return sum(len(w) for w in found) / len(found)\n";
    const refused = await write("stats.py", fragment);
    assert(refused.kind === "error");
    assertMatch(
      refused.text,
      /^Error: this write_file would drop 5 of the 8 lines of 'stats\.py', so nothing was written\. .*use edit_file/,
    );
    assertEquals(await Deno.readTextFile(`${wc.dir}/stats.py`), original);
    // The whole file with the fix: written.
    const whole = original.replace(
      "    found = words(text)\n",
      "    found = words(text)\n    if not found:\n        return 0.0\n",
    );
    assertEquals((await write("stats.py", whole)).kind, "result");
    assertEquals(await Deno.readTextFile(`${wc.dir}/stats.py`), whole);
    // A new file, and the full profile (no guard): written.
    assertEquals((await write("new.py", "x = 1\n")).kind, "result");
    assertEquals((await write("stats.py", fragment, {})).kind, "result");
  });
});

Deno.test("edit_file (compact profile) answers with the file as it is now, unnumbered, when it is short", async () => {
  await withCopy({ "a.py": "def f():\n    return 1\n" }, async (wc) => {
    const edit = (context: { plainRead?: boolean }) =>
      executeTool(
        wc,
        "edit_file",
        JSON.stringify({
          path: "a.py",
          old_text: context.plainRead ? "return 1" : "return 2",
          new_text: context.plainRead ? "return 2" : "return 3",
        }),
        context,
      );
    assertEquals(
      text(await edit({ plainRead: true })),
      "Edited 'a.py': lines 2-2 replaced by 1 line. a.py now reads:\ndef f():\n    return 2\n",
    );
    assertMatch(
      text(await edit({})),
      /^Edited 'a\.py': .*\n1\tdef f\(\):\n2\t {4}return 3$/,
    );
  });
});
