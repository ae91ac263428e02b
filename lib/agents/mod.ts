/** agents: public entry point of this folder. */
export * from "./conversation.ts";
