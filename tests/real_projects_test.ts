/**
 * End to end with real package managers: a Python project whose setup builds
 * a venv and `pip install`s from a simple index on loopback, and a Node
 * project whose `npm ci` installs from a registry on loopback. Acceptance
 * passes only with the dependency installed, has no network itself, and the
 * second run restores the environment instead of running setup again.
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
  rejects as assertRejects,
} from "node:assert/strict";
import { join } from "node:path";
import type { RunRecord } from "../lib/store/mod.ts";
import { type Harness, withHarness } from "./support/harness.ts";
import {
  type PackageIndex,
  startPackageIndex,
} from "./support/package_index.ts";

const finish = {
  tool_calls: [{ name: "finish", arguments: { summary: "ok" } }],
};
/** A change, so a run has something to pass: an unchanged tree never does. */
const note = {
  tool_calls: [{
    name: "write_file",
    arguments: { path: "NOTES.md", content: "notes\n" },
  }],
};
const pass = {
  tool_calls: [{
    name: "submit_verdict",
    arguments: { decision: "PASS", feedback: "dependency works" },
  }],
};

/** An acceptance command that succeeds only when the index cannot be reached. */
const offline = (port: number) =>
  `python3 -c "import socket, sys; s = socket.socket(); s.settimeout(2); sys.exit(0 if s.connect_ex(('127.0.0.1', ${port})) else 1)"`;

async function withIndex(
  spec: Parameters<typeof startPackageIndex>[0] extends infer S ? Omit<S, "dir">
    : never,
  fn: (index: PackageIndex) => Promise<void>,
) {
  const dir = await Deno.makeTempDir({ prefix: "aos_index_" });
  const index = await startPackageIndex({ dir, ...spec });
  try {
    await fn(index);
  } finally {
    await index.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function events(h: Harness, run: RunRecord) {
  return await h.svc.store.listEvents(run.id);
}

/** Runs `workOrder` again and asserts it succeeded on the restored environment, without running setup. */
async function rerunRestoresSetup(
  h: Harness,
  workOrder: string,
): Promise<RunRecord> {
  const run = await h.waitForEnd((await h.submit(workOrder)).id, 120_000);
  assertEquals(run.status, "SUCCEEDED", run.error ?? "");
  const kinds = (await events(h, run)).map((e) => e.kind);
  assert(!kinds.includes("SETUP_RESULT"), kinds.join(","));
  assert(kinds.includes("SETUP_RESTORED"));
  return run;
}

Deno.test("a Python project: setup pip-installs into .venv from a loopback index, the next run restores it", async () => {
  await withIndex({
    wheels: [{
      name: "greet",
      version: "1.0",
      files: {
        "greet/__init__.py": "def hello():\n    return 'hi from greet'\n",
      },
    }],
  }, async (index) => {
    await withHarness({
      // Setup's own network reaches the host's loopback only on the index's port.
      env: { AOS_SETUP_HOST_PORTS: String(index.port) },
      script: {
        se: [note, finish, note, finish, finish],
        po: [pass, pass],
      },
      files: {
        "README.md": "# App\n",
        ".gitignore": ".venv/\n",
        "requirements.txt": "greet==1.0\n",
        "app.py": "import greet\nprint(greet.hello())\n",
      },
    }, async (h) => {
      const acceptance = [
        // The venv's absolute paths (activate, script shebangs) hold in every run.
        ". .venv/bin/activate && python app.py | grep -qx 'hi from greet'",
        offline(index.port),
      ];
      const workOrder = h.workOrder({
        setup_commands: [
          "python3 -m venv .venv",
          `.venv/bin/pip install --disable-pip-version-check --no-cache-dir --index-url ${index.simpleUrl} -r requirements.txt`,
        ],
        acceptance_commands: acceptance,
      });

      const first = await h.waitForEnd((await h.submit(workOrder)).id, 120_000);
      assertEquals(first.status, "SUCCEEDED", first.error ?? "");
      const setup = (await events(h, first)).filter((e) =>
        e.kind === "SETUP_RESULT"
      );
      assertEquals(setup.map((e) => e.payload.exit_code), [0, 0]);
      assert(index.requests.some((p) => p.startsWith("/files/greet-1.0")));

      const served = index.requests.length;
      await rerunRestoresSetup(h, workOrder);
      assertEquals(
        index.requests.length,
        served,
        "nothing was downloaded again",
      );

      // Without the setup, the same acceptance fails: the dependency is what makes it pass.
      const bare = await h.waitForEnd(
        (await h.submit(h.workOrder({
          max_iterations: 1,
          acceptance_commands: acceptance,
        }))).id,
        120_000,
      );
      assertEquals(bare.status, "FAILED");
      const results = (await events(h, bare)).filter((e) =>
        e.kind === "CMD_RESULT"
      );
      assert(results[0] && results[0].payload.exit_code !== 0);
      assertEquals(results[1]?.payload.exit_code, 0);
    });
  });
});

Deno.test("a Node project: npm ci from a loopback registry; deleting node_modules/x in a command leaves the cache intact", async () => {
  const leftpad = {
    name: "leftpad-aos",
    version: "1.0.0",
    files: {
      "index.js":
        "module.exports = (s, n) => ' '.repeat(Math.max(0, n - s.length)) + s;\n",
    },
  };
  await withIndex({ npm: [leftpad] }, async (index) => {
    await withHarness({
      // Setup's own network reaches the host's loopback only on the index's port.
      env: { AOS_SETUP_HOST_PORTS: String(index.port) },
      script: { se: [note, finish, note, finish], po: [pass, pass] },
      files: {
        "README.md": "# App\n",
        ".gitignore": "node_modules/\n",
        "package.json": JSON.stringify(
          {
            name: "app",
            version: "1.0.0",
            dependencies: { "leftpad-aos": "1.0.0" },
          },
          null,
          2,
        ) + "\n",
        "package-lock.json": index.packageLock("app", [leftpad]),
      },
    }, async (h) => {
      const workOrder = h.workOrder({
        setup_commands: [
          `npm ci --registry=${index.url}/ --no-audit --no-fund --no-update-notifier`,
        ],
        acceptance_commands: [
          `node -e "if (require('leftpad-aos')('x', 3) !== '  x') process.exit(1)"`,
          "rm -rf node_modules/leftpad-aos && test ! -e node_modules/leftpad-aos",
          offline(index.port),
        ],
      });
      const first = await h.waitForEnd((await h.submit(workOrder)).id, 120_000);
      assertEquals(first.status, "SUCCEEDED", first.error ?? "");
      const saved = (await events(h, first)).find((e) =>
        e.kind === "SETUP_SAVED"
      );
      assert(saved, "the environment was kept");

      // The cached copy still holds the package the acceptance command deleted.
      const envs = join(h.dir, "workspaces/.envs");
      const keys = [...Deno.readDirSync(envs)].filter((e) =>
        /^[0-9a-f]{64}$/.test(e.name)
      );
      assertEquals(keys.length, 1);
      const cached = join(envs, keys[0]!.name, "tree/node_modules/leftpad-aos");
      assertEquals(
        await Deno.readTextFile(join(cached, "index.js")),
        leftpad.files["index.js"],
      );

      const second = await rerunRestoresSetup(h, workOrder);
      // The workspaces themselves never hold the environment on the host side.
      await assertRejects(
        Deno.stat(
          join(h.dir, "workspaces", second.id, "node_modules/leftpad-aos"),
        ),
        Deno.errors.NotFound,
      );
    });
  });
});
