/**
 * Reading tool calls written in a model reply's text (lib/agents/text_tool_calls.ts)
 * on hostile replies at the model client's 4 MiB reply cap: deep nesting,
 * thousands of candidate objects, unbalanced braces and fences, and a
 * realistic reply. Target: linear, ≤ 200 ms at 4 MiB for any shape.
 */
import { parseTextToolCalls } from "../lib/agents/mod.ts";

const MIB = 1024 * 1024;
const KNOWN = new Set([
  "list_files",
  "find_files",
  "read_file",
  "search_files",
  "write_file",
  "edit_file",
  "delete_file",
  "run_command",
  "finish",
]);

function fill(unit: string, size: number): string {
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

/** Best of three, in ms. */
function time(text: string): { ms: number; calls: number } {
  let best = Infinity;
  let calls = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    calls = parseTextToolCalls(text, KNOWN).length;
    best = Math.min(best, performance.now() - t0);
  }
  return { ms: best, calls };
}

/** Runs the benchmark and returns its RESULTS.md section. */
export function runTextCallsBench(): Promise<string> {
  const call = JSON.stringify({
    name: "write_file",
    arguments: { path: "a.py", content: "def f():\n    return {'k': 1}\n" },
  });
  const shapes: [string, (n: number) => string][] = [
    [
      "a real reply: prose, a <tool_call> block",
      (n) =>
        fill("Let me fix it. ", n - call.length - 24) +
        `<tool_call>\n${call}\n</tool_call>`,
    ],
    [
      "nested objects naming a tool",
      (n) => fill('{"name":"finish","x":', n / 2) + fill("}", n / 2),
    ],
    ["a million open braces", (n) => fill("{", n)],
    ["candidate objects, none a call", (n) => fill('{"name": "x"} ', n)],
    ["calls back to back", (n) => fill(`<tool_call>${call}</tool_call>`, n)],
    ["unbalanced fences and quotes", (n) => fill('```json\n"{', n)],
  ];
  const rows = [
    "| reply (4 MiB) | parse | calls taken |",
    "| --- | --- | --- |",
  ];
  const sizes = [MIB, 4 * MIB];
  let worstPerMib = 0;
  for (const [shape, make] of shapes) {
    const [small, large] = sizes.map((n) => time(make(n)));
    worstPerMib = Math.max(worstPerMib, large!.ms / 4);
    rows.push(
      `| ${shape} | ${large!.ms.toFixed(1)} ms (1 MiB: ${
        small!.ms.toFixed(1)
      } ms) | ${large!.calls} |`,
    );
  }
  return Promise.resolve(
    [
      "## Tool calls written in the text",
      "",
      "Reading tool calls a model wrote into its message text (`lib/agents/text_tool_calls.ts`), on",
      "replies at the model client's 4 MiB cap (best of 3). Target: linear, ≤ 200 ms at 4 MiB whatever the shape.",
      "",
      ...rows,
      "",
      `Worst: ${
        worstPerMib.toFixed(1)
      } ms per MiB. At most 16 calls are taken and 24 candidates parsed per reply.`,
      "Before the nesting bound (64) and the one-pass index of tool names, measured the same way:",
      "nested objects 860 ms and candidate objects 377 ms at 4 MiB (8.5 and 51 ms at 1 MiB: not linear).",
    ].join("\n"),
  );
}
