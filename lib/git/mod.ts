/** git: public entry point of this folder. */
export * from "./address_guard.ts";
export * from "./commit.ts";
export * from "./mirror.ts";
export * from "./run.ts";
export * from "./credentials.ts";
export * from "./errors.ts";
export * from "./remote.ts";
export * from "./push_target.ts";
