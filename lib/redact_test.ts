import assert from "node:assert/strict";
import { Redactor, redactUrl } from "./redact.ts";
import { MAX_LAG_MS, withLagProbe } from "../tests/support/loop_lag.ts";

/** Asserts `redactor` turns each `[text, redacted]` pair's text into its redacted form. */
function assertRedacts(redactor: Redactor, cases: [string, string][]): void {
  for (const [text, redacted] of cases) {
    assert.equal(redactor.redact(text), redacted, text);
  }
}

Deno.test("Redactor.redact() replaces known secret values", () => {
  const r = new Redactor(["hunter2-secret", null, undefined, "abc"]);
  assert.equal(
    r.redact("pw=hunter2-secret and hunter2-secret"),
    "pw=[REDACTED] and [REDACTED]",
  );
  // Values shorter than 4 characters are ignored.
  assert.equal(r.redact("abc"), "abc");
});

Deno.test("Redactor.redact() replaces a secret containing another secret whole", () => {
  const r = new Redactor(["token", "token-long-version"]);
  assert.equal(r.redact("x token-long-version y"), "x [REDACTED] y");
});

Deno.test("Redactor.redact() catches the basic-auth form of a known token", () => {
  const r = new Redactor(["plain-token-value"]);
  const header = btoa("x-access-token:plain-token-value");
  assert.equal(r.redact(`sent ${header}`), "sent [REDACTED]");
});

Deno.test("Redactor.redact() replaces OpenAI and GitHub token shapes", () => {
  const r = new Redactor([]);
  const cases = [
    "sk-abcdefghijklmnopqrstuvwx",
    "sk-proj-abcdefghijklmnop_qrstuvwx-yz",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "gho_abcdefghijklmnopqrstuvwxyz0123456789",
    "ghs_abcdefghijklmnopqrstuvwxyz0123456789",
    "ghu_abcdefghijklmnopqrstuvwxyz0123456789",
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
  ];
  for (const token of cases) {
    assert.equal(r.redact(`key "${token}" end`), `key "[REDACTED]" end`, token);
  }
  assert.equal(
    r.redact("task-runner and sk-learn stay"),
    "task-runner and sk-learn stay",
  );
});

Deno.test("Redactor.redact() replaces bearer tokens and authorization headers", () => {
  assertRedacts(new Redactor([]), [
    ["Authorization: Bearer abc.def-123456", "Authorization: [REDACTED]"],
    [
      "authorization=Basic eC1hY2Nlc3M6dG9r\nnext",
      "authorization=[REDACTED]\nnext",
    ],
    ['{"h":"Bearer abcdefgh12345"}', '{"h":"Bearer [REDACTED]"}'],
    [
      "git -c http.extraHeader=AUTHORIZATION: basic Zm9vOmJhcg== fetch\nok",
      "git -c http.extraHeader=[REDACTED]\nok",
    ],
  ]);
});

Deno.test("Redactor.redact() removes credentials from URLs", () => {
  assertRedacts(new Redactor([]), [
    [
      "fatal: could not read https://user:pa55@github.com/o/r.git",
      "fatal: could not read https://[REDACTED]@github.com/o/r.git",
    ],
    ["https://tok123@example.com/x", "https://[REDACTED]@example.com/x"],
    ["ssh://git@github.com/o/r.git", "ssh://git@github.com/o/r.git"],
    ["ssh://git:pw@github.com/o/r.git", "ssh://[REDACTED]@github.com/o/r.git"],
    ["https://github.com/o/r@v1", "https://github.com/o/r@v1"],
  ]);
});

Deno.test("redactUrl() strips userinfo", () => {
  assert.equal(
    redactUrl("https://x-access-token:ghs_zzz@github.com/a/b"),
    "https://[REDACTED]@github.com/a/b",
  );
  assert.equal(redactUrl("/srv/repos/a.git"), "/srv/repos/a.git");
});

Deno.test("Redactor.redactDeep() redacts strings inside nested data and keeps the rest", () => {
  const r = new Redactor(["s3cr3t-value"]);
  const input = {
    a: "x s3cr3t-value",
    n: 3,
    list: ["s3cr3t-value", { deep: "Bearer abcdefgh12345" }, null, true],
    error: new TypeError("bad s3cr3t-value"),
  };
  const out = r.redactDeep(input);
  assert.deepEqual(out.a, "x [REDACTED]");
  assert.equal(out.n, 3);
  assert.deepEqual(out.list, [
    "[REDACTED]",
    { deep: "Bearer [REDACTED]" },
    null,
    true,
  ]);
  assert.equal(out.error.message, "bad [REDACTED]");
  assert.equal(out.error.name, "TypeError");
  // The input is not modified.
  assert.equal(input.a, "x s3cr3t-value");
});

