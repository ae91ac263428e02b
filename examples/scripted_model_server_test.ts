import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { ModelClient } from "../lib/llm/mod.ts";
import { SE_TOOLS } from "../lib/agents/mod.ts";
import { parseServerArgs, serveTranscript } from "./scripted_model_server.ts";

const TRANSCRIPT = new URL("./demo/transcript.json", import.meta.url).pathname;

Deno.test("parseServerArgs() reads --script and --port and rejects bad usage", () => {
  assertEquals(parseServerArgs(["--script", "t.json"]), {
    script: "t.json",
    port: 0,
  });
  assertEquals(parseServerArgs(["--script=t.json", "--port", "8123"]), {
    script: "t.json",
    port: 8123,
  });
  assertEquals(parseServerArgs([]), "Missing --script FILE");
  assertEquals(
    parseServerArgs(["--script", "t.json", "--port", "x"]),
    "Invalid --port 'x': expected a number from 0 to 65535",
  );
  assertEquals(parseServerArgs(["--verbose"]), "Unknown argument '--verbose'");
});

Deno.test("serveTranscript() serves the demo transcript to the real model client", async () => {
  const lines: string[] = [];
  const model = await serveTranscript(
    TRANSCRIPT,
    0,
    (line) => lines.push(line),
  );
  try {
    const client = new ModelClient({
      apiKey: "scripted",
      baseUrl: model.url,
      model: "scripted",
    });
    const reply = await client.chat({
      messages: [{ role: "user", content: "go" }],
      tools: SE_TOOLS,
    });
    const call = reply.message.tool_calls?.[0];
    assert(call?.type === "function");
    assertEquals(call.function.name, "list_files");
    assertEquals(lines, ["se request 1: tool calls list_files"]);
  } finally {
    await model.close();
  }
});

Deno.test("scripted_model_server.ts announces itself as scripted and stops on SIGTERM", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./scripted_model_server.ts", import.meta.url).pathname,
      "--script",
      TRANSCRIPT,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  try {
    while (!out.includes("not an LLM")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    const url = out.match(
      /Scripted model listening on (http:\/\/127\.0\.0\.1:\d+\/v1)/,
    )?.[1];
    assert(url, `no listening line in ${JSON.stringify(out)}`);
    assertMatch(out, /SCRIPTED model/);
    const client = new ModelClient({
      apiKey: "scripted",
      baseUrl: url,
      model: "scripted",
    });
    const reply = await client.chat({
      messages: [{ role: "user", content: "go" }],
      tools: SE_TOOLS,
    });
    assertEquals(reply.finishReason, "tool_calls");
  } finally {
    child.kill("SIGTERM");
    const status = await child.status;
    await reader.cancel();
    await child.stderr.cancel();
    assertEquals(status.code, 0);
  }
});

Deno.test("scripted_model_server.ts exits 2 on a missing transcript", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./scripted_model_server.ts", import.meta.url).pathname,
      "--script",
      "/nonexistent.json",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 2);
  assertMatch(
    new TextDecoder().decode(out.stderr),
    /Cannot serve transcript '\/nonexistent\.json'/,
  );
});
