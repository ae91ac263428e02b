import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import {
  type ChatCompletionMessageParam,
  ModelClient,
  ModelError,
} from "../../llm/client.ts";
import {
  reply,
  type ScriptedModel,
  type ScriptedReply,
  seWrite,
  startScriptedModel,
  toolCall,
} from "../../../tests/support/scripted_model.ts";
import {
  type EngineerTurnOptions,
  type EngineerWorkspace,
  runEngineerTurn,
} from "./turn.ts";
import { ToolError } from "../../workspace/files.ts";

/** A tiny in-memory stand-in for lib/workspace_view.ts: files in a map, writes recorded. */
class MemoryWorkspace implements EngineerWorkspace {
  files: Map<string, string>;
  writes = new Map<string, string>();
  deletes = new Set<string>();
  constructor(files: Record<string, string>) {
    this.files = new Map(Object.entries(files));
  }
  #check(path: string) {
    if (
      path.startsWith("/") || path.split("/").includes("..") ||
      path.startsWith(".git/")
    ) {
      throw new ToolError(
        `Path '${path}' is outside the repository or forbidden`,
      );
    }
  }
  listFiles(path = ""): Promise<string> {
    return Promise.resolve(
      [...this.files.keys()].filter((p) => p.startsWith(path)).sort().join(
        "\n",
      ),
    );
  }
  readFile(path: string): Promise<string> {
    this.#check(path);
    const content = this.files.get(path);
    if (content === undefined) {
      return Promise.reject(new ToolError(`File '${path}' does not exist`));
    }
    return Promise.resolve(content);
  }
  searchFiles(pattern: string): Promise<string> {
    const re = new RegExp(pattern);
    const hits = [...this.files].flatMap(([p, c]) =>
      c.split("\n").flatMap((
        line,
        i,
      ) => (re.test(line) ? [`${p}:${i + 1}: ${line}`] : []))
    );
    return Promise.resolve(hits.join("\n") || "No matches");
  }
  writeFile(path: string, content: string): Promise<string> {
    this.#check(path);
    this.files.set(path, content);
    this.writes.set(path, content);
    this.deletes.delete(path);
    return Promise.resolve(`Wrote ${path} (${content.length} characters)`);
  }
  async editFile(
    path: string,
    oldText: string,
    newText: string,
  ): Promise<string> {
    const content = await this.readFile(path);
    if (content.split(oldText).length !== 2) {
      throw new ToolError(`old_text must match exactly once in '${path}'`);
    }
    return this.writeFile(path, content.replace(oldText, newText));
  }
  deleteFile(path: string): Promise<string> {
    this.#check(path);
    if (!this.files.delete(path)) {
      return Promise.reject(new ToolError(`File '${path}' does not exist`));
    }
    this.writes.delete(path);
    this.deletes.add(path);
    return Promise.resolve(`Deleted ${path}`);
  }
  packet() {
    return {
      writes: [...this.writes].map(([path, content]) => ({ path, content })),
      deletes: [...this.deletes],
    };
  }
  layout(): Promise<string> {
    return this.listFiles();
  }
}

const TASK = {
  title: "Add hello",
  body: "Create hello.py that prints hello.",
  acceptanceCommands: ["python3 hello.py"],
  allowedPaths: ["*.py"],
  forbiddenPaths: ["secrets/**"],
};

/** Runs one SE turn against a scripted model; returns the result (or the error) and the model. */
async function turn(
  se: ScriptedReply[],
  overrides: Partial<EngineerTurnOptions> = {},
  files: Record<string, string> = { "README.md": "# Demo\n" },
): Promise<
  {
    result: Awaited<ReturnType<typeof runEngineerTurn>> | null;
    error: unknown;
    model: ScriptedModel;
  }
> {
  const model = await startScriptedModel({ se, po: [] });
  try {
    const client = new ModelClient({
      apiKey: "sk-test",
      baseUrl: model.url,
      model: "gpt-4.1-mini",
      retryBaseMs: 1,
    });
    try {
      const result = await runEngineerTurn({
        client,
        workspace: new MemoryWorkspace(files),
        task: TASK,
        contextFiles: [],
        iteration: 1,
        maxToolSteps: 20,
        tokenBudget: 1_000_000,
        ...overrides,
      });
      return { result, error: null, model };
    } catch (error) {
      return { result: null, error, model };
    }
  } finally {
    await model.close();
  }
}

/** Messages of the n-th request the model received. */
function sent(model: ScriptedModel, n: number): ChatCompletionMessageParam[] {
  return (model.requests[n]?.body as { messages: ChatCompletionMessageParam[] })
    .messages;
}

