import assert from "node:assert/strict";
import { digestOutput, digestText } from "./output_digest.ts";

/** npm's shape: the cause at the head, then pages of help text. */
const NPM_CI = [
  "npm ERR! code EUSAGE",
  "npm ERR!",
  "npm ERR! The `npm ci` command can only install with an existing package-lock.json or",
  "npm ERR! npm-shrinkwrap.json with lockfileVersion >= 1. Run an install with npm@5 or",
  "npm ERR! later to generate a package-lock.json file, then try again.",
  "npm ERR!",
  "npm ERR! Clean install a project",
  ...Array.from({ length: 60 }, (_, i) => `npm ERR!   --option-${i} <value>`),
  "npm ERR! A complete log of this run can be found in: /home/x/.npm/_logs/debug-0.log",
].join("\n");

Deno.test("digestOutput() puts npm's cause first, though the tail is help text", () => {
  const digest = digestOutput(NPM_CI);
  assert.equal(digest.error_lines[0], "npm ERR! code EUSAGE");
  assert.ok(
    digest.error_lines.includes(
      "npm ERR! The `npm ci` command can only install with an existing package-lock.json or",
    ),
    digest.error_lines.join("\n"),
  );
  assert.ok(digest.error_lines.length <= 12);
  assert.match(digest.head, /^npm ERR! code EUSAGE\n/);
  assert.match(digest.tail, /A complete log of this run can be found in/);
  assert.ok(digest.omitted_lines > 30);
  const text = digestText(digest);
  assert.ok(
    text.indexOf("can only install with an existing package-lock.json") <
      text.indexOf("Last lines:"),
  );
});

Deno.test("digestOutput() finds a Python traceback and a missing file, and skips summaries of zero errors", () => {
  const digest = digestOutput([
    "collected 3 items, 0 errors",
    "Traceback (most recent call last):",
    '  File "setup.py", line 3, in <module>',
    "ModuleNotFoundError: No module named 'numpy'",
    "sh: 1: ./build.sh: not found",
    "cat: config.ini: No such file or directory",
    "fatal: not a git repository",
    "failed=0",
  ].join("\n"));
  assert.deepEqual(digest.error_lines, [
    "Traceback (most recent call last):",
    "ModuleNotFoundError: No module named 'numpy'",
    "sh: 1: ./build.sh: not found",
    "cat: config.ini: No such file or directory",
    "fatal: not a git repository",
  ]);
  // Short output is shown whole, once.
  assert.equal(digest.tail, "");
  assert.equal(digest.omitted_lines, 0);
  assert.match(
    digestText(digest),
    /^Lines that look like errors:\n {2}Traceback/,
  );
});

Deno.test("digestOutput() bounds what it keeps, whatever the output", () => {
  const line = "error: " + "x".repeat(10_000);
  const digest = digestOutput(
    Array.from({ length: 5000 }, () => line).join("\n") + "\nlast",
  );
  assert.equal(digest.error_lines.length, 1, "duplicates kept once");
  assert.ok(digest.error_lines[0]!.length <= 301);
  assert.ok(digest.head.length <= 1500 + 301);
  assert.ok(digest.tail.length <= 1500 + 301);
  assert.match(digest.tail, /last$/);
  assert.equal(digestOutput("").head, "");
  assert.equal(digestText(digestOutput("")), "");
});
