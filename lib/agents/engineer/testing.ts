/**
 * Test helpers for the SE turn: an in-memory workspace and a turn run
 * against the scripted model over HTTP (testing.ts in the Oak manner; only
 * tests import it).
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import {
  type ChatCompletionMessageParam,
  type ModelClientOptions,
  ModelError,
} from "../../llm/mod.ts";
import type { ScriptedModel, ScriptedReply } from "../../llm/testing.ts";
import { againstScript, type ScriptedRun } from "../testing.ts";
import {
  type EngineerTurnOptions,
  type EngineerWorkspace,
  runEngineerTurn,
} from "./turn.ts";

import { ToolError } from "../../workspace/mod.ts";

/** A tiny in-memory stand-in for the SE's workspace: files in a map, writes recorded. */
export class MemoryWorkspace implements EngineerWorkspace {
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

/** The task the helpers give the SE. */
export const TASK = {
  title: "Add hello",
  body: "Create hello.py that prints hello.",
  acceptanceCommands: ["python3 hello.py"],
  allowedPaths: ["*.py"],
  forbiddenPaths: ["secrets/**"],
};

/** Runs one SE turn against a scripted model; returns the result (or the error) and the model. */
export function turn(
  se: ScriptedReply[],
  overrides: Partial<EngineerTurnOptions> = {},
  files: Record<string, string> = { "README.md": "# Demo\n" },
  clientOptions: Partial<ModelClientOptions> = {},
): Promise<ScriptedRun<Awaited<ReturnType<typeof runEngineerTurn>>>> {
  return againstScript(
    { se, po: [] },
    (client) =>
      runEngineerTurn({
        client,
        workspace: new MemoryWorkspace(files),
        task: TASK,
        contextFiles: [],
        iteration: 1,
        maxToolSteps: 20,
        tokenBudget: 1_000_000,
        ...overrides,
      }),
    clientOptions,
  );
}

/** Messages of the n-th request the model received. */
export function sent(
  model: ScriptedModel,
  n: number,
): ChatCompletionMessageParam[] {
  return (model.requests[n]?.body as { messages: ChatCompletionMessageParam[] })
    .messages;
}

/** The tool results in the n-th request. */
export function toolResults(model: ScriptedModel, n: number): string[] {
  return sent(model, n).flatMap((
    m,
  ) => (m.role === "tool" ? [String(m.content)] : []));
}

/** Asserts a ModelError of `kind` whose message matches. */
export function assertModelError(
  error: unknown,
  kind: ModelError["kind"],
  message: RegExp,
) {
  assert(error instanceof ModelError, `expected a ModelError, got ${error}`);
  assertEquals(error.kind, kind);
  assertMatch(error.message, message);
}
