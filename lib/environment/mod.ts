/** environment: public entry point of this folder. */
export * from "./cache.ts";
export * from "./key.ts";
export * from "./restore.ts";
export * from "./setup.ts";
