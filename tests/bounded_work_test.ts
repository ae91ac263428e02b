/**
 * End to end, as attacks (issue #20, findings 5 and 6): work that a hostile
 * repository or model hands the service is bounded. A FIFO in the working
 * copy or the Tool Runner's workspace answers with an error instead of
 * blocking a worker slot for ever; a tool call still in flight at the wall
 * time or a cancel is named and its slot freed; a 1 MiB task, a 150 KB
 * write_file and a 24 MiB model reply keep the service's event loop
 * responsive (measured by a lag probe in the service's own process — a
 * correctness bound, generous so it never flakes; timings are in bench/).
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { withHarness } from "./support/harness.ts";
import { poVerdict, reply, toolCall } from "../lib/llm/testing.ts";
import { MAX_LAG_MS, startLagProbe, withLagProbe } from "./support/loop_lag.ts";

interface Body {
  messages: { role: string; content?: unknown }[];
}

/** The tool results the SE's `n`-th request (1-based) carried, in order. */
function toolResults(
  requests: { agent: string; body: unknown }[],
  n: number,
): string[] {
  const se = requests.filter((r) => r.agent === "se");
  return (se[n - 1]?.body as Body).messages.filter((m) => m.role === "tool")
    .map((m) => String(m.content));
}

Deno.test("FIFOs, sockets and device links in the workspace get errors to the model; the run finishes", async () => {
  const script = {
    se: [
      // A hostile model plants a FIFO, a socket and links to devices…
      reply(toolCall("run_command", {
        command:
          "mkfifo pipe && ln -s pipe to_pipe && ln -s /dev/zero zero && " +
          "ln -s /dev/stdin stdin && python3 -c \"import socket; socket.socket(socket.AF_UNIX).bind('sock')\"",
      })),
      // …then asks the file tools to open them.
      reply(
        toolCall("read_file", { path: "pipe" }),
        toolCall("read_file", { path: "to_pipe" }),
        toolCall("read_file", { path: "sock" }),
        toolCall("read_file", { path: "zero" }),
        toolCall("read_file", { path: "stdin" }),
        toolCall("search_files", { pattern: "anything" }),
        toolCall("edit_file", { path: "pipe", old_text: "a", new_text: "b" }),
        toolCall("write_file", { path: "pipe", content: "x" }),
        toolCall("write_file", { path: "out.txt", content: "first\n" }),
      ),
      reply(toolCall("finish", { summary: "tried the pipes" })),
      // Iteration 2: the acceptance command left a FIFO at out.txt in the
      // Tool Runner's workspace; writing it again must not block the apply.
      reply(
        toolCall("write_file", { path: "out.txt", content: "second\n" }),
        toolCall("write_file", { path: "marker", content: "done\n" }),
      ),
      reply(toolCall("finish", { summary: "again" })),
    ],
    // Iteration 1 fails on its acceptance command without asking the PO model.
    po: [poVerdict("PASS", "ok")],
  };
  await withHarness({ script }, async (h) => {
    const run = await h.submit(h.workOrder({
      max_iterations: 2,
      push_branch: "aos/pipes",
      acceptance_commands: [
        "test -f marker || { rm -f out.txt; mkfifo out.txt; exit 1; }",
      ],
    }));
    const done = await h.waitForEnd(run.id, 120_000);
    assertEquals(done.status, "SUCCEEDED", done.error ?? "");
    const results = toolResults(h.model.requests, 3);
    assertMatch(results[0] ?? "", /mkfifo pipe/);
    assertEquals(results.slice(1, 9), [
      "Error: 'pipe' is a named pipe (FIFO), not a regular file; AOS reads regular files only",
      "Error: 'to_pipe' is a named pipe (FIFO), not a regular file; AOS reads regular files only",
      "Error: 'sock' is a socket, not a regular file; AOS reads regular files only",
      "Error: Path 'zero' goes through the symlink 'zero', which points outside the repository",
      "Error: Path 'stdin' goes through the symlink 'stdin', which points outside the repository",
      "No matches for /anything/",
      "Error: 'pipe' is a named pipe (FIFO), not a regular file; AOS reads regular files only",
      "Error: 'pipe' is a named pipe (FIFO), not a regular file, so it cannot be written; delete_file it first to put a file there",
    ]);
    assertEquals(await h.remoteFile("aos/pipes", "out.txt"), "second\n");
    const tree = await h.remoteTree("aos/pipes");
    assert(tree && !tree.includes("pipe"), String(tree));
  });
});

