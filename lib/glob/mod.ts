/** glob: public entry point of this folder. */
export * from "./glob.ts";
