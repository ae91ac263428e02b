import { NotFoundError } from "../../lib/errors.ts";
import { retryTransient } from "../../runtime/mod.ts";
import type { RunStore } from "../../lib/store/mod.ts";

/** Names of the artifacts a run leaves, as in the original service. */
export const artifactName = {
  sePacket: (n: number) => `se_packet_iter_${n}.json`,
  toolReport: (n: number) => `tool_report_iter_${n}.json`,
  poReport: (n: number) => `po_report_iter_${n}.json`,
  llm: (n: number, agent: "se" | "po") => `llm_iter_${n}_${agent}.json`,
  setupReport: "setup_report.json",
  summary: "summary.json",
  diff: "diff.patch",
  /** The repository's instructions read at the base commit (lib/agents/instructions.ts). */
  instructions: "instructions.json",
} as const;

/** Stores a JSON artifact (pretty-printed, redacted by the caller). */
export async function putJson(
  store: RunStore,
  runId: string,
  name: string,
  value: unknown,
): Promise<void> {
  const body = JSON.stringify(value, null, 2) + "\n";
  await retryTransient(() =>
    store.putArtifact(runId, name, body, "application/json")
  );
}

/** Reads a JSON artifact, or null when it was never written. */
export async function getJson<T>(
  store: RunStore,
  runId: string,
  name: string,
): Promise<T | null> {
  try {
    const { body } = await retryTransient(() => store.getArtifact(runId, name));
    return JSON.parse(new TextDecoder().decode(body)) as T;
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
}
