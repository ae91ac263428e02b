import {
  deepStrictEqual as assertEquals,
  throws as assertThrows,
} from "node:assert/strict";
import { type AttemptReport, bestAttempt, dropReason } from "./attempts.ts";

const command = (exit_code: number | null, timed_out = false) => ({
  command: "check",
  exit_code,
  duration_ms: 1,
  output: "",
  truncated: false,
  timed_out,
});

function attempt(
  n: number,
  exits: (number | null)[],
  opts: { diff?: string; rejected?: number } = {},
): AttemptReport {
  const commands = exits.map((e) => command(e));
  return {
    attempt: n,
    report: {
      commands,
      ok: commands.every((c) => c.exit_code === 0),
      diff: opts.diff ?? "diff --git a/x b/x\n",
      rejected: Array.from(
        { length: opts.rejected ?? 0 },
        (_, i) => ({ path: `p${i}`, reason: "forbidden" }),
      ),
    },
  };
}

Deno.test("dropReason() keeps an attempt whose commands pass and that changed something", () => {
  assertEquals(dropReason(attempt(1, [0, 0]).report), null);
  assertEquals(dropReason(attempt(1, []).report), null);
  assertEquals(
    dropReason(attempt(1, [0, 1]).report),
    "acceptance commands failed",
  );
  assertEquals(
    dropReason(attempt(1, [null]).report),
    "acceptance commands failed",
  );
  // A report that says ok but holds a timed-out command is still dropped.
  const timedOut = attempt(1, [0]).report;
  timedOut.commands = [command(0, true)];
  assertEquals(dropReason(timedOut), "acceptance commands failed");
  assertEquals(
    dropReason(attempt(1, [0], { diff: " \n" }).report),
    "no change",
  );
});

Deno.test("bestAttempt() ranks by commands passing, refused paths, change, then number", () => {
  assertEquals(
    bestAttempt([attempt(1, [1, 1]), attempt(2, [0, 1]), attempt(3, [1, 0])]),
    2,
  );
  assertEquals(
    bestAttempt([
      attempt(1, [0, 1], { rejected: 2 }),
      attempt(2, [0, 1], { rejected: 1 }),
    ]),
    2,
  );
  assertEquals(
    bestAttempt([attempt(1, [1], { diff: "" }), attempt(2, [1])]),
    2,
  );
  assertEquals(bestAttempt([attempt(3, [1]), attempt(2, [1])]), 2);
  assertThrows(() => bestAttempt([]), RangeError);
});
