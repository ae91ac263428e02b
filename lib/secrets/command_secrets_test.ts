import assert from "node:assert/strict";
import { loadConfig } from "../config.ts";
import { ValidationError } from "../errors.ts";
import { readCommandSecrets } from "./command_secrets.ts";

const VALUE = "s3cr3t-value-0f9e8d7c";

Deno.test("readCommandSecrets() reads an inline map and an @file, handing out only the names asked for", () => {
  const inline = readCommandSecrets(
    JSON.stringify({ NPM_TOKEN: VALUE, PYPI_TOKEN: "other-value-123" }),
  );
  assert.deepEqual(inline.issues, []);
  assert.deepEqual(inline.secrets.names(), ["NPM_TOKEN", "PYPI_TOKEN"]);
  assert.deepEqual(inline.secrets.env(["NPM_TOKEN", "GONE"]), {
    NPM_TOKEN: VALUE,
  });
  const file = readCommandSecrets(
    "@/etc/aos/secrets.json",
    (path) =>
      path === "/etc/aos/secrets.json" ? `{"NPM_TOKEN":"${VALUE}"}` : "",
  );
  assert.deepEqual(file.secrets.values(), [VALUE]);
});

Deno.test("CommandSecrets never shows a value when serialised or inspected", () => {
  const { secrets } = readCommandSecrets(JSON.stringify({ NPM_TOKEN: VALUE }));
  const config = loadConfig({ AOS_SECRETS: JSON.stringify({ K_1: VALUE }) });
  for (
    const text of [
      JSON.stringify(secrets),
      JSON.stringify(config),
      Deno.inspect(config, { depth: 10 }),
      String(secrets),
    ]
  ) assert.ok(!text.includes(VALUE), text);
  assert.deepEqual(config.secrets.env(["K_1"]), { K_1: VALUE });
});

Deno.test("readCommandSecrets() refuses bad maps naming the key, never quoting a value", () => {
  const cases: [string, RegExp][] = [
    [`{"NPM_TOKEN": "${VALUE}"`, /not valid JSON/],
    [`["${VALUE}"]`, /JSON object/],
    [`{"bad name": "${VALUE}"}`, /'bad name' must match/],
    [`{"GITHUB_TOKEN": "${VALUE}"}`, /'GITHUB_TOKEN' is reserved/],
    [`{"AOS_X": "${VALUE}"}`, /'AOS_X' is reserved/],
    [`{"N": 12345678901}`, /Secret 'N' must be a string/],
    [`{"SHORT": "abc"}`, /Secret 'SHORT' must be at least 8 characters/],
    [`{"ML": "${VALUE}\\n${VALUE}"}`, /Secret 'ML' must be one line/],
  ];
  for (const [raw, message] of cases) {
    const result = readCommandSecrets(raw);
    assert.equal(result.issues.length, 1, raw);
    assert.match(result.issues[0]!, message);
    assert.ok(!result.issues[0]!.includes(VALUE), result.issues[0]);
    assert.deepEqual(result.secrets.names(), []);
  }
  const missing = readCommandSecrets("@/nonexistent/secrets.json");
  assert.match(missing.issues[0]!, /Could not read secrets file/);
  assert.throws(
    () => loadConfig({ AOS_SECRETS: `{"SHORT": "abc"}` }),
    (error: unknown) =>
      error instanceof ValidationError &&
      error.issues[0]?.field === "AOS_SECRETS",
  );
});
