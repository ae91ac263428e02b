import {
  deepStrictEqual as assertEquals,
  ok as assert,
  throws,
} from "node:assert/strict";
import { ValidationError } from "../errors.ts";
import {
  isValidRefName,
  parseWorkOrder,
  renderWorkOrderMd,
  type WorkOrder,
  workOrderFromFields,
  type WorkOrderOptions,
} from "./parse.ts";

const REPO = "repo: https://github.com/user/repo";

/** A work order file from frontmatter lines and a body. */
function md(front: string, body = "Do the task."): string {
  return `---\n${front}\n---\n\n${body}\n`;
}

function issuesOf(fn: () => unknown): { field: string; message: string }[] {
  let issues: { field: string; message: string }[] = [];
  throws(fn, (error: unknown) => {
    assert(error instanceof ValidationError, String(error));
    issues = error.issues;
    return true;
  });
  return issues;
}

/** What a work order that sets nothing but `repo` and the task holds. */
const DEFAULTS: Omit<WorkOrder, "repo" | "task"> = {
  clone_branch: "main",
  push_branch: null,
  allow_push_to_clone_branch: false,
  push_mode: "update",
  max_iterations: 5,
  title: null,
  acceptance_commands: [],
  allowed_paths: [],
  forbidden_paths: [],
  context_files: [],
  instructions_files: null,
  env: {},
  secrets: [],
  setup_secrets: false,
  network_allow: [],
  max_tool_steps: 40,
  max_total_tokens: 400_000,
  max_wall_time_s: 1_800,
  command_timeout_s: 300,
  setup_commands: [],
  setup_network: true,
  setup_cache_key: null,
  setup_timeout_s: 900,
  se_commands: true,
  max_se_commands: 30,
  se_command_seconds: 900,
  model: null,
  se_model: null,
  po_model: null,
  pull_request: null,
  approval: "none",
  on_budget: "fail",
  max_cost_usd: null,
  attempts: 1,
  attempt_models: [],
  mcp_servers: {},
};

Deno.test("parseWorkOrder() parses examples/calculator.md to the documented defaults", async () => {
  const source = await Deno.readTextFile(
    new URL("../../examples/calculator.md", import.meta.url),
  );
  const expected: WorkOrder = {
    ...DEFAULTS,
    repo: "https://github.com/user/repo",
    push_branch: "aos/calculator-feature",
    title: "Add calculator module",
    acceptance_commands: [
      'python -c "from calculator import add; assert add(2,3) == 5"',
    ],
    allowed_paths: ["*.py"],
    task: "Create a calculator.py module with an `add(a, b)` function.",
  };
  assertEquals(parseWorkOrder(source), expected);
  assertEquals(parseWorkOrder(new TextEncoder().encode(source)), expected);
});

Deno.test("parseWorkOrder() applies defaults to a minimal work order", () => {
  const wo = parseWorkOrder(md("repo: /srv/examples/demo/repo", "  Task.  "));
  assertEquals(wo, {
    ...DEFAULTS,
    repo: "/srv/examples/demo/repo",
    task: "Task.",
  });
});

Deno.test("parseWorkOrder() accepts every field and every repository form", () => {
  const wo = parseWorkOrder(md([
    "repo: git@github.com:user/repo.git",
    "clone_branch: 3f2a9c1",
    "push_branch: main",
    "allow_push_to_clone_branch: true",
    "max_iterations: 20",
    "title:",
    "acceptance_commands: [deno test, 'echo \"a: b\"']",
    "allowed_paths: ['src/**/*.ts', '*.{md,txt}']",
    "forbidden_paths: ['secrets/**']",
    "context_files: [README.md, src/main.ts]",
    "env: { NODE_ENV: test, _X1: '1' }",
    "max_tool_steps: 200",
    "max_total_tokens: 1000",
    "max_wall_time_s: 60",
    "command_timeout_s: 3600",
    "se_commands: false",
    "max_se_commands: 1000",
    "se_command_seconds: 5",
  ].join("\n")));
  assertEquals(wo.push_branch, "main");
  assertEquals(wo.title, null);
  assertEquals(wo.env, { NODE_ENV: "test", _X1: "1" });
  assertEquals(
    [
      wo.max_tool_steps,
      wo.max_total_tokens,
      wo.max_wall_time_s,
      wo.command_timeout_s,
      wo.se_commands,
      wo.max_se_commands,
      wo.se_command_seconds,
    ],
    [200, 1000, 60, 3600, false, 1000, 5],
  );
  for (
    const repo of [
      "https://github.com/user/repo",
      "http://localhost:3000/r.git",
      "ssh://git@host:2222/r.git",
      "file:///srv/repos/r.git",
      "/srv/repos/r",
    ]
  ) {
    assertEquals(parseWorkOrder(md(`repo: ${repo}`)).repo, repo);
  }
});

