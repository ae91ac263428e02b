/**
 * The calculator task the end-to-end tests give a service process, and the
 * scripted replies that solve it.
 */
import {
  finishCall,
  poVerdict,
  type ScriptedReply,
  type ScriptedToolCall,
  writeFileCall,
} from "../../lib/llm/testing.ts";

/** The calculator.py the scripted SE writes. */
export const CALCULATOR_PY = "def add(a, b):\n    return a + b\n";

/** The SE's one-turn answer: write calculator.py, then finish with `summary`. */
export function writeCalculator(
  summary: string,
): { tool_calls: ScriptedToolCall[] } {
  return {
    tool_calls: [
      writeFileCall("calculator.py", CALCULATOR_PY),
      finishCall(summary),
    ],
  };
}

/** The SE's one-turn answer: write calculator.py, then finish with "add()". */
export const WRITE_CALCULATOR: ScriptedReply = writeCalculator("add()");

/** The PO's answer: PASS. */
export const PASS: ScriptedReply = poVerdict("PASS", "ok");

/** JSON fields of a run asking for calculator.py on `repo`, checked by an acceptance command, pushed to `pushBranch`. */
export function calculatorRun(
  repo: string,
  pushBranch: string,
  task = "Create calculator.py with add(a, b).",
): Record<string, unknown> {
  return {
    repo,
    push_branch: pushBranch,
    acceptance_commands: [
      `python3 -c "from calculator import add; assert add(1, 2) == 3"`,
    ],
    task,
  };
}
