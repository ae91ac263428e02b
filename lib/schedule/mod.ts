/** Scheduled runs: cron expressions and their slots. */
export { cronIssues, nextSlot, timezoneProblem } from "./cron.ts";
