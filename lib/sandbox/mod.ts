/**
 * sandbox: commands in the bwrap jail (overlay layers, network modes, output
 * cap and digest).
 */
export type { NetworkAllowOptions } from "./egress.ts";
export { networkRefusal, setupNetworkProblem } from "./network.ts";
export { capOutput } from "./output_cap.ts";
export { digestOutput, digestText } from "./output_digest.ts";
export { overlayProblem } from "./overlay.ts";
export {
  type CommandRun,
  resolveSandboxMode,
  runCommand,
  type RunCommandOptions,
  SANDBOX_SETTINGS,
  type SandboxMode,
  type SandboxSetting,
} from "./sandbox.ts";
export { type SandboxedProcess, spawnSandboxed } from "./spawn.ts";
