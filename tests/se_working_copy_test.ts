/**
 * End to end: the SE's working copy through the real service — real git,
 * real bwrap, the scripted model over HTTP. The SE's run_command sees its
 * pending writes; a command's write joins the packet where the path policy
 * allows it and never where it does not; the pushed branch holds exactly the
 * packet; `se_commands: false` takes the tool away.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { withHarness } from "./support/harness.ts";
import { poVerdict, reply, toolCall } from "../lib/llm/testing.ts";

interface Body {
  messages: { role: string; content?: unknown }[];
  tools: { function: { name: string } }[];
}

const decoder = new TextDecoder();

Deno.test("the SE's run_command sees pending writes and a forbidden write never reaches the packet or the branch", async () => {
  const script = {
    se: [
      reply(
        toolCall("write_file", {
          path: "calculator.py",
          content: "def add(a, b):\n    return a + b\n",
        }),
        toolCall("run_command", {
          command:
            "python3 -c 'from calculator import add; print(add(2, 3))' && " +
            "mkdir -p secrets && echo leaked > secrets/token.txt && echo '# notes' > NOTES.md",
        }),
      ),
      reply(toolCall("finish", { summary: "add() and notes" })),
    ],
    po: [poVerdict("PASS", "ok")],
  };
  await withHarness({ script }, async (h) => {
    const run = await h.submit(h.workOrder({
      push_branch: "aos/add",
      forbidden_paths: ["secrets/**"],
      acceptance_commands: [
        "python3 -c 'from calculator import add; assert add(2, 3) == 5'",
        "test ! -e secrets/token.txt",
      ],
    }));
    const done = await h.waitForEnd(run.id);
    assertEquals(done.status, "SUCCEEDED", done.error ?? "");
    const se = h.model.requests.filter((r) => r.agent === "se");
    const tools = (se[0]?.body as Body).tools.map((t) => t.function.name);
    assert(tools.includes("run_command"), tools.join(","));
    const results = (se[1]?.body as Body).messages.filter((m) =>
      m.role === "tool"
    ).map((m) => String(m.content));
    assertMatch(results[1] ?? "", /exit code 0 in [\d.]+ s\n5\n/);
    assertMatch(results[1] ?? "", /NOTES\.md \(created\)/);
    assertMatch(
      results[1] ?? "",
      /secrets\/token\.txt' matches forbidden_paths pattern "secrets\/\*\*"/,
    );
    const commands = (await h.svc.store.listEvents(run.id)).filter((e) =>
      e.kind === "SE_COMMAND"
    );
    assertEquals(
      commands.map((
        e,
      ) => [
        e.iteration,
        e.payload.exit_code,
        e.payload.changed,
        e.payload.refused,
      ]),
      [[1, 0, 1, 1]],
    );
    assertMatch(String(commands[0]?.payload.command), /^python3 -c/);
    const packet = JSON.parse(decoder.decode(
      (await h.svc.store.getArtifact(run.id, "se_packet_iter_1.json")).body,
    ));
    assertEquals(
      packet.writes.map((w: { path: string }) => w.path),
      ["NOTES.md", "calculator.py"],
    );
    assertEquals(packet.deletes, []);
    assertEquals(await h.remoteFile("aos/add", "NOTES.md"), "# notes\n");
    const tree = await h.remoteTree("aos/add");
    assert(tree && !tree.some((p) => p.startsWith("secrets/")), String(tree));
  });
});

Deno.test("se_commands: false takes run_command away from the SE", async () => {
  const script = {
    se: [
      reply(toolCall("run_command", { command: "echo hi" })),
      reply(toolCall("write_file", { path: "NOTES.md", content: "hi\n" })),
      reply(toolCall("finish", { summary: "notes" })),
    ],
    po: [poVerdict("PASS", "ok")],
  };
  await withHarness({ script }, async (h) => {
    const run = await h.submit(h.workOrder({ se_commands: false }));
    const done = await h.waitForEnd(run.id);
    assertEquals(done.status, "SUCCEEDED", done.error ?? "");
    const se = h.model.requests.filter((r) => r.agent === "se");
    const tools = (se[0]?.body as Body).tools.map((t) => t.function.name);
    assertEquals(tools.includes("run_command"), false);
    const result = (se[1]?.body as Body).messages.filter((m) =>
      m.role === "tool"
    ).map((m) => String(m.content))[0];
    assertMatch(result ?? "", /^Error: unknown tool 'run_command'/);
  });
});
