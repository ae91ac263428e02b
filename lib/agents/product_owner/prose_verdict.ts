/**
 * A verdict a PO model wrote as prose instead of calling submit_verdict:
 * "PASS", "Decision: PASS", "**FAIL** because …". Read only when it is
 * unambiguous: one decision named (both named, or a negated one such as
 * "not a PASS", read as nothing), so a reply is never turned into a PASS it
 * did not clearly give.
 */

/** A decision read from prose, with the text as feedback. */
export interface ProseVerdict {
  decision: "PASS" | "FAIL";
  feedback: string;
}

/** Longest reply looked at: a verdict is said early. */
const MAX_CHARS = 20_000;
const FEEDBACK_CHARS = 4_000;

/** "Decision: PASS", "Verdict - **fail**", "decision = Pass". */
const LABELLED =
  /\b(?:decision|verdict|result)\b\W{0,6}?(?:is\s+)?\W{0,4}\b(pass|fail)(?:ed|es)?\b/gi;
/** The words in capitals, as a verdict is written: PASS, FAIL, FAILED. */
const SHOUTED = /\b(PASS|FAIL)(?:ED|ES)?\b/g;
/** A negation shortly before a decision word. */
const NEGATED =
  /\b(?:not|no|never|cannot|can't|won't|doesn't|don't|isn't|wouldn't|shouldn't|without)\b[^.!?\n]{0,20}$/i;

/** The decision `text` states unambiguously, or null. */
export function readProseVerdict(text: string): ProseVerdict | null {
  const source = text.slice(0, MAX_CHARS);
  const labelled = decisions(source, LABELLED);
  const found = labelled.length > 0 ? labelled : decisions(source, SHOUTED);
  if (found.length === 0) return null;
  const unique = new Set(found);
  if (unique.size !== 1 || unique.has(null)) return null;
  const decision = found[0]!;
  const feedback = text.trim().slice(0, FEEDBACK_CHARS) ||
    (decision === "PASS" ? "Accepted" : "Rejected");
  return { decision, feedback };
}

/** Each decision word matched, or null where it is negated. */
function decisions(
  text: string,
  pattern: RegExp,
): ("PASS" | "FAIL" | null)[] {
  const out: ("PASS" | "FAIL" | null)[] = [];
  for (const match of text.matchAll(pattern)) {
    const word = match[1]!.toUpperCase() as "PASS" | "FAIL";
    const before = text.slice(Math.max(0, match.index - 40), match.index);
    out.push(NEGATED.test(before) ? null : word);
    if (out.length > 50) break;
  }
  return out;
}
