/**
 * workspace: prepare / reset / diff a run's workspace, apply packets, the SE's
 * working copy, the sweep.
 */
export { NotADirectoryError } from "./file_listing.ts";
export { readDiskText, ToolError } from "./files.ts";
export type { SeCommandUsage } from "./se_command.ts";
export { startWorkspaceSweeper, type WorkspaceSweeper } from "./sweep.ts";
export {
  type Packet,
  type SeCommandRecord,
  WorkingCopy,
} from "./working_copy.ts";
export {
  applyPacket,
  commitAndPush,
  diffWorkspace,
  prepareWorkspace,
  resetWorkspace,
} from "./workspace.ts";
