/** Shapes of the per-iteration artifacts the factory actors pass to each other. */

/** A file the SE wants written. */
export interface FileWrite {
  path: string;
  content: string;
}

/** The SE's result for one iteration (`se_packet_iter_N.json`). */
export interface SePacket {
  iteration: number;
  writes: FileWrite[];
  deletes: string[];
  summary: string;
}

/** One acceptance command's result. */
export interface CommandResult {
  command: string;
  exit_code: number | null;
  duration_ms: number;
  output: string;
  truncated: boolean;
  timed_out: boolean;
}

/** The TR's result for one iteration (`tool_report_iter_N.json`). */
export interface ToolReport {
  iteration: number;
  base_commit: string;
  applied: number;
  rejected: { path: string; reason: string }[];
  commands: CommandResult[];
  ok: boolean;
  diff: string;
}

/** The PO's verdict for one iteration (`po_report_iter_N.json`). */
export interface PoReport {
  iteration: number;
  decision: "PASS" | "FAIL";
  feedback: string;
  by_model: boolean;
}
