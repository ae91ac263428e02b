/**
 * The repository's instructions file end to end (issue #23 point 4): read
 * from the real checkout, shown to the SE and PO (the scripted model sees
 * their requests), named in an INSTRUCTIONS event, and chosen by the work
 * order's instructions_files.
 */
import assert from "node:assert/strict";
import { type Harness, withHarness } from "./support/harness.ts";
import { PASS, WRITE_CALCULATOR } from "./support/calculator.ts";
import { finishCall, writeFileCall } from "../lib/llm/testing.ts";

const AGENTS = "Indent with four spaces. MARK-AGENTS-7f3\n";
const RULES = "Run the linter first. MARK-RULES-91c\n";

/** The system message of each request of `agent` sent for run `n` (0-based, one request each). */
function systemOf(h: Harness, agent: "se" | "po", n: number): string {
  const body = h.model.requests.filter((r) => r.agent === agent)[n]
    ?.body as { messages?: { role: string; content: string }[] } | undefined;
  const system = body?.messages?.find((m) => m.role === "system")?.content;
  assert.equal(typeof system, "string", `${agent} request ${n}`);
  return system!;
}

Deno.test("instructions: AGENTS.md reaches the SE and PO system prompts as the repository's words; instructions_files: false removes it; a named file is used instead", async () => {
  await withHarness({
    files: {
      "README.md": "# Demo\n",
      "calculator.py": "# TODO: implement\n",
      "AGENTS.md": AGENTS,
      "CLAUDE.md": "MARK-CLAUDE-never-used\n",
      "docs/RULES.md": RULES,
    },
    script: {
      se: [WRITE_CALCULATOR, WRITE_CALCULATOR, WRITE_CALCULATOR],
      po: [PASS, PASS, PASS],
    },
  }, async (h) => {
    const first = await h.waitForEnd((await h.submit(h.workOrder({}))).id);
    assert.equal(first.status, "SUCCEEDED", first.error ?? "");
    for (const agent of ["se", "po"] as const) {
      const system = systemOf(h, agent, 0);
      assert.match(system, /MARK-AGENTS-7f3/, agent);
      assert.match(system, /the repository's own words/, agent);
      assert.doesNotMatch(system, /MARK-CLAUDE/, agent);
    }
    const event = (await h.svc.store.listEvents(first.id)).find((e) =>
      e.kind === "INSTRUCTIONS"
    );
    assert.deepEqual(event?.payload, { files: ["AGENTS.md"] });

    const none = await h.waitForEnd(
      (await h.submit(h.workOrder({ instructions_files: false }))).id,
    );
    assert.equal(none.status, "SUCCEEDED", none.error ?? "");
    for (const agent of ["se", "po"] as const) {
      assert.doesNotMatch(systemOf(h, agent, 1), /MARK-|repository's own/);
    }
    assert.equal(
      (await h.svc.store.listEvents(none.id)).some((e) =>
        e.kind === "INSTRUCTIONS"
      ),
      false,
    );

    const named = await h.waitForEnd(
      (await h.submit(h.workOrder({ instructions_files: ["docs/RULES.md"] })))
        .id,
    );
    assert.equal(named.status, "SUCCEEDED", named.error ?? "");
    for (const agent of ["se", "po"] as const) {
      const system = systemOf(h, agent, 2);
      assert.match(system, /MARK-RULES-91c/, agent);
      assert.doesNotMatch(system, /MARK-AGENTS/, agent);
    }
    assert.deepEqual(
      (await h.svc.store.listEvents(named.id)).find((e) =>
        e.kind === "INSTRUCTIONS"
      )?.payload,
      { files: ["docs/RULES.md"] },
    );
  });
});

Deno.test("instructions attack: an AGENTS.md committed as a symlink to /etc/passwd is refused (WARN event), never shown, and the run goes on", async () => {
  const dir = await Deno.makeTempDir();
  await withHarness({
    files: { "README.md": "# Demo\n", "calculator.py": "# TODO\n" },
    script: { se: [WRITE_CALCULATOR], po: [PASS] },
  }, async (h) => {
    // Commit the symlink into the remote.
    const work = `${dir}/w`;
    const run = (cwd: string, ...args: string[]) =>
      new Deno.Command("git", { args, cwd }).output();
    await run(dir, "clone", "-q", h.remote, work);
    await Deno.symlink("/etc/passwd", `${work}/AGENTS.md`);
    await run(work, "add", "AGENTS.md");
    await run(
      work,
      "-c",
      "user.name=t",
      "-c",
      "user.email=t@t",
      "commit",
      "-qm",
      "link",
    );
    assert.equal((await run(work, "push", "-q", "origin", "main")).code, 0);

    const done = await h.waitForEnd((await h.submit(h.workOrder({}))).id);
    assert.equal(done.status, "SUCCEEDED", done.error ?? "");
    const event = (await h.svc.store.listEvents(done.id)).find((e) =>
      e.kind === "INSTRUCTIONS"
    );
    assert.equal(event?.level, "WARN");
    assert.deepEqual(event?.payload.files, []);
    assert.match(JSON.stringify(event?.payload.refused), /AGENTS\.md/);
    for (const agent of ["se", "po"] as const) {
      assert.doesNotMatch(systemOf(h, agent, 0), /root:|repository's own/);
    }
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("instructions: the nearest AGENTS.md above a file the SE writes is shown once with the tool result (not the root's again), and named in an event", async () => {
  await withHarness({
    files: {
      "README.md": "# Demo\n",
      "AGENTS.md": AGENTS,
      "pkg/AGENTS.md": "Package rules. MARK-PKG-55d\n",
      "pkg/deep/keep.txt": "x\n",
    },
    script: {
      se: [
        { tool_calls: [writeFileCall("pkg/deep/a.py", "a = 1\n")] },
        { tool_calls: [writeFileCall("pkg/b.py", "b = 1\n")] },
        { tool_calls: [writeFileCall("top.py", "t = 1\n"), finishCall("ok")] },
      ],
      po: [PASS],
    },
  }, async (h) => {
    const done = await h.waitForEnd((await h.submit(h.workOrder({}))).id);
    assert.equal(done.status, "SUCCEEDED", done.error ?? "");
    const se = h.model.requests.filter((r) => r.agent === "se");
    const toolTexts = (n: number) =>
      (se[n]?.body as { messages: { role: string; content: string }[] })
        .messages.filter((m) => m.role === "tool").map((m) => m.content);
    // After the first write: its result carries pkg/AGENTS.md, marked.
    const first = toolTexts(1);
    assert.equal(first.length, 1);
    assert.match(first[0]!, /pkg\/AGENTS\.md \(the repository's own words/);
    assert.match(first[0]!, /MARK-PKG-55d/);
    // The second write under pkg/ does not repeat it; the root's never comes here.
    const second = toolTexts(2);
    assert.equal(second.filter((t) => t.includes("MARK-PKG")).length, 1);
    assert.ok(second.every((t) => !t.includes("MARK-AGENTS-7f3")));
    const events = (await h.svc.store.listEvents(done.id)).filter((e) =>
      e.kind === "INSTRUCTIONS"
    );
    assert.deepEqual(events.map((e) => e.payload), [
      { files: ["AGENTS.md"] },
      { files: ["pkg/AGENTS.md"], nested: true },
    ]);
  });
});
