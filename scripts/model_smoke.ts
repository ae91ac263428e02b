/**
 * `deno task model:smoke`: proves `deno task model` starts a local model that answers a
 * tool-calling request. It starts the server (unless one already runs on the port), sends
 * one chat completion with a `tools` array, requires a parsed `tool_calls` reply whose
 * arguments are JSON naming the file, prints the server's speed, and stops what it started.
 * Not part of `deno task test`: the first run builds the server and assembles a 1.1 GB model.
 */
const script = new URL("./local_model.sh", import.meta.url).pathname;
const port = Deno.env.get("AOS_MODEL_PORT") ?? "8088";
const base = `http://127.0.0.1:${port}/v1`;

async function sh(command: string): Promise<{ code: number; out: string }> {
  const output = await new Deno.Command("bash", {
    args: [script, command],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  return { code: output.code, out: new TextDecoder().decode(output.stdout) };
}

const tools = [
  {
    type: "function",
    function: {
      name: "write_file",
      description: "Create or overwrite a file in the repository.",
      parameters: {
        type: "object",
        properties: {
          path: {
            type: "string",
            description: "path relative to the repo root",
          },
          content: { type: "string", description: "the whole new file" },
        },
        required: ["path", "content"],
      },
    },
  },
  {
    type: "function",
    function: {
      name: "finish",
      description: "End the turn with a summary of what was changed.",
      parameters: {
        type: "object",
        properties: { summary: { type: "string" } },
        required: ["summary"],
      },
    },
  },
];

const wasRunning = (await sh("status")).code === 0;
if (!wasRunning) {
  const started = await sh("start");
  if (started.code !== 0) throw new Error("deno task model did not start");
}
try {
  const model = (await sh("env")).out.match(/AOS_MODEL=(\S+)/)?.[1];
  const request = {
    model,
    temperature: 0,
    max_tokens: 256,
    tools,
    messages: [
      {
        role: "system",
        content: "You are a software engineer. Act only through the tools.",
      },
      {
        role: "user",
        content:
          "Create the file hello.py containing a Python program that prints 'hello'.",
      },
    ],
  };
  const t0 = performance.now();
  const res = await fetch(`${base}/chat/completions`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: "Bearer local-no-key",
    },
    body: JSON.stringify({
      ...request,
    }),
  });
  const seconds = (performance.now() - t0) / 1000;
  if (!res.ok) {
    throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  }
  const body = await res.json();
  const choice = body.choices?.[0];
  const message = choice?.message;
  const how = choice?.tool_calls_parsed_from_text
    ? "parsed by the server from the model's text"
    : "native function call";
  const call = message?.tool_calls?.[0];
  console.log(JSON.stringify({ message, usage: body.usage }, null, 2));
  if (!call) {
    throw new Error(
      "no tool_calls in the reply: the server did not parse a tool call",
    );
  }
  if (call.function.name !== "write_file") {
    throw new Error(`expected write_file, got ${call.function.name}`);
  }
  const args = JSON.parse(call.function.arguments);
  if (typeof args.path !== "string" || !args.path.endsWith("hello.py")) {
    throw new Error(`write_file path is ${JSON.stringify(args.path)}`);
  }
  const t = body.timings ?? {};
  console.log(
    `OK: tool_calls[0] = write_file(${args.path}) (${how}) in ${
      seconds.toFixed(1)
    } s; ` +
      `prompt ${body.usage?.prompt_tokens} tokens at ${
        Number(t.prompt_per_second ?? 0).toFixed(1)
      } tok/s, completion ${body.usage?.completion_tokens} tokens at ${
        Number(t.predicted_per_second ?? 0).toFixed(1)
      } tok/s`,
  );
  // The same request streamed, as AOS sends it: the role comes with the first chunk, the
  // call as a tool_calls delta, the usage in a last chunk.
  const stream = await fetch(`${base}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      ...request,
      stream: true,
      stream_options: { include_usage: true },
    }),
  });
  const events = (await stream.text()).split("\n")
    .filter((line) => line.startsWith("data: ") && line !== "data: [DONE]")
    .map((line) => JSON.parse(line.slice(6)));
  const deltas = events.flatMap((e) =>
    e.choices?.map((c: { delta: unknown }) => c.delta) ?? []
  );
  if (deltas[0]?.role !== "assistant") {
    throw new Error(
      `stream: first delta has no role: ${JSON.stringify(deltas[0])}`,
    );
  }
  const streamed = deltas.find((d) => d.tool_calls)?.tool_calls?.[0];
  if (streamed?.function?.name !== "write_file") {
    throw new Error(
      `stream: no write_file tool_calls delta in ${JSON.stringify(deltas)}`,
    );
  }
  const usage = events.at(-1)?.usage;
  if (!usage?.prompt_tokens) throw new Error("stream: no usage chunk");
  console.log(
    `OK (stream): ${events.length} chunks, role first, tool_calls delta write_file, usage ${usage.prompt_tokens}+${usage.completion_tokens}`,
  );
} finally {
  if (!wasRunning) await sh("stop");
}
