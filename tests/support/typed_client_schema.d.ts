/**
 * Stand-in for the types openapi-typescript generates from the live
 * `/openapi.json` (tests/openapi_test.ts writes the real ones beside a copy
 * of typed_client_driver.ts). Loose on purpose: the real check is in the test.
 */
// deno-lint-ignore no-explicit-any
export type paths = any;
// deno-lint-ignore no-explicit-any
export type components = any;
