/** What the run page shows, read from the store: record, events, reports, diff, artifacts. */
import { z } from "zod";
import {
  type CommandResult,
  commandResultSchema,
  type ToolReport,
} from "../../lib/factory/shapes.ts";
import { seReplies, type SeReplyView } from "./se_steps.ts";
import type { RunStore } from "../../lib/store/mod.ts";
import type {
  ArtifactMeta,
  RunEvent,
  RunRecord,
} from "../../lib/store/types.ts";

/** Diffs larger than this are offered as a download instead of drawn. */
export const MAX_INLINE_DIFF_BYTES = 2 * 1024 * 1024;

/** The diff the page shows: the final `diff.patch`, else the latest iteration's. */
export interface RunDiff {
  /** Artifact it came from. */
  artifact: string;
  bytes: number;
  /** The patch text; null when it is too large to draw. */
  text: string | null;
}

/** Transcripts larger than this are offered as a download instead of listed. */
export const MAX_TRANSCRIPT_BYTES = 4 * 1024 * 1024;

/** The setup phase as the run page shows it (from `setup_report.json`). */
export interface SetupView {
  status: string;
  commands: CommandResult[];
}

/** An iteration's SE conversation, or why it is not listed. */
export type SeConversation =
  | { replies: SeReplyView[]; artifact: string }
  | { replies: null; artifact: string; bytes: number };

const setupReportSchema = z.object({
  status: z.string(),
  commands: z.array(commandResultSchema),
});

/** Everything the run page renders. */
export interface RunPageData {
  run: RunRecord;
  events: RunEvent[];
  artifacts: ArtifactMeta[];
  /** Tool reports by iteration (commands and their output). */
  reports: Map<number, ToolReport>;
  diff: RunDiff | null;
  /** The SE's conversation per iteration, from its transcript artifact. */
  conversations: Map<number, SeConversation>;
  setup: SetupView | null;
}

const TOOL_REPORT = /^tool_report_iter_(\d+)\.json$/;
const SE_TRANSCRIPT = /^llm_iter_(\d+)_se\.json$/;

/** Reads what the run page needs; NotFoundError for an unknown run. */
export async function loadRunPage(
  store: RunStore,
  id: string,
): Promise<RunPageData> {
  const run = await store.getRun(id);
  const [events, artifacts] = await Promise.all([
    store.listEvents(id),
    store.listArtifacts(id),
  ]);
  const reports = new Map<number, ToolReport>();
  const conversations = new Map<number, SeConversation>();
  let setup: SetupView | null = null;
  await Promise.all(artifacts.map(async (meta) => {
    const transcript = meta.name.match(SE_TRANSCRIPT);
    if (transcript) {
      conversations.set(
        Number(transcript[1]),
        meta.bytes > MAX_TRANSCRIPT_BYTES
          ? { replies: null, artifact: meta.name, bytes: meta.bytes }
          : {
            replies: seReplies(await readJson<unknown>(store, id, meta.name)),
            artifact: meta.name,
          },
      );
      return;
    }
    if (meta.name === "setup_report.json") {
      const parsed = setupReportSchema.safeParse(
        await readJson<unknown>(store, id, meta.name),
      );
      if (parsed.success) setup = parsed.data;
      return;
    }
    const match = meta.name.match(TOOL_REPORT);
    if (!match) return;
    const report = await readJson<ToolReport>(store, id, meta.name);
    if (report && Array.isArray(report.commands)) {
      reports.set(Number(match[1]), report);
    }
  }));
  return {
    run,
    events,
    artifacts,
    reports,
    diff: await pickDiff(),
    conversations,
    setup,
  };

  async function pickDiff(): Promise<RunDiff | null> {
    const patch = artifacts.find((a) => a.name === "diff.patch");
    if (patch) {
      if (patch.bytes > MAX_INLINE_DIFF_BYTES) {
        return { artifact: patch.name, bytes: patch.bytes, text: null };
      }
      const { body } = await store.getArtifact(id, patch.name);
      return {
        artifact: patch.name,
        bytes: body.byteLength,
        text: new TextDecoder().decode(body),
      };
    }
    const latest = Math.max(0, ...reports.keys());
    const report = reports.get(latest);
    if (!report || typeof report.diff !== "string") return null;
    const bytes = new TextEncoder().encode(report.diff).byteLength;
    return {
      artifact: `tool_report_iter_${latest}.json`,
      bytes,
      text: bytes > MAX_INLINE_DIFF_BYTES ? null : report.diff,
    };
  }
}

async function readJson<T>(
  store: RunStore,
  runId: string,
  name: string,
): Promise<T | null> {
  try {
    const { body } = await store.getArtifact(runId, name);
    return JSON.parse(new TextDecoder().decode(body)) as T;
  } catch {
    // A report being rewritten or unreadable is left out, not fatal to the page.
    return null;
  }
}
