/** console: public entry point of this folder. */
export * from "./run_log.ts";
