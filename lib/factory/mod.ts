/** factory: public entry point of this folder. */
export * from "./shapes.ts";
export * from "./events.ts";
export * from "./artifacts.ts";
export * from "./artifact_store.ts";
export * from "./stored_value.ts";
export * from "./attempts.ts";
