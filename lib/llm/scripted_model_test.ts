import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
  rejects,
} from "node:assert/strict";
import {
  loadScript,
  type ModelScript,
  poVerdict,
  seWrite,
  startScriptedModel,
  toolCall,
} from "./scripted_model.ts";

const SE_BODY = {
  model: "m",
  messages: [{ role: "user", content: "hi" }],
  tools: [{ type: "function", function: { name: "finish", parameters: {} } }],
};
const PO_BODY = {
  ...SE_BODY,
  tools: [{
    type: "function",
    function: { name: "submit_verdict", parameters: {} },
  }],
};

/** POSTs to `${base}/chat/completions` (served with and without the /v1 prefix). */
function post(
  base: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  return fetch(`${base}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function withServer(
  script: ModelScript,
  fn: (model: Awaited<ReturnType<typeof startScriptedModel>>) => Promise<void>,
  opts: { apiKey?: string } = {},
) {
  const model = await startScriptedModel(script, opts);
  try {
    await fn(model);
  } finally {
    await model.close();
  }
}

Deno.test("startScriptedModel() routes by offered tools and answers OpenAI-shaped completions", async () => {
  const script = {
    se: seWrite("a.py", "x = 1\n", "wrote a.py"),
    po: [poVerdict("PASS", "ok")],
  };
  await withServer(script, async (model) => {
    assertMatch(model.url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const po = await (await post(model.url, PO_BODY)).json();
    assertEquals(po.object, "chat.completion");
    assertEquals(po.choices[0].finish_reason, "tool_calls");
    const call = po.choices[0].message.tool_calls[0];
    assertEquals(call.type, "function");
    assertEquals(call.function.name, "submit_verdict");
    assertEquals(JSON.parse(call.function.arguments), {
      decision: "PASS",
      feedback: "ok",
    });
    assertEquals(
      po.usage.total_tokens,
      po.usage.prompt_tokens + po.usage.completion_tokens,
    );
    const se = await (await post(model.url, SE_BODY)).json();
    assertEquals(
      se.choices[0].message.tool_calls[0].function.name,
      "write_file",
    );
    assertEquals(model.remaining(), { se: 1, po: 0 });
    assertEquals(model.requests.map((r) => r.agent), ["po", "se"]);
    assertEquals(
      (model.requests[1]?.body as typeof SE_BODY).messages[0]?.content,
      "hi",
    );
  });
});

Deno.test("startScriptedModel() sends string arguments verbatim and text-only replies", async () => {
  const script = {
    se: [{ tool_calls: [{ name: "write_file", arguments: "{broken" }] }, {
      content: "thinking",
    }],
    po: [],
  };
  await withServer(script, async (model) => {
    const first = await (await post(model.url.replace(/\/v1$/, ""), SE_BODY))
      .json();
    assertEquals(
      first.choices[0].message.tool_calls[0].function.arguments,
      "{broken",
    );
    const second = await (await post(model.url, SE_BODY)).json();
    assertEquals(second.choices[0].message, {
      role: "assistant",
      content: "thinking",
      refusal: null,
    });
    assertEquals(second.choices[0].finish_reason, "stop");
  });
});

Deno.test("startScriptedModel() answers 500 'script exhausted for se' when the queue is empty", async () => {
  await withServer({ se: [], po: [] }, async (model) => {
    const res = await post(model.url, SE_BODY);
    assertEquals(res.status, 500);
    assertEquals((await res.json()).error.message, "script exhausted for se");
  });
});

Deno.test("startScriptedModel() replays scripted statuses, headers and garbage", async () => {
  const script = {
    se: [{ status: 429, headers: { "retry-after": "7" } }, {
      garbage: "<html>",
    }],
    po: [],
  };
  await withServer(script, async (model) => {
    const limited = await post(model.url, SE_BODY);
    assertEquals([limited.status, limited.headers.get("retry-after")], [
      429,
      "7",
    ]);
    await limited.body?.cancel();
    const garbage = await post(model.url, SE_BODY);
    assertEquals([garbage.status, await garbage.text()], [200, "<html>"]);
  });
});

Deno.test("startScriptedModel() requires the bearer key when given one and never records it", async () => {
  await withServer({ se: [toolCallReply()], po: [] }, async (model) => {
    const denied = await post(model.url, SE_BODY, {
      authorization: "Bearer wrong-key",
    });
    assertEquals(denied.status, 401);
    await denied.body?.cancel();
    const ok = await post(model.url, SE_BODY, {
      authorization: "Bearer sk-scripted-SECRET",
    });
    assertEquals(ok.status, 200);
    await ok.body?.cancel();
    assertEquals(model.requests.map((r) => r.authorized), [false, true]);
    assertEquals(model.remaining().se, 0);
    assert(!JSON.stringify(model.requests).includes("sk-scripted-SECRET"));
  }, { apiKey: "sk-scripted-SECRET" });
});

function toolCallReply() {
  return { tool_calls: [toolCall("finish", { summary: "done" })] };
}

Deno.test("startScriptedModel() rejects requests it cannot attribute to an agent", async () => {
  await withServer({ se: [toolCallReply()], po: [] }, async (model) => {
    const res = await post(model.url, { ...SE_BODY, tools: [] });
    assertEquals(res.status, 400);
    assertMatch((await res.json()).error.message, /cannot tell the agent/);
    const notFound = await fetch(`${model.url}/models`);
    assertEquals(notFound.status, 404);
    await notFound.body?.cancel();
    assertEquals(model.remaining().se, 1);
  });
});

Deno.test("startScriptedModel().close() ends a delayed reply instead of waiting for it", async () => {
  const model = await startScriptedModel({
    se: [{ delayMs: 600_000, then: toolCallReply() }],
    po: [],
  });
  const pending = post(model.url, SE_BODY);
  while (model.requests.length === 0) {
    await new Promise((r) => setTimeout(r, 5));
  }
  await model.close();
  const res = await pending.catch((error) => error);
  if (res instanceof Response) {
    assertEquals(res.status, 503);
    await res.body?.cancel();
  } else {
    assert(res instanceof Error);
  }
  await rejects(post(model.url, SE_BODY));
});

Deno.test("loadScript() reads a transcript file and rejects malformed entries", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = `${dir}/good.json`;
    await Deno.writeTextFile(
      good,
      JSON.stringify({
        _comment: "scripted",
        se: [{ delayMs: 1, then: { content: "x" } }],
        po: [{ status: 500 }],
      }),
    );
    assertEquals(await loadScript(good), {
      se: [{ delayMs: 1, then: { content: "x" } }],
      po: [{ status: 500 }],
    });
    const bad = `${dir}/bad.json`;
    await Deno.writeTextFile(
      bad,
      JSON.stringify({ se: [{ tool_calls: [{ arguments: {} }] }] }),
    );
    await rejects(loadScript(bad), /'se\[0\]' is not a scripted reply/);
    const demo = await loadScript(
      new URL("../../examples/demo/transcript.json", import.meta.url).pathname,
    );
    assert(demo.se.length > 0 && demo.po.length > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startScriptedModel() answers a request naming a scripted model from that model's queue", async () => {
  await withServer({
    se: seWrite("a.txt", "se", "from the se queue"),
    po: [],
    models: { "coder-b": [poVerdict("PASS", "from coder-b")] },
  }, async (model) => {
    const own = await (await post(model.url, { ...SE_BODY, model: "coder-b" }))
      .json();
    assertMatch(
      own.choices[0].message.tool_calls[0].function.arguments,
      /from coder-b/,
    );
    const other = await (await post(model.url, SE_BODY)).json();
    assertEquals(
      other.choices[0].message.tool_calls[0].function.name,
      "write_file",
    );
    // Its queue used up, the named model gets the usual "exhausted" error.
    assertEquals(
      (await post(model.url, { ...SE_BODY, model: "coder-b" })).status,
      500,
    );
  });
});
