/** console: the operator's console, one line per run state change or failure. */
export { ConsoleLog } from "./run_log.ts";
