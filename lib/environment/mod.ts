/**
 * environment: setup commands of a work order and the cached environments they
 * leave (key, cache, restore).
 */
export { EnvironmentCache } from "./cache.ts";
export type { CommandLayout } from "./restore.ts";
export {
  prepareEnvironment,
  restoreCachedEnvironment,
  SetupFailedError,
  type SetupOutcome,
  setupSecretNames,
  type SetupSpec,
} from "./setup.ts";
