/**
 * The work order's MCP servers for one SE turn (lib/mcp): stdio servers in
 * the SE's working copy under the same sandbox as run_command, URL servers
 * behind AOS_MCP_ALLOW. The toolbox becomes the turn's external tools; what
 * a server changes in the working copy joins the SE's changes like a
 * command's writes. The caller closes it when the turn ends.
 */
import {
  MCP_TOOL_PREFIX,
  type McpServerStatus,
  McpToolbox,
} from "../../lib/mcp/mod.ts";
import type { ExternalTools } from "../../lib/agents/mod.ts";
import type { WorkOrder } from "../../lib/work_order/mod.ts";
import type { WorkingCopy } from "../../lib/workspace/mod.ts";
import type { FactoryDeps } from "./deps.ts";

/** A turn's MCP tools and how to stop their servers. */
export interface TurnMcp {
  external: ExternalTools & { notes: string };
  statuses: McpServerStatus[];
  close(): Promise<void>;
}

/** Starts the work order's MCP servers (null when it names none); never throws for a server's failure. */
export async function openTurnMcp(
  deps: FactoryDeps,
  opts: { workOrder: WorkOrder; view: WorkingCopy },
): Promise<TurnMcp | null> {
  const { workOrder, view } = opts;
  if (Object.keys(workOrder.mcp_servers).length === 0) return null;
  const toolbox = await McpToolbox.open({
    servers: workOrder.mcp_servers,
    sandbox: {
      cwd: view.dir,
      mountAt: view.mountAt,
      env: workOrder.env,
      mode: deps.sandboxMode,
      hideDirs: [deps.config.workspaceRoot],
    },
    urlPolicy: deps.config.mcpUrls,
    // A tool call is bounded like one command.
    timeouts: { callMs: workOrder.command_timeout_s * 1000 },
  });
  return {
    statuses: toolbox.statuses,
    close: () => toolbox.close(),
    external: {
      prefix: MCP_TOOL_PREFIX,
      tools: toolbox.tools,
      notes: toolbox.notes,
      run: async (name, rawArguments, signal) => {
        const outcome = await toolbox.run(name, rawArguments, signal);
        const changes = await view.rescanChanges();
        return changes === ""
          ? outcome
          : { ...outcome, text: `${outcome.text}\n${changes}` };
      },
    },
  };
}
