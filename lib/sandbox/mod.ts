/** sandbox: public entry point of this folder. */
export * from "./bwrap.ts";
export * from "./output_cap.ts";
export * from "./sandbox.ts";
export * from "./overlay.ts";
export * from "./output_digest.ts";
export * from "./network.ts";
export * from "./spawn.ts";
export * from "./egress.ts";
