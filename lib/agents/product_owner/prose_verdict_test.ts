import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { readProseVerdict } from "./prose_verdict.ts";

const decision = (text: string) => readProseVerdict(text)?.decision ?? null;

Deno.test("readProseVerdict() reads a decision stated plainly", () => {
  assertEquals(decision("PASS"), "PASS");
  assertEquals(decision("Decision: PASS"), "PASS");
  assertEquals(decision("decision: pass\nThe change is fine."), "PASS");
  assertEquals(decision("**FAIL** because the tests are missing"), "FAIL");
  assertEquals(decision("Verdict - **Fail**: add() subtracts"), "FAIL");
  assertEquals(decision("The change looks right.\n\nFAILED: no"), "FAIL");
  assertEquals(
    readProseVerdict("  PASS: looks good  ")?.feedback,
    "PASS: looks good",
  );
});

Deno.test("readProseVerdict() reads nothing from an ambiguous or negated reply", () => {
  assertEquals(decision("This is not a PASS."), null);
  assertEquals(decision("I cannot PASS this yet"), null);
  assertEquals(decision("PASS or FAIL? Hard to say."), null);
  assertEquals(decision("The tests pass, looks fine"), null);
  assertEquals(decision("Decision: PASS. Decision: FAIL."), null);
  assertEquals(decision(""), null);
  assertEquals(decision("I'd say it's good"), null);
  // A labelled decision wins over shouted words elsewhere.
  assertEquals(decision("Decision: FAIL. It would PASS with tests."), "FAIL");
});
