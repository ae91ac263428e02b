/** The SE turn against what a small local model does: empty replies, and the compact profile of small windows. */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { reply, toolCall } from "../../llm/testing.ts";
import type { ChatCompletionTool } from "../../llm/mod.ts";
import { countMessagesTokens, countToolsTokens } from "../../llm/mod.ts";
import { EMPTY_NUDGE, EMPTY_RETRY_TEMPERATURE } from "./turn.ts";
import { assertModelError, MemoryWorkspace, sent, turn } from "./testing.ts";

/** The body of the n-th request the model received. */
function body(
  model: Awaited<ReturnType<typeof turn>>["model"],
  n: number,
): Record<string, unknown> {
  return model.requests[n]?.body as Record<string, unknown>;
}

Deno.test("runEngineerTurn() asks again at a higher temperature after an empty reply, and keeps it out of the conversation", async () => {
  const { result, error, model } = await turn([
    { content: "" },
    { content: "\n\n" },
    reply(toolCall("write_file", { path: "hello.py", content: "x\n" })),
    reply(toolCall("finish", { summary: "done" })),
  ]);
  assertEquals(error, null);
  assertEquals(result?.ended, "finish");
  assertEquals(model.requests.length, 4);
  // The first request uses the endpoint's default; the two after an empty reply do not.
  assertEquals(
    [0, 1, 2, 3].map((n) => body(model, n).temperature),
    [undefined, EMPTY_RETRY_TEMPERATURE, EMPTY_RETRY_TEMPERATURE, undefined],
  );
  // The retries carry one line asking to go on, never the empty assistant turn.
  const nudge = { role: "user", content: EMPTY_NUDGE };
  assertEquals(sent(model, 1), [...sent(model, 0), nudge]);
  assertEquals(sent(model, 2), sent(model, 1));
  for (let n = 0; n < 4; n++) {
    for (const m of sent(model, n)) {
      if (m.role !== "assistant") continue;
      assert(
        (m as { tool_calls?: unknown[] }).tool_calls?.length,
        `request ${n} carries an assistant turn without a call`,
      );
    }
  }
  assertEquals(
    result?.transcript.exchanges.map((e) => e.empty ?? false),
    [true, true, false, false],
  );
  // Counted all the same: steps and tokens.
  assertEquals(result?.steps, 4);
  const counted = result?.transcript.exchanges.reduce(
    (sum, e) => sum + e.usage.prompt_tokens,
    0,
  );
  assertEquals(result?.usage.prompt_tokens, counted);
  assertEquals(
    result?.events.filter((e) => e.kind === "SE_NO_TOOL_CALL").map((e) =>
      e.payload.empty
    ),
    [true, true],
  );
});

Deno.test("runEngineerTurn() fails, naming the model, after three empty replies in a row", async () => {
  const { error, model } = await turn([
    { content: "" },
    { content: " " },
    { content: "" },
    reply(toolCall("finish", { summary: "never reached" })),
  ]);
  assertModelError(
    error,
    "no_tool_call",
    /answered 3 times without a tool call; does it support tool calling\?/,
  );
  assertEquals(model.requests.length, 3);
});

/** The names and descriptions of the tools of the n-th request. */
function toolsOf(
  model: Awaited<ReturnType<typeof turn>>["model"],
  n: number,
): ChatCompletionTool[] {
  return body(model, n).tools as ChatCompletionTool[];
}

