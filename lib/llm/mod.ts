/** llm: public entry point of this folder. */
export * from "./client.ts";
export * from "./tokens.ts";
