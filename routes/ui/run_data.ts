/** What the run page shows, read from the store: record, events, reports, diff, artifacts. */
import type { ToolReport } from "../../lib/factory/mod.ts";
import {
  ARTIFACT,
  type Artifact,
  type ArtifactValue,
  matchArtifact,
  readArtifact,
  StoredValueError,
} from "../../lib/factory/mod.ts";
import { storedWorkOrder } from "../../lib/work_order/mod.ts";
import { seReplies, type SeReplyView } from "./se_steps.ts";
import type {
  ArtifactMeta,
  RunEvent,
  RunRecord,
  RunStore,
} from "../../lib/store/mod.ts";

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
export type SetupView = Pick<
  ArtifactValue<"setup_report">,
  "status" | "commands"
>;

/** An iteration's SE conversation, or why it is not listed. */
export type SeConversation =
  | { replies: SeReplyView[]; artifact: string }
  | { replies: null; artifact: string; bytes: number };

/** One attempt of a best-of-N iteration: its check, model and artifacts. */
export interface AttemptData {
  attempt: number;
  /** Its `attempt_models` entry; null: the run's SE model. */
  model: string | null;
  report: ToolReport | null;
  /** Its artifacts that exist: packet, tool report, SE transcript. */
  artifacts: string[];
}

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
  /** Artifacts that did not parse, each error naming the artifact: listed, not drawn. */
  unreadable: string[];
  /** Best-of-N iterations: each attempt, by iteration, in attempt order. */
  attempts: Map<number, AttemptData[]>;
}

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
  const unreadable: string[] = [];
  const attemptReports = new Map<string, ToolReport | null>();
  /**
   * The artifact parsed; null when it is gone, or when it does not parse or
   * cannot be read (then listed): one bad report never breaks the page.
   */
  async function read<T>(artifact: Artifact<T>): Promise<T | null> {
    try {
      return await readArtifact(store, id, artifact);
    } catch (error) {
      unreadable.push(
        error instanceof StoredValueError
          ? error.message
          : `Artifact '${artifact.name}' could not be read: ${
            error instanceof Error ? error.message : String(error)
          }`,
      );
      return null;
    }
  }
  await Promise.all(artifacts.map(async (meta) => {
    const transcript = matchArtifact("llm", meta.name);
    if (transcript?.agent === "se") {
      const n = Number(transcript.n);
      if (meta.bytes > MAX_TRANSCRIPT_BYTES) {
        conversations.set(n, {
          replies: null,
          artifact: meta.name,
          bytes: meta.bytes,
        });
        return;
      }
      const exchange = await read(ARTIFACT.llm(n, "se"));
      conversations.set(n, {
        replies: exchange ? seReplies(exchange) : [],
        artifact: meta.name,
      });
      return;
    }
    if (meta.name === ARTIFACT.setupReport.name) {
      setup = await read(ARTIFACT.setupReport);
      return;
    }
    const attempt = matchArtifact("tool_report_attempt", meta.name);
    if (attempt) {
      const n = Number(attempt.n);
      const k = Number(attempt.k);
      attemptReports.set(`${n}/${k}`, await read(ARTIFACT.toolReport(n, k)));
      return;
    }
    const match = matchArtifact("tool_report", meta.name);
    if (!match) return;
    const n = Number(match.n);
    const report = await read(ARTIFACT.toolReport(n));
    if (report) reports.set(n, report);
  }));
  return {
    run,
    events,
    artifacts,
    reports,
    diff: await pickDiff(),
    conversations,
    setup,
    unreadable,
    attempts: await attemptsOf(),
  };

  /** Every attempt named by an artifact or an event, with what it left. */
  async function attemptsOf(): Promise<Map<number, AttemptData[]>> {
    const seen = new Set<string>(attemptReports.keys());
    for (const meta of artifacts) {
      const packet = matchArtifact("se_packet_attempt", meta.name);
      if (packet) seen.add(`${packet.n}/${packet.k}`);
    }
    for (const event of events) {
      const attempt = (event.payload as { attempt?: unknown } | null)?.attempt;
      // SE_STEP: an attempt still working shows its card (and live steps).
      if (
        (event.kind === "SE_OUTPUT" || event.kind === "SE_STEP") &&
        typeof attempt === "number"
      ) {
        seen.add(`${event.iteration ?? 1}/${attempt}`);
      }
    }
    const out = new Map<number, AttemptData[]>();
    if (seen.size === 0) return out;
    const models = await attemptModels();
    const names = new Set(artifacts.map((a) => a.name));
    for (const key of [...seen].sort()) {
      const [n, k] = key.split("/").map(Number) as [number, number];
      const list = out.get(n) ?? [];
      list.push({
        attempt: k,
        model: models[k - 1] ?? null,
        report: attemptReports.get(key) ?? null,
        artifacts: [
          ARTIFACT.sePacket(n, k).name,
          ARTIFACT.toolReport(n, k).name,
          ARTIFACT.llm(n, "se", k).name,
        ].filter((name) => names.has(name)),
      });
      out.set(n, list.sort((a, b) => a.attempt - b.attempt));
    }
    return out;
  }

  /** The work order's `attempt_models` (none when it cannot be read; one that does not parse is listed). */
  async function attemptModels(): Promise<string[]> {
    const stored = await store.getWorkOrder(id).catch(() => null);
    if (stored === null) return [];
    try {
      return storedWorkOrder(stored, id).attempt_models;
    } catch (error) {
      if (!(error instanceof StoredValueError)) throw error;
      unreadable.push(error.message);
      return [];
    }
  }

  async function pickDiff(): Promise<RunDiff | null> {
    const patch = artifacts.find((a) => a.name === ARTIFACT.diff.name);
    if (patch) {
      if (patch.bytes > MAX_INLINE_DIFF_BYTES) {
        return { artifact: patch.name, bytes: patch.bytes, text: null };
      }
      const text = await read(ARTIFACT.diff);
      if (text === null) return null;
      return {
        artifact: patch.name,
        bytes: new TextEncoder().encode(text).byteLength,
        text,
      };
    }
    const latest = Math.max(0, ...reports.keys());
    const report = reports.get(latest);
    if (!report || typeof report.diff !== "string") return null;
    const bytes = new TextEncoder().encode(report.diff).byteLength;
    return {
      artifact: ARTIFACT.toolReport(latest).name,
      bytes,
      text: bytes > MAX_INLINE_DIFF_BYTES ? null : report.diff,
    };
  }
}
