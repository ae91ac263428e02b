/** What `aos eval` reads about a finished run beyond its record: model calls and the model, from the exchange artifacts. */
import { z } from "zod";
import type { AosClient } from "./client.ts";

/** `llm_iter_N_{se,po}.json` (`llm_iter_N_attempt_K_se.json` for a best-of-N attempt): one agent's exchanges with the model in one iteration. */
const EXCHANGE_ARTIFACT = /^llm_iter_(\d+)(?:_attempt_\d+)?_(se|po)\.json$/;

/** The parts of an exchange artifact the eval counts; the rest may change freely. */
const exchangeSchema = z.looseObject({
  model: z.string().optional(),
  transcript: z.looseObject({
    exchanges: z.array(z.unknown()).optional(),
    messages: z.array(z.looseObject({ role: z.string().optional() }))
      .optional(),
  }).nullable().optional(),
});

/** Model calls of a run and the model its SE talked to. */
export interface RunDetail {
  /** Chat completion requests of every agent; null when the run kept no exchange. */
  modelCalls: number | null;
  model: string | null;
}

/** Counts the model calls recorded in a run's exchange artifacts. */
export async function runDetail(
  client: AosClient,
  runId: string,
): Promise<RunDetail> {
  const names = (await client.listArtifacts(runId))
    .map((meta) => meta.name)
    .filter((name) => EXCHANGE_ARTIFACT.test(name))
    .sort();
  if (names.length === 0) return { modelCalls: null, model: null };
  let calls = 0;
  let model: string | null = null;
  for (const name of names) {
    const bytes = await client.downloadArtifact(runId, name);
    let data: unknown;
    try {
      data = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      continue; // Not an exchange this reader understands: not counted.
    }
    const parsed = exchangeSchema.safeParse(data);
    if (!parsed.success) continue;
    const transcript = parsed.data.transcript;
    calls += transcript?.exchanges?.length ??
      transcript?.messages?.filter((m) => m.role === "assistant").length ?? 0;
    if (model === null && name.endsWith("_se.json")) {
      model = parsed.data.model ?? null;
    }
  }
  return { modelCalls: calls, model };
}
