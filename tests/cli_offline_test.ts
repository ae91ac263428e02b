/**
 * The `aos` CLI as a subprocess without an AOS server: help, usage errors,
 * `validate`, an unreachable server and a server that rejects the token.
 */
import assert from "node:assert/strict";
import {
  type CliResult,
  describe,
  refusedUrl,
  runAos,
} from "../cli/testing.ts";
import { withTempDir, writeFiles } from "../lib/workspace/testing.ts";

const GOOD = `---
title: Add calculator module
repo: https://github.com/user/repo
push_branch: aos/calculator-feature
max_iterations: 3
acceptance_commands:
  - python3 -c "from calculator import add; assert add(2,3) == 5"
  - python3 -m unittest
---

Create a calculator.py module with an \`add(a, b)\` function.
`;

/** A work order with `frontmatter` and `body`. */
function workOrder(frontmatter: string, body = "Do the task."): string {
  return `---\n${frontmatter.trim()}\n---\n\n${body}\n`;
}

/** Writes `files` into a fresh temp dir, runs `fn`, removes the dir. */
function withFiles(
  files: Record<string, string>,
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  return withTempDir("aos_cli_", async (dir) => {
    await writeFiles(dir, files);
    await fn(dir);
  });
}

function expectExit(result: CliResult, code: number): void {
  assert.equal(result.code, code, describe(result));
}

Deno.test("aos --help lists every command, the exit codes and examples", async () => {
  const result = await runAos(["--help"]);
  expectExit(result, 0);
  for (
    const command of [
      "submit",
      "status",
      "logs",
      "list",
      "cancel",
      "artifacts",
      "validate",
    ]
  ) {
    assert.match(result.stdout, new RegExp(`^  ${command} `, "m"), command);
  }
  assert.match(result.stdout, /Exit codes: 0 succeeded, 1 failed, 2 invalid/);
  assert.match(
    result.stdout,
    /\$ aos submit task\.md --wait --timeout 600/,
  );
});

Deno.test("aos <command> --help shows options and examples for every command", async () => {
  const expected: Record<string, RegExp> = {
    submit: /--wait[\s\S]*--timeout <seconds>[\s\S]*--json[\s\S]*Examples:/,
    status: /--json[\s\S]*\$ aos status <run-id>/,
    logs: /--follow[\s\S]*\$ aos logs <run-id> --follow/,
    list: /--status <status>[\s\S]*--limit <n>[\s\S]*Examples:/,
    cancel: /--json[\s\S]*\$ aos cancel <run-id>/,
    artifacts: /--output <file>[\s\S]*artifacts <run-id> summary\.json/,
    validate: /--json[\s\S]*\$ aos validate task\.md/,
  };
  for (const [command, pattern] of Object.entries(expected)) {
    const result = await runAos([command, "--help"]);
    expectExit(result, 0);
    assert.match(result.stdout, pattern, `${command} --help\n${result.stdout}`);
  }
});

Deno.test("aos exits 2 on usage errors", async () => {
  const cases: [string[], RegExp][] = [
    [[], /Usage: aos/],
    [["frobnicate"], /unknown command 'frobnicate'/],
    [["status"], /missing required argument 'id'/],
    [["submit"], /missing required argument 'file'/],
    [["list", "--bogus"], /unknown option '--bogus'/],
    [["list", "--limit", "0"], /Expected an integer from 1 to 200, got "0"/],
    [
      ["list", "--status", "DONE"],
      /Expected one of PENDING, RUNNING, AWAITING_APPROVAL, PAUSED, SUCCEEDED, FAILED, CANCELLED, REJECTED/,
    ],
    [["approve"], /missing required argument 'id'/],
    [["reject", "x", "--bogus"], /unknown option '--bogus'/],
    [
      ["submit", "x.md", "--wait", "--timeout", "soon"],
      /Expected a positive number of seconds/,
    ],
  ];
  for (const [args, pattern] of cases) {
    const result = await runAos(args, { env: { AOS_URL: await refusedUrl() } });
    expectExit(result, 2);
    assert.match(
      result.stderr,
      pattern,
      `aos ${args.join(" ")}\n${result.stderr}`,
    );
  }
});