Deno.test("a small window gets the compact profile: short prompt, few short tools, the named file shown, under 1,000 tokens", async () => {
  const files = {
    "pager.py": "def paginate(items, page, per_page=10):\n" +
      "    start = page * per_page\n    return items[start:start + per_page]\n",
    "test_pager.py": "import pager\n",
    "docs/guide.md": "# Guide\n" + "A line of documentation.\n".repeat(300),
  };
  const task = {
    title: "paginate() skips the first page",
    body:
      "`paginate(items, page)` in `pager.py` takes a 1-based page number. Fix it (see also missing.py).",
    acceptanceCommands: ["python3 -m unittest -q test_pager"],
    allowedPaths: [],
    forbiddenPaths: ["tests/**"],
  };
  const { result, error, model } = await turn(
    [
      reply(toolCall("edit_file", {
        path: "pager.py",
        old_text: "start = page * per_page",
        new_text: "start = (page - 1) * per_page",
      })),
      reply(toolCall("finish", { summary: "page 1 is the first page" })),
    ],
    { contextTokens: 8_192, task },
    files,
    { maxOutputTokens: 1_024, contextTokens: 8_192 },
  );
  assertEquals(error, null);
  assertEquals(result?.ended, "finish");
  const tools = toolsOf(model, 0);
  assertEquals(
    tools.map((t) => t.type === "function" ? t.function.name : ""),
    ["list_files", "read_file", "write_file", "edit_file", "finish"],
  );
  for (const t of tools) {
    if (t.type !== "function") continue;
    assert((t.function.description ?? "").length <= 100, t.function.name);
  }
  const readArgs = tools.find((t) =>
    t.type === "function" && t.function.name === "read_file"
  );
  assertEquals(
    Object.keys(
      (readArgs as unknown as {
        function: { parameters: { properties: object } };
      })
        .function.parameters.properties,
    ),
    ["path"],
  );
  const [system, user] = sent(model, 0);
  assertMatch(
    String(system?.content),
    /Never change files matching: tests\/\*\*, \.git\/\*\*/,
  );
  assertMatch(
    String(system?.content),
    /run_command|cannot run commands/,
  );
  // The file the task names is shown as it is; a name that is no file is left alone.
  assertMatch(
    String(user?.content),
    /## pager\.py\n\n```\ndef paginate\(items, page, per_page=10\):\n {4}start = page \* per_page/,
  );
  assert(!String(user?.content).includes("missing.py\n"));
  assert(!String(user?.content).includes("A line of documentation"));
  const tokens = countMessagesTokens(sent(model, 0)) + countToolsTokens(tools);
  assert(tokens < 1_000, `first request ${tokens} tokens`);
});

Deno.test("a large window keeps the full profile: every tool, described in full", async () => {
  const { result, model } = await turn(
    [reply(toolCall("finish", { summary: "nothing to do" }))],
    { contextTokens: 128_000 },
  );
  assertEquals(result?.ended, "finish");
  const tools = toolsOf(model, 0);
  assertEquals(
    tools.map((t) => t.type === "function" ? t.function.name : ""),
    [
      "list_files",
      "read_file",
      "search_files",
      "write_file",
      "edit_file",
      "delete_file",
      "finish",
    ],
  );
  assertMatch(
    String(sent(model, 0)[0]?.content),
    /^You are the Software Engineer agent of AOS/,
  );
});

Deno.test("the compact profile shows the acceptance commands' output before the first change, on the first iteration only", async () => {
  const ran: string[] = [];
  class CommandWorkspace extends MemoryWorkspace {
    // Fails the first time (before the change); the check at finish passes.
    runs = 0;
    runCommand = (command: string) => {
      ran.push(command);
      return Promise.resolve(
        this.runs++ === 0 && iterationNow === 1
          ? `$ ${command}\nexit code 1 in 0.1 s\nAssertionError: [10, 11] != [0, 1]`
          : `$ ${command}\nexit code 0 in 0.1 s\nOK`,
      );
    };
  }
  const task = {
    title: "paginate() skips the first page",
    body: "Fix paginate so page 1 is the first page.",
    acceptanceCommands: ["python3 -m unittest -q test_pager"],
    allowedPaths: [],
    forbiddenPaths: [],
  };
  let iterationNow = 1;
  for (const iteration of [1, 2]) {
    iterationNow = iteration;
    ran.length = 0;
    const { model, error } = await turn(
      [reply(toolCall("finish", { summary: "done" }))],
      {
        contextTokens: 8_192,
        task,
        iteration,
        workspace: new CommandWorkspace({ "pager.py": "x = 1\n" }),
      },
      {},
      { maxOutputTokens: 1_024, contextTokens: 8_192 },
    );
    assertEquals(error, null);
    const user = String(sent(model, 0)[1]?.content);
    if (iteration === 1) {
      // Before the first request, then at finish.
      assertEquals(ran, [
        "python3 -m unittest -q test_pager",
        "python3 -m unittest -q test_pager",
      ]);
      assertMatch(
        user,
        /# The acceptance commands now, before your change\n\n\$ python3 -m unittest -q test_pager\nexit code 1 in 0\.1 s\nAssertionError: \[10, 11\] != \[0, 1\]/,
      );
    } else {
      // At finish only.
      assertEquals(ran, ["python3 -m unittest -q test_pager"]);
      assert(!user.includes("before your change"));
    }
  }
});