function toolResults(model: ScriptedModel, n: number): string[] {
  return sent(model, n).flatMap((
    m,
  ) => (m.role === "tool" ? [String(m.content)] : []));
}

function assertModelError(
  error: unknown,
  kind: ModelError["kind"],
  message: RegExp,
) {
  assert(error instanceof ModelError, `expected a ModelError, got ${error}`);
  assertEquals(error.kind, kind);
  assertMatch(error.message, message);
}

Deno.test("runEngineerTurn() writes a file and finishes with a packet and usage", async () => {
  const { result, error, model } = await turn(
    seWrite("hello.py", "print('hello')\n", "Added hello.py"),
  );
  assertEquals(error, null);
  assert(result);
  assertEquals(result.packet, {
    writes: [{ path: "hello.py", content: "print('hello')\n" }],
    deletes: [],
  });
  assertEquals(result.summary, "Added hello.py");
  assertEquals(result.events, []);
  assertEquals(model.requests.length, 2);
  assertEquals(result.transcript.exchanges.length, 2);
  assert(result.usage.total_tokens > 0);
  const first = JSON.stringify(sent(model, 0));
  for (
    const part of [
      "Create hello.py",
      "python3 hello.py",
      "*.py",
      "secrets/**",
      "README.md",
    ]
  ) {
    assert(first.includes(part), `first request lacks ${part}`);
  }
  assertMatch(toolResults(model, 1)[0] ?? "", /Wrote hello\.py/);
});

Deno.test("runEngineerTurn() reports malformed JSON arguments to the model and recovers", async () => {
  const { result, model } = await turn([
    {
      tool_calls: [{
        name: "write_file",
        arguments: '{"path": "hello.py", "content": ',
      }],
    },
    ...seWrite("hello.py", "print(1)\n", "done"),
  ]);
  assert(result);
  assertEquals(result.packet.writes.map((w) => w.path), ["hello.py"]);
  assertMatch(
    toolResults(model, 1)[0] ?? "",
    /^Error: arguments for write_file are not valid JSON: /,
  );
  assertEquals(result.events.map((e) => [e.kind, e.level, e.payload.tool]), [[
    "SE_TOOL_ERROR",
    "WARN",
    "write_file",
  ]]);
});

Deno.test("runEngineerTurn() rejects missing and wrong-typed arguments without applying them", async () => {
  const { result, model } = await turn([
    reply(
      toolCall("write_file", { path: "a.py" }),
      toolCall("write_file", { path: "b.py", content: 42 }),
    ),
    reply(toolCall("finish", { summary: 7 })),
    reply(toolCall("finish", { summary: "nothing written" })),
  ]);
  assert(result);
  assertEquals(result.packet.writes, []);
  assertEquals(result.summary, "nothing written");
  assertEquals(toolResults(model, 1), [
    "Error: arguments for write_file are missing 'content'",
    "Error: arguments for write_file: 'content' must be a string, got number",
  ]);
  assertMatch(toolResults(model, 2)[2] ?? "", /'summary' must be a string/);
});

Deno.test("runEngineerTurn() answers an unknown tool with an error result", async () => {
  const { result, model } = await turn([
    reply(toolCall("run_shell", { command: "rm -rf /" })),
    reply(toolCall("finish", { summary: "ok" })),
  ]);
  assert(result);
  assertMatch(
    toolResults(model, 1)[0] ?? "",
    /^Error: unknown tool 'run_shell'; available tools: list_files, /,
  );
  assertEquals(result.events[0]?.payload.reason, "unknown_tool");
});

Deno.test("runEngineerTurn() returns a workspace ToolError to the model as a tool result", async () => {
  const { result, model } = await turn([
    reply(
      toolCall("read_file", { path: "missing.py" }),
      toolCall("write_file", { path: "../x.py", content: "" }),
    ),
    reply(toolCall("finish", { summary: "gave up" })),
  ]);
  assert(result);
  assertEquals(toolResults(model, 1), [
    "Error: File 'missing.py' does not exist",
    "Error: Path '../x.py' is outside the repository or forbidden",
  ]);
  assertEquals(result.events.map((e) => e.kind), [
    "SE_TOOL_ERROR",
    "SE_TOOL_ERROR",
  ]);
  assertEquals(result.packet.writes, []);
});

Deno.test("runEngineerTurn() nudges after a reply without tool calls and carries on", async () => {
  const { result, model } = await turn([{
    content: "I will now write the file.",
  }, ...seWrite("h.py", "x\n", "ok")]);
  assert(result);
  const last = sent(model, 1).at(-1);
  assertEquals(last?.role, "user");
  assertMatch(String(last?.content), /call finish/);
  assertEquals(result.events.map((e) => e.kind), ["SE_NO_TOOL_CALL"]);
});

