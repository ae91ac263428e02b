/**
 * agents: the SE turn (`engineer/`: prompt, tools, journal) and the PO review
 * (`product_owner/`) on the model client, and the instructions files they read.
 */
export {
  callsInFlight,
  journaledPacket,
  journaledWorkspaceState,
  type TurnEntry,
  type TurnJournal,
} from "./engineer/journal.ts";
export type { PreviousIteration } from "./engineer/prompt.ts";
export { oneLine } from "./engineer/step_summary.ts";
export type { ExternalTools } from "./engineer/tools.ts";
export { runEngineerTurn, SE_TOOLS } from "./engineer/turn.ts";
export { type InstructionsFile, loadInstructions } from "./instructions.ts";
export { runProductOwner } from "./product_owner/review.ts";
export type { PoAttempt } from "./product_owner/side_by_side.ts";
export { parseTextToolCalls } from "./text_tool_calls.ts";