/** [case, work order file, expected field, pattern the message must match]. */
const REJECTIONS: [string, string, string, RegExp][] = [
  ["missing repo", md("title: x"), "repo", /^Required field is missing$/],
  [
    "repo of wrong type",
    md("repo: 42"),
    "repo",
    /Must be a string, got number 42/,
  ],
  ["empty repo", md("repo: ''"), "repo", /Must not be empty/],
  [
    "repo with an ftp scheme",
    md("repo: ftp://host/r"),
    "repo",
    /Unsupported scheme 'ftp:'/,
  ],
  [
    "repo with a javascript scheme",
    md("repo: 'javascript:alert(1)'"),
    "repo",
    /Unsupported scheme 'javascript:'/,
  ],
  [
    "repo with a git transport helper",
    md("repo: 'ext::sh -c touch% /tmp/x'"),
    "repo",
    /whitespace|Unsupported/,
  ],
  [
    "repo with ext:: and no spaces",
    md("repo: 'ext::evil'"),
    "repo",
    /Unsupported scheme 'ext:'/,
  ],
  [
    "repo starting with -",
    md("repo: --upload-pack=touch"),
    "repo",
    /Must not start with '-'/,
  ],
  [
    "repo with whitespace",
    md("repo: 'https://h/a b'"),
    "repo",
    /whitespace or control/,
  ],
  [
    "repo with a control character",
    md('repo: "https://h/a\\tb"'),
    "repo",
    /whitespace or control/,
  ],
  [
    "repo with credentials",
    md("repo: https://user:tok@github.com/u/r"),
    "repo",
    /credentials/,
  ],
  [
    "repo with a token as user",
    md("repo: https://ghp_abc@github.com/u/r"),
    "repo",
    /credentials/,
  ],
  [
    "repo URL without a host",
    md("repo: 'https:///x'"),
    "repo",
    /host|valid URL/,
  ],
  [
    "repo URL with ..",
    md("repo: https://github.com/acme/../evil/r"),
    "repo",
    /'\.\.' segments/,
  ],
  ["unknown field", md(`${REPO}\nfoo: 1`), "foo", /^Unknown field 'foo'$/],
  [
    "misspelled field",
    md(`${REPO}\nmax_iteration: 3`),
    "max_iteration",
    /did you mean 'max_iterations'/,
  ],
  [
    "limits as a nested mapping",
    md(`${REPO}\nlimits: {max_tool_steps: 3}`),
    "limits",
    /top level/,
  ],
  [
    "task in the frontmatter",
    md(`${REPO}\ntask: x`),
    "task",
    /markdown body is the task/,
  ],
  [
    "clone_branch of wrong type",
    md(`${REPO}\nclone_branch: 1234567`),
    "clone_branch",
    /Must be a string, got number 1234567 \(quote it in YAML\)/,
  ],
  [
    "clone_branch that is not a ref",
    md(`${REPO}\nclone_branch: 'a..b'`),
    "clone_branch",
    /'\.\.'/,
  ],
  [
    "max_iterations 0",
    md(`${REPO}\nmax_iterations: 0`),
    "max_iterations",
    /integer from 1 to 20, got number 0/,
  ],
  [
    "max_iterations 21",
    md(`${REPO}\nmax_iterations: 21`),
    "max_iterations",
    /integer from 1 to 20, got number 21/,
  ],
  [
    "max_iterations 2.5",
    md(`${REPO}\nmax_iterations: 2.5`),
    "max_iterations",
    /integer from 1 to 20, got number 2.5/,
  ],
  [
    "max_iterations as a string",
    md(`${REPO}\nmax_iterations: five`),
    "max_iterations",
    /got string 'five'/,
  ],
  [
    "max_tool_steps out of range",
    md(`${REPO}\nmax_tool_steps: 201`),
    "max_tool_steps",
    /from 1 to 200/,
  ],
  [
    "command_timeout_s out of range",
    md(`${REPO}\ncommand_timeout_s: 0`),
    "command_timeout_s",
    /from 1 to 3600/,
  ],
  [
    "max_total_tokens negative",
    md(`${REPO}\nmax_total_tokens: -5`),
    "max_total_tokens",
    /from 1 to/,
  ],
  [
    "max_cost_usd zero",
    md(`${REPO}\nmax_cost_usd: 0`),
    "max_cost_usd",
    /Must be more than 0/,
  ],
  [
    "max_cost_usd as a string",
    md(`${REPO}\nmax_cost_usd: '$5'`),
    "max_cost_usd",
    /got string '\$5'/,
  ],
  [
    "on_budget unknown",
    md(`${REPO}\non_budget: wait`),
    "on_budget",
    /one of 'fail', 'pause'/,
  ],
  [
    "max_wall_time_s as a string",
    md(`${REPO}\nmax_wall_time_s: '60'`),
    "max_wall_time_s",
    /got string '60'/,
  ],
  [
    "allow_push_to_clone_branch not boolean",
    md(`${REPO}\nallow_push_to_clone_branch: 'yes'`),
    "allow_push_to_clone_branch",
    /true or false/,
  ],
  [
    "push_branch equal to clone_branch",
    md(`${REPO}\npush_branch: main`),
    "push_branch",
    /differ from clone_branch 'main'/,
  ],
  [
    "push_branch equal to a custom clone_branch",
    md(`${REPO}\nclone_branch: dev\npush_branch: dev`),
    "push_branch",
    /'dev'/,
  ],
  [
    "push_branch with ..",
    md(`${REPO}\npush_branch: 'a..b'`),
    "push_branch",
    /'\.\.'/,
  ],
  [
    "push_branch with a space",
    md(`${REPO}\npush_branch: 'a b'`),
    "push_branch",
    /spaces/,
  ],
  ["push_branch with ~", md(`${REPO}\npush_branch: 'a~1'`), "push_branch", /~/],
  ["push_branch with ^", md(`${REPO}\npush_branch: 'a^'`), "push_branch", /\^/],
  ["push_branch with :", md(`${REPO}\npush_branch: 'a:b'`), "push_branch", /:/],
  ["push_branch with ?", md(`${REPO}\npush_branch: 'a?'`), "push_branch", /\?/],
  ["push_branch with *", md(`${REPO}\npush_branch: 'a*'`), "push_branch", /\*/],
  [
    "push_branch with [",
    md(`${REPO}\npush_branch: 'a[b'`),
    "push_branch",
    /\[/,
  ],
  [
    "push_branch with a backslash",
    md(`${REPO}\npush_branch: 'a\\b'`),
    "push_branch",
    /\\/,
  ],
  [
    "push_branch with a control character",
    md(`${REPO}\npush_branch: "a\\x01b"`),
    "push_branch",
    /control/,
  ],
  [
    "push_branch starting with -",
    md(`${REPO}\npush_branch: '-f'`),
    "push_branch",
    /start with '-'/,
  ],
  [
    "push_branch starting with /",
    md(`${REPO}\npush_branch: '/a'`),
    "push_branch",
    /'\/'/,
  ],
  [
    "push_branch ending with /",
    md(`${REPO}\npush_branch: 'a/'`),
    "push_branch",
    /'\/'/,
  ],
  [
    "push_branch with //",
    md(`${REPO}\npush_branch: 'a//b'`),
    "push_branch",
    /'\/\/'/,
  ],
  [
    "push_branch ending with .lock",
    md(`${REPO}\npush_branch: 'a/b.lock'`),
    "push_branch",
    /\.lock/,
  ],
  [
    "push_branch ending with .",
    md(`${REPO}\npush_branch: 'a.'`),
    "push_branch",
    /end with '\.'/,
  ],
  [
    "push_branch component starting with .",
    md(`${REPO}\npush_branch: 'a/.b'`),
    "push_branch",
    /start with '\.'/,
  ],
  [
    "push_branch with @{",
    md(`${REPO}\npush_branch: 'a@{1}'`),
    "push_branch",
    /@\{/,
  ],
  ["push_branch @", md(`${REPO}\npush_branch: '@'`), "push_branch", /'@'/],
  ["push_branch empty", md(`${REPO}\npush_branch: ''`), "push_branch", /empty/],
  [
    "push_branch of wrong type",
    md(`${REPO}\npush_branch: [a]`),
    "push_branch",
    /Must be a string, got a list/,
  ],
  [
    "title of wrong type",
    md(`${REPO}\ntitle: 2024-01-01`),
    "title",
    /got date '2024-01-01' \(quote it in YAML\)/,
  ],
  [
    "title too long",
    md(`${REPO}\ntitle: ${"t".repeat(201)}`),
    "title",
    /at most 200 characters/,
  ],
  [
    "acceptance_commands not a list",
    md(`${REPO}\nacceptance_commands: make test`),
    "acceptance_commands",
    /Must be a list, got string/,
  ],
  [
    "acceptance command not a string",
    md(`${REPO}\nacceptance_commands: [1]`),
    "acceptance_commands.0",
    /Must be a string/,
  ],
  [
    "empty acceptance command",
    md(`${REPO}\nacceptance_commands: ['']`),
    "acceptance_commands.0",
    /Must not be empty/,
  ],
  [
    "absolute glob",
    md(`${REPO}\nallowed_paths: ['/etc/*']`),
    "allowed_paths.0",
    /relative to the repository root/,
  ],
  [
    "glob with ..",
    md(`${REPO}\nforbidden_paths: ['src/../../x']`),
    "forbidden_paths.0",
    /'\.\.' segments/,
  ],
  [
    "empty glob",
    md(`${REPO}\nallowed_paths: ['']`),
    "allowed_paths.0",
    /Must not be empty/,
  ],
  [
    "unbalanced bracket glob",
    md(`${REPO}\nallowed_paths: ['src/[a']`),
    "allowed_paths.0",
    /not a valid glob \(missing closing '\]'\)/,
  ],
  [
    "unbalanced brace glob",
    md(`${REPO}\nforbidden_paths: ['*.{js']`),
    "forbidden_paths.0",
    /missing closing '\}'/,
  ],
  [
    "negated glob",
    md(`${REPO}\nallowed_paths: ['!x']`),
    "allowed_paths.0",
    /Negated globs/,
  ],
  [
    "glob not a string",
    md(`${REPO}\nallowed_paths: [{a: 1}]`),
    "allowed_paths.0",
    /got a mapping/,
  ],
  [
    "absolute context file",
    md(`${REPO}\ncontext_files: [/etc/passwd]`),
    "context_files.0",
    /relative/,
  ],
  [
    "context file with ..",
    md(`${REPO}\ncontext_files: [../x]`),
    "context_files.0",
    /'\.\.'/,
  ],
  [
    "env value not a string",
    md(`${REPO}\nenv: {PORT: 8080}`),
    "env.PORT",
    /Must be a string, got number 8080 \(quote it in YAML\)/,
  ],
  ["env value a list", md(`${REPO}\nenv: {A: [1]}`), "env.A", /got a list/],
  [
    "env not a mapping",
    md(`${REPO}\nenv: [A]`),
    "env",
    /Must be a mapping, got a list/,
  ],
  [
    "env name invalid",
    md(`${REPO}\nenv: {'1BAD': x}`),
    "env.1BAD",
    /must match/,
  ],
  [
    "env name with a dash",
    md(`${REPO}\nenv: {'A-B': x}`),
    "env.A-B",
    /must match/,
  ],
  [
    "env OPENAI_API_KEY",
    md(`${REPO}\nenv: {OPENAI_API_KEY: x}`),
    "env.OPENAI_API_KEY",
    /reserved/,
  ],
  [
    "env GITHUB_TOKEN",
    md(`${REPO}\nenv: {GITHUB_TOKEN: x}`),
    "env.GITHUB_TOKEN",
    /reserved/,
  ],
  [
    "env AOS_*",
    md(`${REPO}\nenv: {AOS_API_TOKEN: x}`),
    "env.AOS_API_TOKEN",
    /reserved/,
  ],
  [
    "empty task body",
    md(REPO, "   \n\n "),
    "task",
    /Must not be empty: the markdown body/,
  ],
  ["no task body", `---\n${REPO}\n---\n`, "task", /Must not be empty/],
  [
    "malformed YAML",
    "---\nrepo: [a\nx: 1\n---\nbody",
    "frontmatter",
    /^Malformed YAML at line 3, column 1: /,
  ],
  [
    "bad indentation",
    `---\n${REPO}\n  title: x\n  - y\n---\nbody`,
    "frontmatter",
    /Malformed YAML at line \d+/,
  ],
  [
    "duplicate key",
    `---\n${REPO}\n${REPO}\n---\nbody`,
    "frontmatter",
    /Malformed YAML at line 3, column \d+: duplicated mapping key/,
  ],
  [
    "frontmatter that is a list",
    "---\n- a\n---\nbody",
    "frontmatter",
    /YAML mapping/,
  ],
  [
    "no frontmatter",
    "# Title\n\nDo it.",
    "frontmatter",
    /must start with YAML frontmatter/,
  ],
  ["unclosed frontmatter", `---\n${REPO}\nbody`, "frontmatter", /not closed/],
  [
    "JavaScript frontmatter",
    "---js\n{ repo: 'x' }\n---\nbody",
    "frontmatter",
    /plain '---' line/,
  ],
  [
    "file over 1 MiB",
    md(REPO, "x".repeat(1024 * 1024)),
    "work_order_md",
    /more than the limit of 1048576/,
  ],
];

for (const [name, source, field, message] of REJECTIONS) {
  Deno.test(`parseWorkOrder() rejects ${name} naming '${field}'`, () => {
    const issues = issuesOf(() => parseWorkOrder(source));
    const issue = issues.find((i) => i.field === field);
    assert(issue, `no issue for '${field}' in ${JSON.stringify(issues)}`);
    assert(
      message.test(issue.message),
      `'${issue.message}' does not match ${message}`,
    );
    assert(!issue.message.endsWith("."), "no trailing period");
    assert(/^[A-Z]/.test(issue.message), "sentence case");
  });
}

Deno.test("parseWorkOrder() accepts CRLF line endings and a byte order mark", () => {
  const wo = parseWorkOrder(
    "\uFEFF---\r\nrepo: /x\r\ntitle: T\r\n---\r\n\r\nBody\r\nmore\r\n",
  );
  assertEquals([wo.repo, wo.title, wo.task], ["/x", "T", "Body\nmore"]);
});

Deno.test("parseWorkOrder() rejects bytes that are not UTF-8", () => {
  const bytes = new Uint8Array([
    ...new TextEncoder().encode(md(REPO)),
    0xff,
    0xfe,
  ]);
  assertEquals(issuesOf(() => parseWorkOrder(bytes)), [
    { field: "work_order_md", message: "Work order is not valid UTF-8 text" },
  ]);
  const big = new Uint8Array(1024 * 1024 + 1).fill(0x61);
  assertEquals(issuesOf(() => parseWorkOrder(big))[0]?.field, "work_order_md");
});

Deno.test("parseWorkOrder() reports every problem at once", () => {
  const issues = issuesOf(() =>
    parseWorkOrder(
      md(
        "max_iterations: 50\nfoo: 1\nenv: {A: 1, GITHUB_TOKEN: x}\npush_branch: main",
        " ",
      ),
    )
  );
  assertEquals(issues.map((i) => i.field).sort(), [
    "env.A",
    "env.GITHUB_TOKEN",
    "foo",
    "max_iterations",
    "push_branch",
    "repo",
    "task",
  ]);
});

Deno.test("parseWorkOrder() enforces the repository allowlist", () => {
  const options: WorkOrderOptions = {
    repoAllowlist: ["https://github.com/acme/", "file:///srv/repos/*.git"],
  };
  assertEquals(
    parseWorkOrder(md("repo: https://github.com/acme/app"), options).repo,
    "https://github.com/acme/app",
  );
  assertEquals(
    parseWorkOrder(md("repo: file:///srv/repos/a.git"), options).repo,
    "file:///srv/repos/a.git",
  );
  for (
    const repo of [
      "https://github.com/evil/app",
      "file:///srv/repos/x/a.git",
      "/srv/repos/a.git",
    ]
  ) {
    const issues = issuesOf(() => parseWorkOrder(md(`repo: ${repo}`), options));
    assertEquals(issues, [{
      field: "repo",
      message: `Repository '${repo}' is not allowed by AOS_REPO_ALLOWLIST`,
    }]);
  }
  assertEquals(
    parseWorkOrder(md("repo: /anything"), { repoAllowlist: [] }).repo,
    "/anything",
  );
});

Deno.test("workOrderFromFields() validates JSON fields with the same rules", () => {
  const wo = workOrderFromFields({
    repo: "https://github.com/user/repo",
    push_branch: null,
    title: "T",
    max_iterations: 3,
    env: { A: "1" },
    task: "  Body  ",
  });
  assertEquals([
    wo.repo,
    wo.push_branch,
    wo.title,
    wo.max_iterations,
    wo.env,
    wo.task,
  ], [
    "https://github.com/user/repo",
    null,
    "T",
    3,
    { A: "1" },
    "Body",
  ]);
  assertEquals(issuesOf(() => workOrderFromFields({ repo: "/x" })), [
    {
      field: "task",
      message:
        "Must not be empty: the markdown body after the frontmatter is the task (JSON: the 'task' field)",
    },
  ]);
  assertEquals(
    issuesOf(() =>
      workOrderFromFields({
        repo: "/x",
        task: "t",
        max_iterations: "5",
        bogus: true,
      })
    ),
    [
      {
        field: "max_iterations",
        message: "Must be an integer from 1 to 20, got string '5'",
      },
      { field: "bogus", message: "Unknown field 'bogus'" },
    ],
  );
  assertEquals(
    issuesOf(() =>
      workOrderFromFields(null as unknown as Record<string, unknown>)
    )[0]?.field,
    "",
  );
});

Deno.test("renderWorkOrderMd() round-trips through parseWorkOrder()", () => {
  const cases: WorkOrder[] = [
    parseWorkOrder(md(REPO)),
    {
      repo: "git@github.com:user/repo.git",
      clone_branch: "0123",
      push_branch: "feature/x-1",
      allow_push_to_clone_branch: false,
      push_mode: "suffix",
      approval: "before_push",
      on_budget: "pause",
      max_cost_usd: 2.5,
      max_iterations: 20,
      title: "true",
      acceptance_commands: [
        "echo 'a: b' # c",
        "null",
        "- dash",
        "  indented",
        "multi\nline\n",
      ],
      allowed_paths: ["*.py", "src/**/{a,b}.ts"],
      forbidden_paths: ["secrets/**"],
      context_files: ["README.md"],
      instructions_files: ["docs/AGENTS.md", "AGENTS.md"],
      env: { A: "1", B: "yes", C: "", D: "2024-01-01", E: "x\ty", F: "~" },
      secrets: ["NPM_TOKEN", "PYPI_TOKEN"],
      setup_secrets: true,
      network_allow: ["pypi.org", "*.pythonhosted.org"],
      max_tool_steps: 7,
      max_total_tokens: 123,
      max_wall_time_s: 45,
      command_timeout_s: 6,
      setup_commands: [
        "npm ci",
        "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt",
      ],
      setup_network: false,
      setup_cache_key: ["package-lock.json", "requirements*.txt"],
      setup_timeout_s: 1200,
      se_commands: false,
      max_se_commands: 3,
      se_command_seconds: 60,
      model: "qwen2.5-coder:1.5b",
      se_model: "org/coder-7b@q4",
      po_model: null,
      pull_request: { title: "Add it", draft: false },
      attempts: 1,
      attempt_models: ["gpt-4.1"],
      mcp_servers: {
        docs: { command: ["node", "server.js", "--x=1"], env: { A: "1" } },
        "web-1": { url: "https://mcp.example.com/mcp" },
      },
      task: "# Heading\n\n---\n\nBody with --- and `code`.\n\n    indented",
    },
    {
      ...parseWorkOrder(md(REPO)),
      push_branch: "main",
      allow_push_to_clone_branch: true,
      title: "Ünïcødé ✓ 'q' \"d\"",
      attempts: 3,
      attempt_models: ["a", "org/b:1"],
    },
  ];
  for (const wo of cases) {
    const rendered = renderWorkOrderMd(wo);
    assertEquals(parseWorkOrder(rendered), wo, rendered);
    assertEquals(renderWorkOrderMd(parseWorkOrder(rendered)), rendered);
  }
});

Deno.test("isValidRefName() follows git check-ref-format --branch", () => {
  for (
    const ok of [
      "main",
      "feature/x",
      "aos/calculator-feature",
      "v1.2",
      "a@b",
      "3f2a9c1",
    ]
  ) {
    assert(isValidRefName(ok), ok);
  }
  for (
    const bad of [
      "",
      "a..b",
      "-x",
      "a b",
      "a.lock",
      "a/",
      "/a",
      "a//b",
      "@",
      "a@{u}",
      ".a",
      "a/.b",
      "a.",
      "a:b",
    ]
  ) {
    assert(!isValidRefName(bad), bad);
  }
});

Deno.test("parseWorkOrder() reads the setup fields and rejects bad ones by name", () => {
  const wo = parseWorkOrder(
    md(
      `${REPO}\nsetup_commands: ["npm ci"]\nsetup_network: false\nsetup_cache_key: ["package-lock.json"]\nsetup_timeout_s: 60`,
    ),
  );
  assertEquals(wo.setup_commands, ["npm ci"]);
  assertEquals(wo.setup_network, false);
  assertEquals(wo.setup_cache_key, ["package-lock.json"]);
  assertEquals(wo.setup_timeout_s, 60);
  const issues = issuesOf(() =>
    parseWorkOrder(
      md(
        `${REPO}\nsetup_commands: "npm ci"\nsetup_network: "yes"\nsetup_cache_key: []\nsetup_timeout_s: 0`,
      ),
    )
  );
  assertEquals(issues.map((i) => i.field).sort(), [
    "setup_cache_key",
    "setup_commands",
    "setup_network",
    "setup_timeout_s",
  ]);
  assertEquals(
    issues.find((i) => i.field === "setup_timeout_s")?.message,
    "Must be an integer from 1 to 7200, got number 0",
  );
  assertEquals(
    issues.find((i) => i.field === "setup_network")?.message,
    "Must be true or false, got string 'yes'",
  );
});

Deno.test("parseWorkOrder() reads per-run models and rejects names that are not model names", () => {
  const wo = parseWorkOrder(
    md(`${REPO}\nmodel: gpt-4.1-mini\nse_model: "qwen2.5-coder:1.5b"`),
  );
  assertEquals(
    [wo.model, wo.se_model, wo.po_model],
    ["gpt-4.1-mini", "qwen2.5-coder:1.5b", null],
  );
  const issues = issuesOf(() =>
    parseWorkOrder(
      md(`${REPO}\nmodel: ""\nse_model: "a b; rm -rf /"\npo_model: 4`),
    )
  );
  assertEquals(issues, [
    { field: "model", message: "Must not be empty" },
    {
      field: "se_model",
      message:
        "Must be a model name (letters, digits and . _ : / @ + -), got 'a b; rm -rf /'",
    },
    {
      field: "po_model",
      message: "Must be a string, got number 4 (quote it in YAML)",
    },
  ]);
});

Deno.test("parseWorkOrder() reads pull_request as true, false or a mapping and requires push_branch", () => {
  const with_ = (pr: string) =>
    parseWorkOrder(md(`${REPO}\npush_branch: aos/x\npull_request: ${pr}`));
  assertEquals(with_("true").pull_request, {});
  assertEquals(with_("false").pull_request, null);
  assertEquals(
    with_("{ title: Add it, draft: true, base: develop, body: See below }")
      .pull_request,
    { title: "Add it", draft: true, base: "develop", body: "See below" },
  );
  assertEquals(parseWorkOrder(md(REPO)).pull_request, null);
  // The canonical markdown round-trips it.
  const wo = with_("{ draft: true }");
  assertEquals(parseWorkOrder(renderWorkOrderMd(wo)), wo);
  assertEquals(
    issuesOf(() => parseWorkOrder(md(`${REPO}\npull_request: true`))),
    [{
      field: "pull_request",
      message:
        "Requires push_branch: the pull request is opened from that branch",
    }],
  );
  const bad = issuesOf(() =>
    parseWorkOrder(
      md(
        `${REPO}\npush_branch: aos/x\npull_request: { titel: x, draft: "no", base: "a..b" }`,
      ),
    )
  );
  assertEquals(bad.map((i) => i.field).sort(), [
    "pull_request.base",
    "pull_request.draft",
    "pull_request.titel",
  ]);
  assertEquals(
    issuesOf(() =>
      parseWorkOrder(
        md(`${REPO}\npush_branch: aos/x\npull_request: { base: aos/x }`),
      )
    ),
    [{
      field: "pull_request.base",
      message: "Must differ from push_branch 'aos/x'",
    }],
  );
  assertEquals(
    issuesOf(() =>
      parseWorkOrder(md(`${REPO}\npush_branch: aos/x\npull_request: "yes"`))
    ).map((i) => i.field),
    ["pull_request"],
  );
});

Deno.test("parseWorkOrder() takes local repositories only as absolute paths without '..'", () => {
  for (const repo of ["./acme", "../sibling/repo", "repo-dir", "~/r"]) {
    assertEquals(issuesOf(() => parseWorkOrder(md(`repo: ${repo}`))), [{
      field: "repo",
      message: `A local path must be absolute, got '${repo}'`,
    }]);
  }
  for (const repo of ["/srv/../etc/repo", "/srv/./r", "/srv/r/.."]) {
    assertEquals(issuesOf(() => parseWorkOrder(md(`repo: ${repo}`))), [{
      field: "repo",
      message: `Must not contain '.' or '..' segments, got '${repo}'`,
    }]);
  }
});

Deno.test("parseWorkOrder() refuses local repositories unless allowLocalRepos", () => {
  const off: WorkOrderOptions = { allowLocalRepos: false };
  // A host path without its scheme gets the one https:// hint, not also a local-repository refusal.
  assertEquals(
    issuesOf(() => parseWorkOrder(md("repo: github.com/x/y"), off)).map((
      issue,
    ) => issue.field),
    ["repo"],
  );
  for (const repo of ["/srv/repos/r.git", "file:///srv/repos/r.git"]) {
    assertEquals(issuesOf(() => parseWorkOrder(md(`repo: ${repo}`), off)), [{
      field: "repo",
      message:
        `Local repository '${repo}' is not allowed: this server does not set AOS_ALLOW_LOCAL_REPOS=true`,
    }]);
    assertEquals(
      parseWorkOrder(md(`repo: ${repo}`), { allowLocalRepos: true }).repo,
      repo,
    );
  }
  for (
    const repo of ["https://github.com/u/r", "git@github.com:u/r.git"]
  ) assertEquals(parseWorkOrder(md(`repo: ${repo}`), off).repo, repo);
});

Deno.test("parseWorkOrder() checks push_branch as git check-ref-format --branch does", () => {
  const push = (name: string) =>
    issuesOf(() => parseWorkOrder(md(`${REPO}\npush_branch: '${name}'`)))
      .find((i) => i.field === "push_branch")?.message ?? "";
  assert(/Must not be 'HEAD'/.test(push("HEAD")));
  assert(
    /not a full ref: got 'refs\/heads\/x', use 'x'/.test(push("refs/heads/x")),
  );
  assert(/not a full ref/.test(push("refs/tags/v1")));
  assert(/over 250 bytes/.test(push("a".repeat(251))), push("a".repeat(251)));
  assert(/at most 255 bytes, got 256/.test(push("a/".repeat(127) + "ab")));
  assert(/at most 255 bytes/.test(push("é".repeat(128))));
  assertEquals(
    parseWorkOrder(md(`${REPO}\npush_branch: ${"a".repeat(250)}`)).push_branch,
    "a".repeat(250),
  );
  assertEquals(
    parseWorkOrder(md(`${REPO}\npush_branch: heads/HEAD-fix`)).push_branch,
    "heads/HEAD-fix",
  );
});

Deno.test("parseWorkOrder() treats a byte order mark alike in bytes and text; two are refused", () => {
  const text = md(REPO);
  const bytes = (s: string) => new TextEncoder().encode(s);
  assertEquals(parseWorkOrder(`\uFEFF${text}`), parseWorkOrder(text));
  assertEquals(parseWorkOrder(bytes(`\uFEFF${text}`)), parseWorkOrder(text));
  const twice = [
    {
      field: "work_order_md",
      message: "Work order starts with more than one byte order mark (U+FEFF)",
    },
  ];
  assertEquals(issuesOf(() => parseWorkOrder(`\uFEFF\uFEFF${text}`)), twice);
  assertEquals(
    issuesOf(() => parseWorkOrder(bytes(`\uFEFF\uFEFF${text}`))),
    twice,
  );
  assertEquals(issuesOf(() => parseWorkOrder(`${text}\uD800`)), [{
    field: "work_order_md",
    message: "Work order is not valid Unicode text",
  }]);
});

Deno.test("parseWorkOrder() hints: a URL without its scheme, a string where a list belongs", () => {
  assertEquals(
    issuesOf(() =>
      parseWorkOrder(md(
        "repo: github.com/x/y\nacceptance_commands: npm test\nsetup_commands: npm ci",
      ))
    ),
    [
      {
        field: "repo",
        message:
          "Is not a URL (no scheme) nor an absolute path, got 'github.com/x/y': did you mean 'https://github.com/x/y'?",
      },
      {
        field: "acceptance_commands",
        message:
          `Must be a list, got string 'npm test' (a list: write each entry on its own line as '- npm test', or ["npm test"])`,
      },
      {
        field: "setup_commands",
        message:
          `Must be a list, got string 'npm ci' (a list: write each entry on its own line as '- npm ci', or ["npm ci"])`,
      },
    ],
  );
  // A GitLab subgroup: the same hint.
  assertEquals(
    issuesOf(() => parseWorkOrder(md("repo: gitlab.example.com/a/b/c")))[0]
      ?.message,
    "Is not a URL (no scheme) nor an absolute path, got 'gitlab.example.com/a/b/c': did you mean 'https://gitlab.example.com/a/b/c'?",
  );
  // A stranger's line break stays escaped in the hint.
  const message =
    issuesOf(() =>
      parseWorkOrder(md(`${REPO}\nacceptance_commands: "a\\nb"`))
    )[0]?.message ?? "";
  assert(!message.includes("\n"), message);
});

Deno.test("parseWorkOrder() reports an unclosed quote where it opened, not at the end of the frontmatter", () => {
  for (const quote of [`"`, `'`]) {
    const kind = quote === `"` ? "double" : "single";
    assertEquals(
      issuesOf(() =>
        parseWorkOrder(
          `---\n${REPO}\ntitle: ${quote}Fix the thing\nmax_iterations: 3\nacceptance_commands:\n  - npm test\n---\nbody\n`,
        )
      ),
      [{
        field: "frontmatter",
        message:
          `Malformed YAML at line 3, column 8: the ${kind}-quoted value that opens there is never closed (add the closing ${kind} quote)`,
      }],
    );
  }
  // Closed quotes (escaped, doubled, spanning lines, in a flow list, inside a plain scalar) are passed over.
  assertEquals(
    issuesOf(() =>
      parseWorkOrder([
        "---",
        REPO,
        `title: "say \\"hi\\" # not a comment"`,
        "env: { A: 'it''s', B: \"x\" }",
        `acceptance_commands: ["a", 'b', "c`,
        `d"]`,
        "context_files:",
        "  - it's.md",
        `  - "open.md`,
        "---",
        "body",
      ].join("\n"))
    )[0]?.message,
    "Malformed YAML at line 9, column 5: the double-quoted value that opens there is never closed (add the closing double quote)",
  );
});

Deno.test("parseWorkOrder() finds an unclosed quote in a hostile 1 MiB line in linear time", () => {
  const items = Array.from({ length: 90_000 }, (_, i) => `"${i}"`).join(",");
  const text =
    `---\n${REPO}\nacceptance_commands: [${items}, "open\n---\nbody\n`;
  const issues = issuesOf(() => parseWorkOrder(text));
  assertEquals(issues[0]?.field, "frontmatter");
  assert(
    /^Malformed YAML at line 3, column \d+: the double-quoted value/.test(
      issues[0]!.message,
    ),
    issues[0]!.message,
  );
});

Deno.test("instructions_files: a list of repo paths or false; anything else is refused naming the field", () => {
  assertEquals(
    parseWorkOrder(md(`${REPO}\ninstructions_files: false`)).instructions_files,
    false,
  );
  assertEquals(
    parseWorkOrder(md(`${REPO}\ninstructions_files: [docs/RULES.md]`))
      .instructions_files,
    ["docs/RULES.md"],
  );
  for (
    const bad of [
      "true",
      "[]",
      "[../outside.md]",
      "[/etc/passwd]",
      "AGENTS.md",
      `[${Array.from({ length: 11 }, (_, i) => `f${i}.md`).join(", ")}]`,
    ]
  ) {
    const issues = issuesOf(() =>
      parseWorkOrder(md(`${REPO}\ninstructions_files: ${bad}`))
    );
    assert(
      issues.some((i) => i.field.startsWith("instructions_files")),
      `${bad}: ${JSON.stringify(issues)}`,
    );
  }
});

Deno.test("secrets: names from AOS_SECRETS only, never also in env; an unknown one is named", () => {
  const known = { secretNames: ["NPM_TOKEN", "PYPI_TOKEN"] };
  const wo = parseWorkOrder(
    md(`${REPO}\nsecrets: [NPM_TOKEN]\nsetup_secrets: true`),
    known,
  );
  assertEquals([wo.secrets, wo.setup_secrets], [["NPM_TOKEN"], true]);
  const issues = issuesOf(() =>
    parseWorkOrder(
      md(
        `${REPO}\nsecrets: [NPM_TOKEN, DEPLOY_KEY, "bad name", OPENAI_API_KEY]\nenv: { NPM_TOKEN: x }\nsetup_secrets: "yes"`,
      ),
      known,
    )
  );
  assertEquals(issues.map((i) => `${i.field}: ${i.message}`).sort(), [
    "secrets.0: Secret 'NPM_TOKEN' is also set in env: name it in one place",
    "secrets.1: Unknown secret 'DEPLOY_KEY': this server's AOS_SECRETS has no secret of that name",
    "secrets.2: Variable name 'bad name' must match [A-Za-z_][A-Za-z0-9_]* (at most 128 characters)",
    "secrets.3: Variable 'OPENAI_API_KEY' is reserved: service secrets and AOS_* settings never reach commands",
    "setup_secrets: Must be true or false, got string 'yes'",
  ]);
  // A server without AOS_SECRETS refuses every name; reading back (no names given) checks none.
  assertEquals(
    issuesOf(() =>
      parseWorkOrder(md(`${REPO}\nsecrets: [X_1]`), { secretNames: [] })
    )
      .map((i) => i.field),
    ["secrets.0"],
  );
  assertEquals(parseWorkOrder(md(`${REPO}\nsecrets: [X_1]`)).secrets, ["X_1"]);
});

Deno.test("network_allow: host patterns within AOS_NETWORK_ALLOW_MAX; unset refuses any", () => {
  const max = { networkAllowMax: ["pypi.org", "*.pythonhosted.org"] };
  const wo = parseWorkOrder(
    md(`${REPO}\nnetwork_allow: [pypi.org, "*.files.pythonhosted.org"]`),
    max,
  );
  assertEquals(wo.network_allow, ["pypi.org", "*.files.pythonhosted.org"]);
  const issues = issuesOf(() =>
    parseWorkOrder(
      md(
        `${REPO}\nnetwork_allow: [evil.com, "https://pypi.org", "*.org", "pythonhosted.org"]`,
      ),
      max,
    )
  );
  assertEquals(issues.map((i) => i.field), [
    "network_allow.1",
    "network_allow.2",
    "network_allow.0",
    "network_allow.3",
  ]);
  assert(
    /not within this server's AOS_NETWORK_ALLOW_MAX/.test(issues[2]!.message),
  );
  assertEquals(
    issuesOf(() =>
      parseWorkOrder(md(`${REPO}\nnetwork_allow: [pypi.org]`), {
        networkAllowMax: [],
      })
    ).map((i) => i.message),
    [
      "This server gives commands no network: its AOS_NETWORK_ALLOW_MAX is unset",
    ],
  );
  // Reading back checks no ceiling; an empty list asks nothing.
  assertEquals(
    parseWorkOrder(md(`${REPO}\nnetwork_allow: [pypi.org]`)).network_allow,
    ["pypi.org"],
  );
  assertEquals(
    parseWorkOrder(md(`${REPO}\nnetwork_allow: []`), { networkAllowMax: [] })
      .network_allow,
    [],
  );
});

Deno.test("parseWorkOrder() reads attempts 1-4 and attempt_models no longer than attempts", () => {
  const wo = parseWorkOrder(
    md(`${REPO}\nattempts: 3\nattempt_models: [gpt-4.1, "qwen2.5-coder:1.5b"]`),
  );
  assertEquals([wo.attempts, wo.attempt_models], [3, [
    "gpt-4.1",
    "qwen2.5-coder:1.5b",
  ]]);
  for (const bad of ["0", "5", "2.5", '"3"']) {
    assertEquals(
      issuesOf(() => parseWorkOrder(md(`${REPO}\nattempts: ${bad}`))).map((
        i,
      ) => i.field),
      ["attempts"],
      bad,
    );
  }
  assertEquals(
    issuesOf(() => parseWorkOrder(md(`${REPO}\nattempts: 5`))),
    [{
      field: "attempts",
      message: "Must be an integer from 1 to 4, got number 5",
    }],
  );
  assertEquals(
    issuesOf(() =>
      parseWorkOrder(md(`${REPO}\nattempts: 2\nattempt_models: [a, b, c]`))
    ),
    [{
      field: "attempt_models",
      message: "Must have at most as many entries as attempts (2), got 3",
    }],
  );
  // Without attempts, one model at most (attempts defaults to 1).
  assertEquals(
    issuesOf(() => parseWorkOrder(md(`${REPO}\nattempt_models: [a, b]`)))
      .map((i) => i.field),
    ["attempt_models"],
  );
  assertEquals(
    issuesOf(() =>
      parseWorkOrder(md(`${REPO}\nattempts: 2\nattempt_models: ["", "a b"]`))
    ).map((i) => i.field),
    ["attempt_models.0", "attempt_models.1"],
  );
  assertEquals(
    issuesOf(() => parseWorkOrder(md(`${REPO}\nattempts: 2\non_budget: pause`)))
      .map((i) => i.field),
    ["attempts"],
  );
  // JSON submissions follow the same rules.
  assertEquals(
    issuesOf(() =>
      workOrderFromFields({
        repo: "https://github.com/x/y",
        task: "t",
        attempts: 2,
        attempt_models: ["a", "b", "c"],
      })
    ).map((i) => i.field),
    ["attempt_models"],
  );
});
