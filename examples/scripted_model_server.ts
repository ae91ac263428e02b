/**
 * Serves a recorded transcript as a SCRIPTED OpenAI-compatible model (canned
 * replies, not an LLM), e.g. to point a local AOS at it:
 *
 *   deno run -A examples/scripted_model_server.ts --script examples/demo/transcript.json [--port N]
 *   OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 OPENAI_API_KEY=scripted deno task start
 */
import {
  loadScript,
  type ScriptedModel,
  startScriptedModel,
} from "../lib/llm/testing.ts";

/** Starts the scripted model on 127.0.0.1 with the transcript at `path` (port 0 = any free port). */
export async function serveTranscript(
  path: string,
  port = 0,
  log?: (line: string) => void,
): Promise<ScriptedModel> {
  const script = await loadScript(path);
  return await startScriptedModel(script, { port, ...(log ? { log } : {}) });
}

/** Parses `--script FILE [--port N]`; returns an error message on bad usage. */
export function parseServerArgs(
  args: string[],
): { script: string; port: number } | string {
  let script: string | null = null;
  let port = 0;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const [flag, inline] = arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [
        arg,
        undefined,
      ];
    const value = inline ?? args[++i];
    if (flag === "--script" && value) script = value;
    else if (
      flag === "--port" && value && /^\d+$/.test(value) &&
      Number(value) <= 65535
    ) port = Number(value);
    else if (flag === "--port") {
      return `Invalid --port '${
        value ?? ""
      }': expected a number from 0 to 65535`;
    } else return `Unknown argument '${arg}'`;
  }
  if (!script) return "Missing --script FILE";
  return { script, port };
}

if (import.meta.main) {
  const parsed = parseServerArgs(Deno.args);
  if (typeof parsed === "string") {
    console.error(
      `${parsed}\nUsage: deno run -A examples/scripted_model_server.ts --script FILE [--port N]`,
    );
    Deno.exit(2);
  }
  let model: ScriptedModel;
  try {
    model = await serveTranscript(
      parsed.script,
      parsed.port,
      (line) => console.log(`  ${line}`),
    );
  } catch (error) {
    console.error(
      `Cannot serve transcript '${parsed.script}': ${
        error instanceof Error ? error.message : error
      }`,
    );
    Deno.exit(2);
  }
  const left = model.remaining();
  console.log(`Scripted model listening on ${model.url}`);
  console.log(
    `This is a SCRIPTED model replaying '${parsed.script}' (${left.se} SE and ${left.po} PO replies), not an LLM.`,
  );
  const stop = async () => {
    await model.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
