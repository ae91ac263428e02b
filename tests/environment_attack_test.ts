/**
 * Attacks on the setup phase by a hostile repository: file names built to
 * rewrite git's control files, and another branch poisoning the cached
 * environment a run on `main` restores.
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { git, withHarness } from "./support/harness.ts";
import { writeFiles } from "../lib/workspace/testing.ts";

const finish = (summary: string) => ({
  tool_calls: [{ name: "finish", arguments: { summary } }],
});
const write = (path: string, content: string) => ({
  tool_calls: [{ name: "write_file", arguments: { path, content } }],
});
const verdict = (decision: "PASS" | "FAIL", feedback: string) => ({
  tool_calls: [{ name: "submit_verdict", arguments: { decision, feedback } }],
});

Deno.test("file names with newlines made by setup never reach .git/info/exclude: the SE's feature.py is pushed", async () => {
  await withHarness({
    script: {
      se: [
        {
          tool_calls: [
            {
              name: "write_file",
              arguments: { path: "feature.py", content: "FEATURE = 1\n" },
            },
            {
              name: "write_file",
              arguments: { path: "pkg/feature.py", content: "DEEP = 1\n" },
            },
          ],
        },
        finish("added feature.py"),
      ],
      po: [verdict("PASS", "ok")],
    },
  }, async (h) => {
    const run = await h.submit(h.workOrder({
      // Each name, written into the exclude file line by line, would hide
      // feature.py (`feature.py`, `*`) or un-hide something (`!…`).
      setup_commands: [
        `printf 1 > "$(printf 'x\\nfeature.py')"`,
        `printf 2 > "$(printf '\\n*')"`,
        `printf 3 > "$(printf 'y\\n!README.md\\nfeature.py')"`,
        `printf 4 > "$(printf 'z\\r\\tfeature.py')"`,
        `printf 5 > 'sp ace!#[x]'`,
      ],
      acceptance_commands: ["test -f feature.py"],
      push_branch: "aos/feature",
    }));
    const done = await h.waitForEnd(run.id);
    assertEquals(done.status, "SUCCEEDED", done.error ?? "");
    assertEquals(
      await h.remoteFile("aos/feature", "feature.py"),
      "FEATURE = 1\n",
    );
    assertEquals(
      await h.remoteFile("aos/feature", "pkg/feature.py"),
      "DEEP = 1\n",
    );
    // Setup's own files stay out of the commit.
    const tree = await h.remoteTree("aos/feature");
    assertEquals(
      tree?.filter((p) => !["README.md", "calculator.py"].includes(p)),
      ["feature.py", "pkg/feature.py"],
      JSON.stringify(tree),
    );
  });
});

const REAL_SETUP =
  "mkdir -p deps/bin && printf '#!/bin/sh\\necho real-tool\\n' > deps/bin/tool && chmod +x deps/bin/tool\n";
const EVIL_SETUP =
  "mkdir -p deps/bin && printf '#!/bin/sh\\necho POISONED\\n' > deps/bin/tool && chmod +x deps/bin/tool\n";

Deno.test("another branch's setup cannot poison the environment a run on main restores", async () => {
  await withHarness({
    script: {
      // Each of the four runs writes a note (an unchanged tree never passes).
      se: Array.from(
        { length: 4 },
        () => [write("NOTES.md", "checked\n"), finish("noted")],
      )
        .flat(),
      po: Array.from({ length: 4 }, () => verdict("PASS", "ok")),
    },
    files: {
      "README.md": "# Demo\n",
      ".gitignore": "deps/\n",
      "deps.lock": "tool 1.0\n",
      "setup.sh": REAL_SETUP,
    },
  }, async (h) => {
    // Branch `evil`: same lockfile, same setup command, a poisoned setup.sh.
    const seed = `${h.dir}/seed`;
    await git(seed, "checkout", "-q", "-b", "evil");
    await writeFiles(seed, { "setup.sh": EVIL_SETUP });
    await git(seed, "commit", "-q", "-am", "innocent refactor");
    await git(seed, "push", "-q", "origin", "evil");

    // The default key (the base commit's tree), then a named key, which
    // shares between commits of one clone_branch only.
    for (const named of [{}, { setup_cache_key: ["deps.lock"] }]) {
      const fields = {
        setup_commands: ["sh setup.sh"],
        max_iterations: 1,
        ...named,
      };
      const evil = await h.waitForEnd(
        (await h.submit(h.workOrder({
          ...fields,
          clone_branch: "evil",
          acceptance_commands: ["deps/bin/tool | grep -qx POISONED"],
        }))).id,
      );
      assertEquals(evil.status, "SUCCEEDED", evil.error ?? "");

      const main = await h.waitForEnd(
        (await h.submit(h.workOrder({
          ...fields,
          clone_branch: "main",
          acceptance_commands: ["deps/bin/tool | grep -qx real-tool"],
        }))).id,
      );
      assertEquals(main.status, "SUCCEEDED", main.error ?? "");
      const kinds = (await h.svc.store.listEvents(main.id)).map((e) => e.kind);
      assert(kinds.includes("SETUP_RESULT"), "main ran its own setup");
      assert(!kinds.includes("SETUP_RESTORED"), kinds.join(","));
    }
  });
});
