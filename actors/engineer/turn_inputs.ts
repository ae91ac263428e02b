/** What an SE turn starts from: context files, the previous iteration, and a resumed turn's pending changes. */
import type { PreviousIteration } from "../../lib/agents/mod.ts";
import type { WorkOrder } from "../../lib/work_order/mod.ts";
import { ARTIFACT } from "../../lib/factory/mod.ts";
import type { Station } from "../support/station.ts";

/** The work order's context files as the SE's view reads them; a missing one says why. */
export async function contextFiles(
  workOrder: WorkOrder,
  read: (path: string) => Promise<string>,
): Promise<{ path: string; content: string }[]> {
  const files: { path: string; content: string }[] = [];
  for (const path of workOrder.context_files) {
    try {
      files.push({ path, content: await read(path) });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      files.push({ path, content: `(not available: ${reason})` });
    }
  }
  return files;
}

/** What iteration `n` - 1 left: the SE's summary, the cumulative diff, command results, the PO's verdict. */
export async function previousIteration(
  st: Pick<Station, "get">,
  n: number,
): Promise<PreviousIteration | undefined> {
  if (n <= 1) return undefined;
  const [toolReport, poReport, packet] = await Promise.all([
    st.get(ARTIFACT.toolReport(n - 1)),
    st.get(ARTIFACT.poReport(n - 1)),
    st.get(ARTIFACT.sePacket(n - 1)),
  ]);
  return {
    summary: packet?.summary ?? "",
    diff: toolReport?.diff ?? "",
    commands: toolReport?.commands ?? [],
    rejected: toolReport?.rejected ?? [],
    poFeedback: poReport?.feedback ?? "",
    poByModel: poReport?.by_model ?? true,
  };
}
