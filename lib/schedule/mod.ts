/** Scheduled runs: cron expressions and their slots. */
export { cronIssues, nextSlot } from "./cron.ts";
