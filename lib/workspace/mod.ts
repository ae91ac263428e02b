/** workspace: public entry point of this folder. */
export * from "./files.ts";
export * from "./line_search.ts";
export * from "./line_search_core.ts";
export * from "./paths.ts";
export * from "./view.ts";
export * from "./workspace.ts";
