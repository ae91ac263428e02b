import assert from "node:assert/strict";
import { workOrderFromFields } from "../lib/work_order/mod.ts";
import { miniTaskText, trajectoryUsage } from "./mini_swe_agent.ts";

Deno.test("mini's task is the work order's text, its acceptance commands and forbidden paths", () => {
  const text = miniTaskText(workOrderFromFields({
    repo: "/tmp/r.git",
    title: "Fix it",
    task: "Make `f` return 2.",
    acceptance_commands: ["python3 -m unittest -q"],
    forbidden_paths: ["tests/**"],
  }));
  assert.match(text, /^# Fix it\n/);
  assert.match(text, /Make `f` return 2\./);
  assert.match(text, /\n {4}python3 -m unittest -q/);
  assert.match(text, /Do not change these paths: tests\/\*\*\./);
});

Deno.test("trajectory usage sums every saved response, format errors included", () => {
  assert.deepEqual(
    trajectoryUsage({
      messages: [
        {},
        {
          extra: {
            response: { usage: { prompt_tokens: 100, completion_tokens: 7 } },
          },
        },
        { extra: {} },
        { extra: { response: { usage: { prompt_tokens: 150 } } } },
      ],
    }),
    { prompt: 250, completion: 7, calls: 2 },
  );
  assert.deepEqual(trajectoryUsage({}), { prompt: 0, completion: 0, calls: 0 });
});
