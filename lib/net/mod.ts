/** net: the address guard shared by everything that connects on a stranger's behalf. */
export * from "./address.ts";
export * from "./guard.ts";
export * from "./resolve.ts";