Deno.test("aos validate prints OK and the effective fields of a good work order", async () => {
  await withFiles({
    "task.md": GOOD,
    "plain.md": workOrder("repo: /srv/some/repo"),
  }, async (dir) => {
    const result = await runAos(["validate", `${dir}/task.md`]);
    expectExit(result, 0);
    assert.equal(
      result.stdout,
      [
        "OK: Add calculator module",
        "  repo:                https://github.com/user/repo",
        "  clone_branch:        main",
        "  push_branch:         aos/calculator-feature",
        "  max_iterations:      3",
        "  acceptance_commands: 2",
        "",
      ].join("\n"),
    );
    const plain = await runAos(["validate", `${dir}/plain.md`]);
    expectExit(plain, 0);
    assert.match(plain.stdout, new RegExp(`^OK: ${dir}/plain\\.md$`, "m"));
    assert.match(plain.stdout, /max_iterations: {6}5$/m);
    assert.match(plain.stdout, /push_branch: +- \(no push\)$/m);

    const json = await runAos(["validate", `${dir}/task.md`, "--json"]);
    expectExit(json, 0);
    const parsed = JSON.parse(json.stdout);
    assert.equal(parsed.ok, true);
    assert.equal(parsed.work_order.repo, "https://github.com/user/repo");
    assert.equal(parsed.work_order.max_iterations, 3);
  });
});

/** Each kind of bad work order, with the field its message must name. */
const BAD: Record<string, { text: string; field: RegExp }> = {
  "missing repo": {
    text: workOrder("title: No repo"),
    field: /^ {2}- repo: /m,
  },
  "unknown field": {
    text: workOrder("repo: https://github.com/u/r\ncolour: blue"),
    field: /^ {2}- colour: /m,
  },
  "wrong type": {
    text: workOrder("repo: https://github.com/u/r\nmax_iterations: five"),
    field: /^ {2}- max_iterations: /m,
  },
  "out of range": {
    text: workOrder("repo: https://github.com/u/r\nmax_iterations: 50"),
    field: /^ {2}- max_iterations: .*20/m,
  },
  "empty body": {
    text: workOrder("repo: https://github.com/u/r", "   "),
    field: /^ {2}- task: Must not be empty/m,
  },
  "bad push branch": {
    text: workOrder("repo: https://github.com/u/r\npush_branch: 'bad..name'"),
    field: /^ {2}- push_branch: /m,
  },
  "push to the clone branch": {
    text: workOrder(
      "repo: https://github.com/u/r\nclone_branch: main\npush_branch: main",
    ),
    field: /^ {2}- push_branch: /m,
  },
  "acceptance_commands not a list": {
    text: workOrder("repo: https://github.com/u/r\nacceptance_commands: 3"),
    field: /^ {2}- acceptance_commands/m,
  },
  "env not a string map": {
    text: workOrder("repo: https://github.com/u/r\nenv:\n  - A=1"),
    field: /^ {2}- env/m,
  },
  "unsupported repo scheme": {
    text: workOrder("repo: ftp://example.com/r.git"),
    field: /^ {2}- repo: .*scheme/m,
  },
  "broken YAML": {
    text: "---\nrepo: [unclosed\n---\n\nTask\n",
    field: /^ {2}- frontmatter: Malformed YAML/m,
  },
  "no frontmatter": {
    text: "Just a task, no frontmatter.\n",
    field: /^ {2}- frontmatter: .*YAML frontmatter/m,
  },
};

Deno.test("aos validate rejects each kind of bad work order with exit 2 naming the field", async () => {
  const files = Object.fromEntries(
    Object.entries(BAD).map(([, bad], i) => [`bad_${i}.md`, bad.text] as const),
  );
  await withFiles(files, async (dir) => {
    let i = 0;
    for (const [name, bad] of Object.entries(BAD)) {
      const path = `${dir}/bad_${i++}.md`;
      const result = await runAos(["validate", path]);
      expectExit(result, 2);
      assert.equal(result.stdout, "", name);
      assert.match(
        result.stderr,
        new RegExp(`^Error: Invalid work order "${path}"`),
        name,
      );
      assert.match(result.stderr, bad.field, `${name}\n${result.stderr}`);
    }
  });
});

