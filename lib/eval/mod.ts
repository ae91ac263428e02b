/** eval: suites of tasks with hidden checks, and the one result format every runner writes. */
export { runHiddenCheck } from "./hidden_check.ts";
export {
  type AttemptResult,
  emptyAttempt,
  EVAL_RESULT_FORMAT,
  type EvalResult,
  evalResultSchema,
  type EvalTotals,
  machineDescription,
} from "./result.ts";
export { evalTotals, taskSummaries } from "./stats.ts";
export {
  attemptWorkOrder,
  type EvalTask,
  loadSuite,
  type ModelOverrides,
  SuiteError,
} from "./suite.ts";
export { checkoutResult, createTaskRepo } from "./task_repo.ts";
