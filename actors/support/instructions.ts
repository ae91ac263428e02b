/** The repository's instructions as the SE and PO read them: the artifact the Tool Runner kept at prepare. */
import type { InstructionsFile } from "../../lib/agents/instructions.ts";
import { ARTIFACT } from "../../lib/factory/artifacts.ts";
import { readArtifact } from "../../lib/factory/artifact_store.ts";
import type { FactoryDeps } from "./deps.ts";

/** The repository's instructions the Tool Runner read at the base commit (none for runs from before them). */
export async function repoInstructions(
  deps: FactoryDeps,
  runId: string,
): Promise<InstructionsFile[]> {
  const stored = await readArtifact(deps.store, runId, ARTIFACT.instructions);
  return stored?.files ?? [];
}
