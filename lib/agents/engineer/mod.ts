/** agents/engineer: public entry point of this folder. */
export * from "./prompt.ts";
export * from "./tool_arguments.ts";
export * from "./tools.ts";
export * from "./turn.ts";
