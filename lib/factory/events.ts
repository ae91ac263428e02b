/**
 * The kinds of event a run's log holds, one row each with what it says.
 * Agents' events are typed against this table (`EventKind`), so a new kind
 * is a new row here (and in the README's list), not a new string somewhere.
 */
export const EVENT_KINDS = {
  RUN_CREATED: "the run was accepted",
  RUN_START: "the run started",
  WORKSPACE_READY: "the workspace is checked out at the base commit",
  INSTRUCTIONS:
    "the repository's instructions files given to the SE and PO (files; refused with reasons), read at the base commit",
  PUSH_TARGET:
    "push_branch was checked on the remote before setup and the first model call (branch, mode, existing; requested when push_mode: suffix renamed it)",
  SETUP_RESULT: "one setup command ran",
  SETUP_SAVED: "the setup's environment was cached",
  SETUP_RESTORED: "a cached environment was restored instead of running setup",
  MODEL_UNAVAILABLE:
    "at the run's start the model configuration was known to be wrong (endpoint, problems); the run goes on and its requests retry",
  MODEL_RETRY:
    "a model request failed and is retried (attempt, wait_s, reason); logged as it happens",
  MODEL_PROGRESS:
    "a model request is in flight (elapsed_s, phase, tokens_so_far); a heartbeat while it lasts",
  TOOL_CALLS_IN_TEXT:
    "the model wrote its tool calls into the message text (the server did not parse them); they were run",
  SE_TOOL_ERROR: "an SE tool call was refused or failed; the model was told",
  SE_NO_TOOL_CALL: "an SE reply without a tool call; the model was nudged",
  SE_TRUNCATED: "an SE reply was cut at the output-token cap",
  SE_CONTEXT_SHRUNK:
    "the endpoint said the request was too long; rebuilt smaller",
  SE_TURN_LIMIT: "the SE turn ended before finish (reason)",
  SE_STEP:
    "one SE tool call ended (step, tool, path, command shortened, ok, reason, duration_ms; never file contents); logged as it happens",
  CMD_START:
    "a command started (source setup | se | acceptance, command shortened, timeout_s); logged as it happens",
  SE_COMMAND: "one SE run_command",
  SE_OUTPUT: "the SE packet: writes, deletes, summary",
  CMD_RESULT: "one acceptance command ran",
  PATH_REJECTED: "a change broke the path policy and was not applied",
  TR_APPLY: "the packet was applied and the acceptance commands ran",
  PO_VERDICT_FROM_TEXT:
    "the PO answered in prose instead of submit_verdict; its unambiguous PASS/FAIL was taken",
  PO_RESULT: "the PO's decision and feedback",
  PUSH: "the result was committed (and pushed)",
  PR_OPENED: "a pull request was opened",
  PR_UPDATED: "a pull request was updated",
  RUN_CANCELLED: "the run was cancelled",
  ERROR: "the run failed (stage, message)",
  RUN_END: "the run ended (status)",
  FOLLOW_UP:
    "a follow-up of this finished run was started (run_id); the follow-up's RUN_CREATED names this run as parent_run_id",
  WEBHOOK_DELIVERED: "a webhook was delivered",
  WEBHOOK_FAILED: "a webhook delivery failed",
} as const;

/** A kind of run event. */
export type EventKind = keyof typeof EVENT_KINDS;
