/** eval: suites of tasks with hidden checks, and the one result format every runner writes. */
export * from "./hidden_check.ts";
export * from "./result.ts";
export * from "./stats.ts";
export * from "./suite.ts";
export * from "./task_repo.ts";
