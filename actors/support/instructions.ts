/** The repository's instructions as the SE and PO read them: the artifact the Tool Runner kept at prepare. */
import type { InstructionsFile } from "../../lib/agents/mod.ts";
import { ARTIFACT } from "../../lib/factory/mod.ts";
import type { Station } from "./station.ts";

/** The repository's instructions the Tool Runner read at the base commit (none for runs from before them). */
export async function repoInstructions(
  st: Pick<Station, "get">,
): Promise<InstructionsFile[]> {
  const stored = await st.get(ARTIFACT.instructions);
  return stored?.files ?? [];
}