Deno.test("Redactor.redactDeep() survives cycles", () => {
  const r = new Redactor(["s3cr3t-value"]);
  const node: { name: string; self?: unknown } = { name: "s3cr3t-value" };
  node.self = node;
  const out = r.redactDeep(node);
  assert.equal(out.name, "[REDACTED]");
  assert.equal(out.self, out);
});

Deno.test("Redactor.redactKnown() replaces known values but keeps token-shaped text", () => {
  const r = new Redactor(["real-secret-value"]);
  const code =
    'db = "postgres://app:pw@localhost/x"; key = "sk-test-aaaaaaaaaaaaaaaaaaaa"; real-secret-value';
  assert.equal(
    r.redactKnown(code),
    'db = "postgres://app:pw@localhost/x"; key = "sk-test-aaaaaaaaaaaaaaaaaaaa"; [REDACTED]',
  );
  assert.doesNotMatch(r.redact(code), /app:pw|sk-test/);
});

Deno.test("Redactor.redact() keeps placeholders in help texts, not tokens after them", () => {
  const r = new Redactor(["s3cr3t-token"]);
  for (
    const help of [
      "Missing bearer token: send the header 'Authorization: Bearer <AOS_API_TOKEN>'",
      "curl -H 'Authorization: Bearer $AOS_API_TOKEN' …",
      "Authorization: Bearer ${TOKEN}",
    ]
  ) assert.equal(r.redact(help), help);
  assertRedacts(r, [
    ["Authorization: Bearer $TOKENabc<x>", "Authorization: [REDACTED]"],
    ["Authorization: Bearer <AOS_API_TOKEN>abc", "Authorization: [REDACTED]"],
    ["Authorization: Bearer s3cr3t-token", "Authorization: [REDACTED]"],
  ]);
});

Deno.test("Redactor.redact() catches a known secret in base64, hex and URL-encoded form", () => {
  const secret = "tok/en+VALUE_0123456789abcdef";
  const r = new Redactor([secret]);
  const utf8Base64 = (text: string) =>
    btoa(String.fromCharCode(...new TextEncoder().encode(text)));
  const hex = Array.from(
    new TextEncoder().encode(secret),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  const leaks = [
    utf8Base64(secret),
    utf8Base64(`{"token": "${secret}"}`),
    utf8Base64(`ab${secret}`).replaceAll("+", "-").replaceAll("/", "_"),
    hex,
    hex.toUpperCase(),
    encodeURIComponent(secret),
    encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()),
    hex.replace(/../g, "%$&"),
  ];
  for (const leak of leaks) {
    const out = r.redact(`printed: ${leak} done`);
    assert.ok(out.includes("[REDACTED]"), leak);
    // What is left of the encoding cannot be decoded back into the secret.
    assert.ok(!out.includes(leak), out);
    assert.ok(!out.includes(secret.slice(0, 8)), out);
  }
});

Deno.test("Redactor.redact() catches an encoded secret split over lines (base64, xxd -p)", () => {
  const secret = "ghp_TESTSECRET0123456789abcdefABCDEF0123";
  const r = new Redactor([secret]);
  const file = `{"git.example.com": {"token": "${secret}", "kind": "gitea"}}\n`;
  const wrapped = btoa(file).replace(/(.{76})/g, "$1\n");
  const xxd = Array.from(
    new TextEncoder().encode(file),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("").replace(/(.{60})/g, "$1\n");
  for (const dump of [wrapped, xxd, xxd.replaceAll("\n", "\r\n")]) {
    const out = r.redact(`$ dump creds\n${dump}\nexit 0\n`);
    assert.ok(out.includes("[REDACTED]"), out);
    const joined = out.replace(/\r?\n/g, "");
    for (const form of [btoa(file).slice(8, 60), xxd.slice(70, 120)]) {
      assert.ok(!joined.includes(form.replace(/\r?\n/g, "")), out);
    }
    assert.ok(out.startsWith("$ dump creds\n") && out.endsWith("\nexit 0\n"));
  }
  // Ordinary multi-line text is left as it was.
  const text = "line one\nabcdefghijklmnopqrstuvwxyz\n0123456789\n";
  assert.equal(r.redact(text), text);
});

Deno.test("Redactor.redact() stays linear on text built to make its URL pattern backtrack", async () => {
  const r = new Redactor(["sk-secret-value-123456"]);
  // Each was quadratic before (200 KB of "a." took over a minute).
  for (const hostile of ["a.", "a+", "1-", "a://"]) {
    const text = hostile.repeat(512 * 1024 / hostile.length);
    text.charCodeAt(text.length >> 1);
    const { value, lagMs } = await withLagProbe(() => r.redact(text));
    assert.equal(value, text);
    assert.ok(lagMs < MAX_LAG_MS, `${hostile}: event loop blocked ${lagMs} ms`);
  }
  assert.equal(
    r.redact("x foo.bar.https://tok@h and HTTPS://a:b@c, git@github.com:x"),
    "x foo.bar.https://[REDACTED]@h and HTTPS://[REDACTED]@c, git@github.com:x",
  );
});
