/**
 * Test helper shared by the agents' tests: an agent run against the scripted
 * model over HTTP, with the real client (only tests import it).
 */
import type { ModelClient, ModelClientOptions } from "../llm/mod.ts";
import { withModel } from "../llm/testing.ts";
import type { ModelScript, ScriptedModel } from "../llm/testing.ts";

/** What an agent did against the scripted model: its result or the error it threw. */
export interface ScriptedRun<T> {
  result: T | null;
  error: unknown;
  /** The model, closed; its `requests` say what the agent sent. */
  model: ScriptedModel;
}

/** Runs `agent` with a client of a scripted model answering `script` (`withModel` of lib/llm/testing.ts). */
export async function againstScript<T>(
  script: ModelScript,
  agent: (client: ModelClient) => Promise<T>,
  clientOptions: Partial<ModelClientOptions> = {},
): Promise<ScriptedRun<T>> {
  let run: ScriptedRun<T> | null = null;
  await withModel(script, clientOptions, async (client, model) => {
    try {
      run = { result: await agent(client), error: null, model };
    } catch (error) {
      run = { result: null, error, model };
    }
  });
  return run!;
}