Deno.test("aos validate --json reports the issues as {field, message}", async () => {
  await withFiles({
    "bad.md": workOrder("repo: https://github.com/u/r\nmax_iterations: 0"),
  }, async (dir) => {
    const result = await runAos(["validate", `${dir}/bad.md`, "--json"]);
    expectExit(result, 2);
    const parsed = JSON.parse(result.stdout);
    assert.equal(parsed.error.code, "invalid_input");
    assert.ok(Array.isArray(parsed.error.details));
    assert.equal(parsed.error.details[0].field, "max_iterations");
    assert.equal(typeof parsed.error.details[0].message, "string");
  });
});

Deno.test("aos validate and submit exit 2 on a missing or unreadable file", async () => {
  await withFiles({}, async (dir) => {
    const missing = await runAos(["validate", `${dir}/nope.md`]);
    expectExit(missing, 2);
    assert.match(
      missing.stderr,
      new RegExp(`Cannot read work order "${dir}/nope\\.md": no such file`),
    );
    const directory = await runAos(["submit", dir], {
      env: { AOS_URL: await refusedUrl() },
    });
    expectExit(directory, 2);
    assert.match(directory.stderr, /Cannot read work order/);
  });
});

Deno.test("aos exits 5 with a clear message when the server is down", async () => {
  const url = await refusedUrl();
  await withFiles(
    { "task.md": GOOD, "bad.md": workOrder("title: x") },
    async (dir) => {
      for (
        const args of [["status", "some-id"], ["list"], [
          "submit",
          `${dir}/task.md`,
          "--wait",
        ]]
      ) {
        const result = await runAos(args, { env: { AOS_URL: url } });
        expectExit(result, 5);
        assert.match(
          result.stderr,
          new RegExp(
            `Cannot reach the AOS server at ${url}: connection refused\\. Start it with \`deno task start\` or set AOS_URL`,
          ),
        );
      }
      // Local validation comes first: a bad work order is exit 2 even with no server.
      const bad = await runAos(["submit", `${dir}/bad.md`], {
        env: { AOS_URL: url },
      });
      expectExit(bad, 2);
    },
  );
});

Deno.test("aos exits 5 naming AOS_API_TOKEN when the server rejects the token", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) =>
      req.headers.get("authorization") === "Bearer the-right-token"
        ? Response.json({ runs: [], total: 0, limit: 20, offset: 0 })
        : Response.json({
          error: { code: "unauthorized", message: "Invalid token" },
        }, {
          status: 401,
        }),
  );
  const url = `http://127.0.0.1:${server.addr.port}`;
  try {
    const wrong = await runAos(["list"], {
      env: { AOS_URL: url, AOS_API_TOKEN: "wrong-token-7731" },
    });
    expectExit(wrong, 5);
    assert.match(wrong.stderr, /rejected the API token \(AOS_API_TOKEN\)/);
    assert.ok(
      !wrong.stderr.includes("wrong-token-7731"),
      "the token must not be printed",
    );

    const missing = await runAos(["list"], { env: { AOS_URL: url } });
    expectExit(missing, 5);
    assert.match(missing.stderr, /requires a token: set AOS_API_TOKEN/);

    const right = await runAos(["list"], {
      env: { AOS_URL: url, AOS_API_TOKEN: "the-right-token" },
    });
    expectExit(right, 0);
    assert.match(right.stderr, /No runs/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("aos validate reads bytes: not UTF-8 and a double byte order mark exit 2; one mark is fine", async () => {
  await withFiles({}, async (dir) => {
    const enc = new TextEncoder();
    const cases: [string, Uint8Array, number, RegExp | null][] = [
      [
        "latin1.md",
        new Uint8Array([...enc.encode(GOOD), 0xe9, 0x0a]),
        2,
        /work_order_md: Work order is not valid UTF-8 text/,
      ],
      [
        "twice.md",
        enc.encode(`\uFEFF\uFEFF${GOOD}`),
        2,
        /more than one byte order mark/,
      ],
      ["once.md", enc.encode(`\uFEFF${GOOD}`), 0, null],
    ];
    for (const [name, bytes, code, message] of cases) {
      await Deno.writeFile(`${dir}/${name}`, bytes);
      const result = await runAos(["validate", `${dir}/${name}`]);
      expectExit(result, code);
      if (message) assert.match(result.stderr, message);
    }
  });
});
