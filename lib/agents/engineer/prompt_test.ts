import { match as assertMatch, ok as assert } from "node:assert/strict";
import { engineerSystemPrompt } from "./prompt.ts";

const task = {
  title: "Fix sum",
  body: "Fix sum().",
  acceptanceCommands: ["pytest -q", "ruff check ."],
  allowedPaths: ["src/**"],
  forbiddenPaths: ["secrets/**"],
};

Deno.test("engineerSystemPrompt() gives the working method, acceptance commands, path rules and limits", () => {
  const prompt = engineerSystemPrompt(task, {
    maxToolSteps: 40,
    warnSteps: 3,
    maxOutputTokens: 16384,
    runCommand: true,
    commandLimits: "at most 30 commands and 900 s of command time per turn",
  });
  for (
    const part of [
      /1\. Locate/,
      /2\. Read/,
      /3\. Reproduce: .*run_command/,
      /4\. Edit minimally/,
      /5\. Verify: run the acceptance commands .*with run_command/,
      /6\. Finish: call finish/,
      /- `pytest -q`\n- `ruff check \.`/,
      /only under allowed_paths: src\/\*\*/,
      /forbidden_paths: secrets\/\*\*, \.git\/\*\*/,
      /At most 40 tool-call steps/,
      /when 3 are left/,
      /after 16384 output tokens/,
      /run_command: at most 30 commands and 900 s/,
      /sandbox without network/,
    ]
  ) assertMatch(prompt, part);
});

Deno.test("engineerSystemPrompt() without run_command says commands cannot be run", () => {
  const prompt = engineerSystemPrompt(
    { ...task, acceptanceCommands: [], allowedPaths: [] },
    { maxToolSteps: 5, warnSteps: 3, maxOutputTokens: null, runCommand: false },
  );
  assert(!prompt.includes("run_command"), prompt);
  assertMatch(prompt, /You cannot run commands/);
  assertMatch(prompt, /anywhere in the repository/);
  assertMatch(prompt, /\(none: the Product Owner judges the diff/);
  assert(!prompt.includes("output tokens"));
});