Deno.test("a tool call in flight at max_wall_time_s is named in the error, and its slot is freed for the next run", async () => {
  const script = {
    se: [
      reply(toolCall("run_command", { command: "sleep 60", timeout_s: 120 })),
      // The next run's turn (an unchanged tree would never pass).
      reply(toolCall("write_file", { path: "next.txt", content: "next\n" })),
      reply(toolCall("finish", { summary: "next run" })),
    ],
    po: [poVerdict("PASS", "ok")],
  };
  await withHarness({ script, env: { AOS_MAX_RUNS: "1" } }, async (h) => {
    const stuck = await h.submit(h.workOrder({
      // Room for the clone on a loaded machine; the command outlasts it anyway.
      max_wall_time_s: 10,
      command_timeout_s: 120,
    }));
    const ended = await h.waitForEnd(stuck.id, 60_000);
    assertEquals(ended.status, "FAILED");
    assertEquals(
      ended.error,
      `Run exceeded its wall time limit of 10 s while the SE's tool call run_command {"command":"sleep 60","timeout_s":120} (iteration 1) had not returned`,
    );
    // One worker slot in all: the next run gets it.
    const next = await h.submit(h.workOrder({}));
    const finished = await h.waitForEnd(next.id, 60_000);
    assertEquals(finished.status, "SUCCEEDED", finished.error ?? "");
  });
});

Deno.test("a run cancelled while its tool call runs ends CANCELLED and frees its slot", async () => {
  const script = {
    se: [
      reply(toolCall("run_command", { command: "sleep 60", timeout_s: 120 })),
      // The next run's turn (an unchanged tree would never pass).
      reply(toolCall("write_file", { path: "next.txt", content: "next\n" })),
      reply(toolCall("finish", { summary: "next run" })),
    ],
    po: [poVerdict("PASS", "ok")],
  };
  await withHarness({ script, env: { AOS_MAX_RUNS: "1" } }, async (h) => {
    const stuck = await h.submit(h.workOrder({ command_timeout_s: 120 }));
    // Cancel once the command is running.
    const deadline = Date.now() + 60_000;
    while (
      !(await h.svc.store.listEvents(stuck.id)).some((e) =>
        e.kind === "SE_COMMAND"
      ) && h.model.requests.length < 1
    ) {
      if (Date.now() > deadline) throw new Error("the SE never started");
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 500));
    const res = await fetch(`${h.svc.url}/runs/${stuck.id}/cancel`, {
      method: "POST",
    });
    await res.body?.cancel();
    assertEquals(res.status, 200);
    const ended = await h.waitForEnd(stuck.id, 30_000);
    assertEquals(ended.status, "CANCELLED");
    const next = await h.submit(h.workOrder({}));
    const finished = await h.waitForEnd(next.id, 60_000);
    assertEquals(finished.status, "SUCCEEDED", finished.error ?? "");
  });
});

Deno.test("a 1 MiB task and a 150 KB write_file of one long word keep the event loop responsive", async () => {
  const content = "a".repeat(150_000);
  const script = {
    se: [
      reply(toolCall("write_file", { path: "big.txt", content })),
      reply(toolCall("finish", { summary: "wrote it" })),
    ],
    po: [poVerdict("PASS", "ok")],
  };
  await withHarness({ script }, async (h) => {
    // Just under the work order's 1 MiB limit.
    const task = `Handle this: ${"x".repeat(1024 * 1024 - 1024)}\n`;
    const probe = startLagProbe();
    let lagMs: number;
    try {
      const run = await h.submit(h.workOrder({}, task));
      const done = await h.waitForEnd(run.id, 120_000);
      assertEquals(done.status, "SUCCEEDED", done.error ?? "");
    } finally {
      lagMs = probe.stop();
    }
    assert(lagMs < MAX_LAG_MS, `event loop blocked for ${lagMs} ms`);
  });
});

Deno.test("a 24 MiB model reply fails the run with the cap named, the event loop responsive", async () => {
  // A hostile endpoint in place of the model: its reply is built before the
  // probe starts, so only what the service does with it is measured.
  const reply = hugeCompletion(24 * 1024 * 1024);
  const endpoint = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      await req.body?.cancel();
      return new Response(reply, {
        headers: { "content-type": "application/json" },
      });
    },
  );
  try {
    await withHarness({
      env: { OPENAI_BASE_URL: `http://127.0.0.1:${endpoint.addr.port}/v1` },
    }, async (h) => {
      const { value: done, lagMs } = await withLagProbe(async () => {
        const run = await h.submit(h.workOrder({}));
        return await h.waitForEnd(run.id, 120_000);
      });
      assertEquals(done.status, "FAILED");
      assertMatch(
        done.error ?? "",
        /the model's reply is larger than the 4194304 bytes AOS accepts/,
      );
      assert(lagMs < MAX_LAG_MS, `event loop blocked for ${lagMs} ms`);
    });
  } finally {
    await endpoint.shutdown();
  }
});

/** A chat completion whose message carries `bytes` of one letter, as JSON bytes. */
function hugeCompletion(bytes: number): Uint8Array<ArrayBuffer> {
  const encoder = new TextEncoder();
  const head = encoder.encode(
    '{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,' +
      '"finish_reason":"stop","message":{"role":"assistant","content":"',
  );
  const tail = encoder.encode(
    '"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}',
  );
  const out = new Uint8Array(head.length + bytes + tail.length);
  out.set(head);
  out.fill(0x7a, head.length, head.length + bytes);
  out.set(tail, head.length + bytes);
  return out;
}
