/** webhook: signed run webhooks — config, signatures, SSRF guard, one delivery attempt. */
export * from "./config.ts";
export * from "./deliver.ts";
export * from "./sign.ts";
export * from "./target.ts";
