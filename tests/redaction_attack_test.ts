/**
 * A hostile model exfiltrating secrets through encodings: its run_command
 * prints base64 (plain, URL-safe, inside a wrapped credentials file), hex
 * (`od`, `xxd -p`, upper case) and URL-encoded forms of a credential it got
 * through the work order's env. None of them may reach the model, an event,
 * an artifact (llm_iter_*.json included) or a log line.
 */
import { ok as assert } from "node:assert/strict";
import { TEST_GITHUB_TOKEN, withHarness } from "./support/harness.ts";

/** A forge token with characters that URL-encoding changes. */
const FORGE_TOKEN = "tok/en+with=special&chars-0123456789";
const CREDENTIALS_FILE =
  `{"git.example.com": {"token": "${FORGE_TOKEN}", "kind": "gitea", "api": "https://git.example.com/api/v1"}}`;

const bytes = (text: string) => new TextEncoder().encode(text);
const hex = (text: string) =>
  Array.from(bytes(text), (b) => b.toString(16).padStart(2, "0")).join("");
const base64 = (text: string) => btoa(String.fromCharCode(...bytes(text)));

/** The characters of `base64(prefix + secret + …)` that come from `secret` alone. */
function base64Span(prefix: string, secret: string, stream: string): string {
  const start = Math.ceil(bytes(prefix).length * 8 / 6);
  const end = Math.floor((bytes(prefix).length + bytes(secret).length) * 8 / 6);
  return base64(stream).slice(start, end);
}

const COMMANDS = [
  `printf %s "$INDEX_TOKEN" | base64`,
  `printf %s "$FORGE_TOKEN" | base64 -w0 | tr '+/' '-_'; echo`,
  `printf '%s' '${
    CREDENTIALS_FILE.replace(FORGE_TOKEN, "'\"$FORGE_TOKEN\"'")
  }' | base64`,
  `printf %s "$INDEX_TOKEN" | od -An -v -tx1 | tr -d ' '`,
  `printf %s "$FORGE_TOKEN" | xxd -p | tr a-f A-F`,
  `printf %s "$FORGE_TOKEN" | od -An -v -tx1 | tr -d '\\n' | sed 's/ /%/g'; echo`,
  `printf %s "$FORGE_TOKEN" | sed 's|/|%2F|g; s|+|%2B|g; s|=|%3D|g; s|&|%26|g'; echo`,
];

Deno.test("base64, hex and URL-encoded forms of a credential printed by run_command are redacted everywhere", async () => {
  await withHarness({
    env: {
      AOS_GIT_CREDENTIALS: JSON.stringify({
        "git.example.com": { token: FORGE_TOKEN, kind: "gitea" },
      }),
    },
    script: {
      se: [
        {
          tool_calls: [
            ...COMMANDS.map((command) => ({
              name: "run_command",
              arguments: { command },
            })),
            // A change, so the run can pass (an unchanged tree never does).
            {
              name: "write_file",
              arguments: { path: "NOTES.md", content: "looked\n" },
            },
          ],
        },
        { tool_calls: [{ name: "finish", arguments: { summary: "looked" } }] },
      ],
      po: [{
        tool_calls: [{
          name: "submit_verdict",
          arguments: { decision: "PASS", feedback: "ok" },
        }],
      }],
    },
  }, async (h) => {
    const run = await h.submit(h.workOrder({
      env: { INDEX_TOKEN: TEST_GITHUB_TOKEN, FORGE_TOKEN },
    }));
    const done = await h.waitForEnd(run.id);
    assert(done.status === "SUCCEEDED", done.error ?? done.status);

    // The record keeps the submitted work order as written (its env is the
    // submitter's own input); everything the run produced is checked.
    const parts = [JSON.stringify({ ...done, work_order_md: null })];
    parts.push(JSON.stringify(await h.svc.store.listEvents(run.id)));
    const names: string[] = [];
    for (const meta of await h.svc.store.listArtifacts(run.id)) {
      names.push(meta.name);
      const { body } = await h.svc.store.getArtifact(run.id, meta.name);
      parts.push(new TextDecoder().decode(body));
    }
    assert(names.includes("llm_iter_1_se.json"), names.join(","));
    parts.push(JSON.stringify(h.model.requests.map((r) => r.body)));
    parts.push(h.logs.join("\n"));
    // Line breaks (raw or JSON-escaped) removed: wrapped dumps join up.
    const seen = parts.join("\n").replace(/\\r|\\n|\r|\n/g, "");
    // The commands did run and print (the redaction marks are there).
    assert(seen.includes("[REDACTED]"));

    const leaks: Record<string, string> = {
      "base64 of the token": base64(TEST_GITHUB_TOKEN).slice(0, -4),
      "URL-safe base64": base64(FORGE_TOKEN).replaceAll("+", "-")
        .replaceAll("/", "_").slice(0, -4),
      "the credentials file in base64 (wrapped)": base64Span(
        CREDENTIALS_FILE.slice(0, CREDENTIALS_FILE.indexOf(FORGE_TOKEN)),
        FORGE_TOKEN,
        CREDENTIALS_FILE,
      ),
      "od hex (wrapped)": hex(TEST_GITHUB_TOKEN),
      "xxd -p upper case": hex(FORGE_TOKEN).toUpperCase(),
      "every byte %-escaped": hex(FORGE_TOKEN).replace(/../g, "%$&"),
      "encodeURIComponent": encodeURIComponent(FORGE_TOKEN),
      "the token": TEST_GITHUB_TOKEN,
      "the forge token": FORGE_TOKEN,
    };
    for (const [what, form] of Object.entries(leaks)) {
      // Any 12 characters of it would do: a piece decodes to part of the secret.
      for (let i = 0; i + 12 <= form.length; i += 6) {
        const at = seen.indexOf(form.slice(i, i + 12));
        assert(at < 0, `${what} leaked: ${seen.slice(at - 200, at + 100)}`);
      }
    }
  });
});
