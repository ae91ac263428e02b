/**
 * Test helper shared by the agents' tests: an agent run against the scripted
 * model over HTTP, with the real client (only tests import it).
 */
import { ModelClient, type ModelClientOptions } from "../llm/client.ts";
import {
  type ModelScript,
  type ScriptedModel,
  startScriptedModel,
} from "../../tests/support/scripted_model.ts";

/** What an agent did against the scripted model: its result or the error it threw. */
export interface ScriptedRun<T> {
  result: T | null;
  error: unknown;
  /** The model, closed; its `requests` say what the agent sent. */
  model: ScriptedModel;
}

/** Runs `agent` with a client of a scripted model answering `script`. */
export async function againstScript<T>(
  script: ModelScript,
  agent: (client: ModelClient) => Promise<T>,
  clientOptions: Partial<ModelClientOptions> = {},
): Promise<ScriptedRun<T>> {
  const model = await startScriptedModel(script);
  try {
    const client = new ModelClient({
      apiKey: "sk-test",
      baseUrl: model.url,
      model: "gpt-4.1-mini",
      retryBaseMs: 1,
      ...clientOptions,
    });
    try {
      return { result: await agent(client), error: null, model };
    } catch (error) {
      return { result: null, error, model };
    }
  } finally {
    await model.close();
  }
}
