/** workspace: public entry point of this folder. */
export * from "./files.ts";
export * from "./file_listing.ts";
export * from "./file_window.ts";
export * from "./git_search.ts";
export * from "./pending.ts";
export * from "./se_command.ts";
export * from "./text_edit.ts";
export * from "./working_copy.ts";
export * from "./working_copy_prepare.ts";
export * from "./paths.ts";
export * from "./workspace.ts";
