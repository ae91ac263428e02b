/** secrets: operator secrets that work orders hand to acceptance and setup commands. */
export * from "./command_secrets.ts";
