/**
 * Secrets for commands end to end (AOS_SECRETS, `secrets`): the secret reaches
 * the acceptance commands — one proves it by its hash — and nothing else. A
 * hostile model's run_command looks for it and finds an empty variable; the
 * acceptance commands that print it, its base64, hex and URL encoding are
 * redacted. Then everything the run left is scanned: the KV (record, events,
 * artifacts, and every other value), the API's answers, the service's log,
 * every request sent to the model, the pull request at the forge, the
 * webhook bodies.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { artifactJson, withHarness } from "./support/harness.ts";
import { startFakeForge } from "./support/fake_forge.ts";
import { addRepo, startGitHttpServer } from "./support/git_http_server.ts";
import { everythingStored } from "./support/run_events.ts";
import { poVerdict } from "../lib/llm/testing.ts";
import { startWebhookReceiver } from "./support/webhook_receiver.ts";
import { until } from "./support/poll.ts";

/** A secret with characters that base64 and URL-encoding change. */
const SECRET = "dep/SECRET+7f3a9c2e51b8=x";
const USERS = {
  reader: "reader-TOKEN-9d8c7b6a5f4e",
  writer: "writer-TOKEN-1f2e3d4c5b6a",
};

const bytes = (text: string) => new TextEncoder().encode(text);
const hex = (text: string) =>
  Array.from(bytes(text), (b) => b.toString(16).padStart(2, "0")).join("");
const base64 = (text: string) => btoa(String.fromCharCode(...bytes(text)));

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes(text));
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

/** Every 12-character piece of every form of the secret: any of them leaks part of it. */
function leakIn(text: string): string | null {
  const seen = text.replace(/\\r|\\n|\r|\n/g, "");
  const forms = {
    "the secret": SECRET,
    "base64": base64(SECRET).slice(0, -4),
    "hex": hex(SECRET),
    "upper hex": hex(SECRET).toUpperCase(),
    "URL-encoded": encodeURIComponent(SECRET),
  };
  for (const [what, form] of Object.entries(forms)) {
    for (let i = 0; i + 12 <= form.length; i += 4) {
      const at = seen.indexOf(form.slice(i, i + 12));
      if (at >= 0) return `${what}: ${seen.slice(at - 200, at + 100)}`;
    }
  }
  return null;
}