Deno.test("the compact profile answers finish with the acceptance commands' failures, twice at most, and goes on", async () => {
  const task = {
    title: "mean() divides by zero",
    body: "Make mean([]) return 0.0 in stats.py.",
    acceptanceCommands: ["python3 -m unittest -q test_stats"],
    allowedPaths: [],
    forbiddenPaths: [],
  };
  /** The check passes once stats.py holds `if not xs`. */
  class CheckedWorkspace extends MemoryWorkspace {
    runs = 0;
    runCommand = (command: string) => {
      this.runs++;
      const fixed = this.files.get("stats.py")?.includes("if not xs");
      return Promise.resolve(
        fixed
          ? `$ ${command}\nexit code 0 in 0.1 s\nOK`
          : `$ ${command}\nexit code 1 in 0.1 s\nZeroDivisionError: division by zero`,
      );
    };
  }
  const broken = "def mean(xs):\n    return sum(xs) / len(xs)\n";
  const compact = { maxOutputTokens: 1_024, contextTokens: 8_192 };

  // finish on the broken file: answered with the failure; fixed, then finished.
  const ws = new CheckedWorkspace({ "stats.py": broken });
  const fixed = await turn(
    [
      reply(toolCall("finish", { summary: "done" })),
      reply(toolCall("edit_file", {
        path: "stats.py",
        old_text: "    return sum",
        new_text: "    if not xs:\n        return 0.0\n    return sum",
      })),
      reply(toolCall("finish", { summary: "fixed" })),
    ],
    { contextTokens: 8_192, task, workspace: ws },
    {},
    compact,
  );
  assertEquals(fixed.error, null);
  assertEquals(fixed.result?.ended, "finish");
  assertEquals(fixed.result?.summary, "fixed");
  // Before the first request, at the first finish, at the second.
  assertEquals(ws.runs, 3);
  const answer = sent(fixed.model, 1).at(-1);
  assertEquals(answer?.role, "tool");
  assertMatch(
    String(answer?.content),
    /^Not finished: the acceptance commands still fail\.\n\n\$ python3 -m unittest -q test_stats\nexit code 1 in 0\.1 s\nZeroDivisionError: division by zero\n\nFix the code/,
  );
  assertEquals(
    fixed.result?.events.filter((e) => e.kind === "SE_FINISH_CHECKED")
      .map((e) => e.payload.checks),
    [1],
  );

  // Never fixed: the third finish ends the turn (the run's own check decides).
  const stuck = await turn(
    [
      reply(toolCall("finish", { summary: "one" })),
      reply(toolCall("finish", { summary: "two" })),
      reply(toolCall("finish", { summary: "three" })),
    ],
    {
      contextTokens: 8_192,
      task,
      workspace: new CheckedWorkspace({ "stats.py": broken }),
    },
    {},
    compact,
  );
  assertEquals(stuck.error, null);
  assertEquals(stuck.result?.ended, "finish");
  assertEquals(stuck.result?.summary, "three");
  assertEquals(stuck.model.requests.length, 3);

  // The full profile (a large window) finishes at once.
  const full = await turn(
    [reply(toolCall("finish", { summary: "at once" }))],
    { task, workspace: new CheckedWorkspace({ "stats.py": broken }) },
  );
  assertEquals(full.result?.summary, "at once");
});

Deno.test("the compact profile answers a read of a file the first message shows, unchanged, with a pointer to it", async () => {
  const pager =
    "def paginate(items, page, per_page=10):\n    start = page * per_page\n    return items[start:start + per_page]\n";
  const task = {
    title: "paginate() skips the first page",
    body: "`paginate(items, page)` in `pager.py` takes a 1-based page number.",
    acceptanceCommands: [],
    allowedPaths: [],
    forbiddenPaths: [],
  };
  const { result, error, model } = await turn(
    [
      reply(toolCall("read_file", { path: "pager.py" })),
      reply(toolCall("list_files", { path: "./pager.py" })),
      reply(toolCall("read_file", { path: "test_pager.py" })),
      reply(toolCall("edit_file", {
        path: "pager.py",
        old_text: "start = page * per_page",
        new_text: "start = (page - 1) * per_page",
      })),
      reply(toolCall("read_file", { path: "pager.py" })),
      reply(toolCall("finish", { summary: "page 1 is the first page" })),
    ],
    { contextTokens: 8_192, task },
    { "pager.py": pager, "test_pager.py": "import pager\n" },
    { maxOutputTokens: 1_024, contextTokens: 8_192 },
  );
  assertEquals(error, null);
  assertEquals(result?.ended, "finish");
  const answers = sent(model, 5).filter((m) => m.role === "tool").map((m) =>
    String(m.content)
  );
  const pointer =
    'pager.py has not changed since the first message, which shows it whole under "## pager.py". Do not read it again: change it now with edit_file (old_text: lines copied from it).';
  // Shown and unchanged: the pointer, for read_file and list_files alike.
  assertEquals(answers[0], pointer);
  assertEquals(answers[1], pointer);
  // Not shown: read as usual.
  assertEquals(answers[2], "import pager\n");
  // Changed since: read as usual.
  assertEquals(answers[4], pager.replace("page *", "(page - 1) *"));
});