Deno.test("runEngineerTurn() gives up after 3 replies without tool calls", async () => {
  const { error, model } = await turn([{ content: "a" }, { content: "b" }, {
    content: "c",
  }, ...seWrite("h.py", "", "x")]);
  assertModelError(
    error,
    "bad_response",
    /^Model replied without tool calls 3 times in a row$/,
  );
  assertEquals(model.requests.length, 3);
});

Deno.test("runEngineerTurn() stops at max tool steps without finish", async () => {
  const look = reply(toolCall("list_files", {}));
  const { error, model } = await turn([look, look, look], { maxToolSteps: 2 });
  assertModelError(error, "budget", /limit of 2 tool-call steps/);
  assertEquals(model.requests.length, 2);
  assert(error instanceof ModelError && error.partial);
  assert(error.partial.usage.total_tokens > 0);
  const partial = error.partial.transcript as { exchanges: unknown[] };
  assertEquals(partial.exchanges.length, 2);
});

Deno.test("runEngineerTurn() stops when the token budget is used up", async () => {
  const look = reply(toolCall("list_files", {}));
  const { error, model } = await turn([look, look], { tokenBudget: 10 });
  assertModelError(error, "budget", /token budget/);
  assertEquals(model.requests.length, 1);
});

Deno.test("runEngineerTurn() passes through a model failure", async () => {
  const { error } = await turn([{ garbage: "not json" }]);
  assertModelError(error, "bad_response", /^Model reply is not valid/);
});

Deno.test("runEngineerTurn() tells iteration 2 about the failing command and PO feedback", async () => {
  const { result, model } = await turn(seWrite("h.py", "x\n", "fixed"), {
    iteration: 2,
    previous: {
      toolReport: {
        commands: [{
          command: "python3 -m pytest",
          exit_code: 1,
          output: "E   AssertionError: 5 != 6\n",
        }],
        rejected: [{ path: "evil.sh", reason: "not in allowed_paths" }],
      },
      poFeedback: "Fix the sum",
    },
  });
  assert(result);
  const first = String(sent(model, 0)[1]?.content);
  for (
    const part of [
      "python3 -m pytest",
      "exit code 1",
      "AssertionError: 5 != 6",
      "Fix the sum",
      "evil.sh",
    ]
  ) {
    assert(first.includes(part), `iteration 2 prompt lacks ${part}`);
  }
});

Deno.test("runEngineerTurn() includes context files and redacts what it sends", async () => {
  const { result, model } = await turn(
    [
      reply(toolCall("read_file", { path: "config.py" })),
      reply(toolCall("finish", { summary: "saw SECRET123" })),
    ],
    {
      contextFiles: [{ path: "notes.md", content: "Context: use tabs" }],
      redact: (s) => s.replaceAll("SECRET123", "[REDACTED]"),
    },
    { "config.py": "TOKEN = 'SECRET123'\n" },
  );
  assert(result);
  assertEquals(result.summary, "saw [REDACTED]");
  const everything = JSON.stringify(model.requests);
  assert(everything.includes("Context: use tabs"));
  assert(!everything.includes("SECRET123"));
  assertMatch(toolResults(model, 1)[0] ?? "", /\[REDACTED\]/);
});

Deno.test("runEngineerTurn() applies edits and deletes and skips calls after finish", async () => {
  const { result, model } = await turn(
    [
      reply(
        toolCall("edit_file", { path: "a.py", old_text: "1", new_text: "2" }),
        toolCall("delete_file", { path: "b.py" }),
        toolCall("finish", { summary: "edited" }),
        toolCall("write_file", { path: "late.py", content: "" }),
      ),
    ],
    {},
    { "a.py": "x = 1\n", "b.py": "" },
  );
  assert(result);
  assertEquals(result.packet, {
    writes: [{ path: "a.py", content: "x = 2\n" }],
    deletes: ["b.py"],
  });
  assertEquals(model.requests.length, 1);
  const tools = result.transcript.messages.filter((m) => m.role === "tool").map(
    (m) => String(m.content),
  );
  assertEquals(tools.at(-1), "Not executed: finish was already called");
});

Deno.test("runEngineerTurn() does not call the model when the signal is already aborted", async () => {
  const controller = new AbortController();
  controller.abort();
  const { error, model } = await turn(seWrite("h.py", "", "x"), {
    signal: controller.signal,
  });
  assertModelError(error, "cancelled", /cancelled/);
  assertEquals(model.requests.length, 0);
});