Deno.test("a secret reaches the acceptance commands only, and shows nowhere the run wrote", async () => {
  const server = await startGitHttpServer(USERS);
  const forge = startFakeForge("gitea", USERS.writer);
  const receiver = startWebhookReceiver();
  const dir = await Deno.makeTempDir({ prefix: "aos_secrets_" });
  try {
    await addRepo(server, "private", { "README.md": "# private\n" });
    const secretsFile = join(dir, "secrets.json");
    await Deno.writeTextFile(
      secretsFile,
      JSON.stringify({ DEPLOY_TOKEN: SECRET, UNUSED_TOKEN: "unused-value-42" }),
      { mode: 0o600 },
    );
    const hash = await sha256(SECRET);
    await withHarness({
      script: {
        se: [
          {
            tool_calls: [
              {
                name: "run_command",
                arguments: {
                  command:
                    `printf 'se sees [%s]\\n' "$DEPLOY_TOKEN"; env | grep -c TOKEN; cat ${secretsFile}`,
                },
              },
              {
                name: "write_file",
                arguments: { path: "NOTES.md", content: "notes\n" },
              },
            ],
          },
          { tool_calls: [{ name: "finish", arguments: { summary: "notes" } }] },
        ],
        po: [poVerdict("PASS", "ok")],
      },
      env: {
        AOS_SECRETS: `@${secretsFile}`,
        AOS_REPO_ALLOWLIST: `${server.httpsOrigin}/`,
        AOS_GIT_CREDENTIALS: JSON.stringify({
          [server.httpsHost]: {
            token: USERS.writer,
            kind: "gitea",
            username: "writer",
            api: forge.api,
            insecure_http: true,
          },
        }),
        AOS_WEBHOOK_URL: receiver.url,
        AOS_WEBHOOK_SECRET: "whsec-secrets-test-1234",
        AOS_WEBHOOK_ALLOW_PRIVATE: "true",
      },
    }, async (h) => {
      const run = await h.submit(h.workOrder({
        repo: `${server.httpsOrigin}${server.path("private")}`,
        push_branch: "aos/notes",
        pull_request: true,
        secrets: ["DEPLOY_TOKEN"],
        // Setup gets it too when asked; what it prints is redacted like the rest.
        setup_secrets: true,
        setup_network: false,
        setup_commands: [
          `test -n "$DEPLOY_TOKEN" && echo "setup got $DEPLOY_TOKEN" | base64`,
        ],
        acceptance_commands: [
          // The secret is there: its hash matches (the command fails otherwise).
          `test "$(printf %s "$DEPLOY_TOKEN" | sha256sum | cut -c1-64)" = ${hash}`,
          `echo "the token is $DEPLOY_TOKEN"`,
          `printf %s "$DEPLOY_TOKEN" | base64`,
          `printf %s "$DEPLOY_TOKEN" | od -An -v -tx1 | tr -d ' \\n'; echo`,
          `printf %s "$DEPLOY_TOKEN" | xxd -p | tr a-f A-F`,
          `printf %s "$DEPLOY_TOKEN" | sed 's|/|%2F|g; s|+|%2B|g; s|=|%3D|g'; echo`,
          // Only what the work order names: the other secret is not there.
          `test -z "$UNUSED_TOKEN"`,
        ],
      }, "Create NOTES.md."));
      const done = await h.waitForEnd(run.id);
      assert.equal(done.status, "SUCCEEDED", done.error ?? "");
      assert.ok(done.pull_request_url, "a pull request was opened");

      const events = await h.svc.store.listEvents(run.id);
      const setup = events.find((e) => e.kind === "SETUP_RESULT");
      assert.equal(setup?.payload.exit_code, 0, JSON.stringify(setup));
      const results = events.filter((e) => e.kind === "CMD_RESULT");
      assert.equal(results.length, 7);
      for (const result of results) {
        assert.equal(result.payload.exit_code, 0, JSON.stringify(result));
      }
      // The printing commands ran, and what they printed was redacted.
      const report = await artifactJson(h, run.id, "tool_report_iter_1.json");
      const outputs = (report.commands as { output: string }[]).map((c) =>
        c.output
      );
      for (const i of [1, 2, 3, 4, 5]) {
        assert.match(outputs[i]!, /\[REDACTED\]/, outputs[i]);
      }
      // The SE's command had no such variable, and the secrets file is not in its sandbox.
      // (What the model was sent back: the tool result of its run_command.)
      const seOutput = JSON.stringify(h.model.requests.map((r) => r.body))
        .replaceAll("\\n", "\n");
      assert.match(seOutput, /se sees \[\]/, seOutput);
      assert.match(seOutput, /se sees \[\]\n0\n/, seOutput);
      assert.match(seOutput, /No such file or directory/, seOutput);

      await until(
        "the run.finished webhook",
        () => receiver.received.some((r) => r.body.includes("run.succeeded")),
      );
      const api = await Promise.all(
        [
          `/runs/${run.id}`,
          `/runs/${run.id}/events`,
          `/runs/${run.id}/artifacts`,
        ]
          .map(async (path) =>
            await (await fetch(`${h.svc.url}${path}`)).text()
          ),
      );
      const raw: string[] = [];
      for await (const entry of h.svc.kv.list({ prefix: [] })) {
        raw.push(
          entry.value instanceof Uint8Array
            ? new TextDecoder().decode(entry.value)
            : JSON.stringify(
              entry.value,
              (_k, v) => typeof v === "bigint" ? String(v) : v,
            ),
        );
      }
      const places: Record<string, string> = {
        "stored run, events and artifacts": await everythingStored(
          h.svc.store,
          run.id,
        ),
        "the whole KV": raw.join("\n"),
        "the API": api.join("\n"),
        "the service log": h.logs.join("\n"),
        "the model's requests": JSON.stringify(
          h.model.requests.map((r) => r.body),
        ),
        "the forge (pull request body)": JSON.stringify(forge.calls),
        "the webhooks": receiver.received.map((r) => r.body).join("\n"),
      };
      assert.match(places["the forge (pull request body)"]!, /NOTES|aos-run/);
      assert.ok(receiver.received.length > 0);
      for (const [place, text] of Object.entries(places)) {
        const leak = leakIn(text);
        assert.equal(leak, null, `the secret leaked into ${place}: ${leak}`);
      }
    });
  } finally {
    await receiver.close();
    await forge.close();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a work order naming an unknown secret is a 422 naming it, and never shows a value", async () => {
  await withHarness({
    env: { AOS_SECRETS: JSON.stringify({ DEPLOY_TOKEN: SECRET }) },
  }, async (h) => {
    const res = await fetch(`${h.svc.url}/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        work_order_md: h.workOrder({ secrets: ["DEPLOY_TOKEN", "NOPE_TOKEN"] }),
      }),
    });
    const text = await res.text();
    assert.equal(res.status, 422, text);
    const body = JSON.parse(text);
    assert.deepEqual(
      body.error.details.map((d: { field: string }) => d.field),
      ["secrets.1"],
    );
    assert.match(body.error.details[0].message, /Unknown secret 'NOPE_TOKEN'/);
    assert.equal(leakIn(text), null);
  });
});
