/**
 * The security drill (`deno task drill security`): starts the real service as
 * README's start command does (`deno run -A --unstable-kv main.ts`, on a temp
 * KV and WORKSPACE_ROOT laid out like the Dockerfile's /data, credentials and
 * secrets in @files, a home with history), as root and — through setpriv — as
 * an unprivileged user, and attacks it with a hostile repository and a
 * scripted model: every SHELL_ATTACKS row runs in the repository's setup
 * script (with network), in the model's run_command and in an acceptance
 * command; every API_ATTACKS row runs against the service from outside.
 * Prints one line per attack and phase; exits 1 if any broke or did not run.
 *
 * Add an attack by adding a row: a shell test that SUCCEEDS when the attack
 * worked (it sees the `$DRILL_*` variables below), or an API probe.
 */
import { join } from "node:path";
import { startScriptedModel } from "../../lib/llm/testing.ts";
import { seedRepo } from "../support/harness.ts";
import { type DrillContext, freePort, startService } from "./service.ts";

/** An attack from inside a sandboxed command; `shell` exits 0 iff the attack worked. */
export interface ShellAttack {
  name: string;
  /** The issue #20 finding it replays, for the report. */
  finding: string;
  shell: string;
  /** Phases it runs in (default all three). */
  phases?: Phase[];
}

/** An attack from outside, against the running service: resolves to null when it held, else what broke. */
export interface ApiAttack {
  name: string;
  finding: string;
  run(ctx: DrillContext, attacker: Attacker): Promise<string | null>;
}

/** What an API attack may submit: a work order for the hostile repository. */
export interface Attacker {
  workOrder(fields: Record<string, unknown>, task?: string): string;
}

/** Where a sandboxed command runs: the setup script (network), the model's run_command, an acceptance command. */
export type Phase = "setup" | "se" | "acceptance";
const PHASES: Phase[] = ["setup", "se", "acceptance"];

/** The attacks run inside the sandbox. Paths come from the service's layout, which an attacker can guess. */
export const SHELL_ATTACKS: ShellAttack[] = [
  {
    name: "capabilities",
    finding: "1",
    shell: "! grep -qE '^CapEff:[[:space:]]+0+$' /proc/self/status",
  },
  { name: "runs as root", finding: "1", shell: '[ "$(id -u)" = 0 ]' },
  {
    name: "no_new_privs unset",
    finding: "1",
    shell: "! grep -qE '^NoNewPrivs:[[:space:]]+1$' /proc/self/status",
  },
  { name: "remount / rw", finding: "1", shell: "mount -o remount,rw /" },
  {
    name: "remount /usr rw",
    finding: "1",
    shell: "mount -o remount,bind,rw /usr",
  },
  { name: "umount /tmp", finding: "1", shell: "umount -l /tmp" },
  { name: "new user namespace", finding: "1", shell: "unshare -U -r true" },
  {
    name: "read the credentials file",
    finding: "2",
    shell: 'grep -q "$DRILL_TOKEN" "$DRILL_CREDENTIALS"',
  },
  {
    name: "read the secrets file",
    finding: "2",
    shell: 'cat "$DRILL_SECRETS" | grep -q .',
  },
  {
    name: "read the KV",
    finding: "3",
    shell: '[ -e "$DRILL_KV" ] || ls -A "$(dirname "$DRILL_KV")" | grep -q kv',
  },
  {
    // Only the objects this workspace borrows from its own mirror are bound in.
    name: "see another repository's mirror",
    finding: "3",
    shell: '[ "$(ls -A "$DRILL_WORKSPACES/.cache" | wc -l)" -gt 1 ]',
  },
  {
    name: "read a mirror's config and refs",
    finding: "3",
    shell:
      'ls "$DRILL_WORKSPACES"/.cache/*/config "$DRILL_WORKSPACES"/.cache/*/refs',
  },
  {
    name: "see another run's workspace",
    finding: "3",
    shell: '[ -e "$DRILL_WORKSPACES/$DRILL_VICTIM/victim.txt" ]',
  },
  {
    name: "see the cached environments",
    finding: "3",
    shell: '[ -n "$(ls -A "$DRILL_WORKSPACES/.envs" 2>/dev/null)" ]',
  },
  {
    name: "read the service's home",
    finding: "4",
    shell: 'cat "$DRILL_HOME/.bash_history" | grep -q .',
  },
  {
    name: "read the service's source",
    finding: "4",
    shell: '[ -e "$DRILL_SOURCE/main.ts" ]',
  },
  { name: "read /etc/shadow", finding: "1", shell: "grep -q root /etc/shadow" },
  {
    name: "reach the API on loopback",
    finding: "9",
    shell:
      'curl -s -m 5 -o /dev/null "http://127.0.0.1:$DRILL_PORT/healthz" || ' +
      "python3 -c \"import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$DRILL_PORT/healthz', timeout=5)\"",
  },
];

/** Attacks from outside. */
export const API_ATTACKS: ApiAttack[] = [
  {
    name: "cross-site form POST to /runs/submit",
    finding: "7",
    async run(ctx) {
      const res = await fetch(`${ctx.url}/runs/submit`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          origin: "https://evil.example",
          "sec-fetch-site": "cross-site",
        },
        body: "work_order_md=x",
      });
      await res.body?.cancel();
      return res.status < 400 ? `answered ${res.status}` : null;
    },
  },
  {
    name: "DNS rebinding (foreign Host header)",
    finding: "8",
    async run(ctx) {
      const conn = await Deno.connect({
        hostname: "127.0.0.1",
        port: ctx.port,
      });
      const request =
        "GET /runs HTTP/1.1\r\nHost: rebind.evil.example\r\nConnection: close\r\n\r\n";
      await conn.write(new TextEncoder().encode(request));
      const head = new Uint8Array(64);
      const n = await conn.read(head) ?? 0;
      conn.close();
      const status =
        new TextDecoder().decode(head.subarray(0, n)).split(" ")[1];
      return status === "200" ? "answered 200" : null;
    },
  },
];

/** The longest a health probe may take while a hostile run works (the stalls were 9 s to minutes). */
const MAX_PROBE_MS = 2000;

/** Bounded work (issue #20 findings 5 and 6): a hostile model's FIFO and a task built to stall token counting. */
API_ATTACKS.push(
  {
    name: "read_file on a FIFO holds a worker slot for ever",
    finding: "5",
    async run(ctx, attacker) {
      // The scripted model plants a FIFO with run_command, then reads it.
      const id = await ctx.submit(
        attacker.workOrder({ acceptance_commands: ["true"] }),
      );
      const status = await ctx.waitForEnd(id, 120_000).catch((e) => `${e}`);
      return status === "SUCCEEDED" ? null : `the run ended ${status}`;
    },
  },
  {
    name: "a 1 MiB one-word task stalls the service",
    finding: "6",
    async run(ctx, attacker) {
      const task = `Rename ${"x".repeat(1000 * 1000)}.`;
      const id = await ctx.submit(attacker.workOrder({}, task));
      let worst = 0;
      try {
        // The SE turn counts the task's tokens right after the clone.
        for (let i = 0; i < 40; i++) {
          const started = performance.now();
          const res = await fetch(`${ctx.url}/healthz`, {
            signal: AbortSignal.timeout(30_000),
          });
          await res.body?.cancel();
          worst = Math.max(worst, performance.now() - started);
          await new Promise((r) => setTimeout(r, 250));
        }
      } finally {
        const res = await fetch(`${ctx.url}/runs/${id}/cancel`, {
          method: "POST",
        }).catch(() => null);
        await res?.body?.cancel();
      }
      return worst > MAX_PROBE_MS
        ? `/healthz took ${Math.round(worst)} ms`
        : null;
    },
  },
);

/** attack.sh of the hostile repository: one HELD/BROKE line per attack for its phase ($1). */
export function attackScript(attacks: ShellAttack[]): string {
  const lines = ["#!/bin/sh", 'phase="$1"'];
  for (const attack of attacks) {
    const phases = attack.phases ?? PHASES;
    const name = attack.name.replaceAll("'", "");
    lines.push(
      `case " ${phases.join(" ")} " in *" $phase "*)`,
      `  if ( ${attack.shell} ) >/dev/null 2>&1; then echo "DRILL $phase BROKE ${name}"; else echo "DRILL $phase HELD ${name}"; fi ;;`,
      "esac",
    );
  }
  lines.push("exit 0");
  return lines.join("\n") + "\n";
}

/** Outcomes by `phase|attack name`, from the lines attack.sh printed. */
function readOutcomes(text: string, into: Map<string, string>): void {
  for (const m of text.matchAll(/DRILL (\w+) (HELD|BROKE) ([^\n"\\]+)/g)) {
    into.set(`${m[1]}|${m[3]!.trim()}`, m[2]!);
  }
}

/** Runs the drill with the service as `user` ("root" or an unprivileged uid); returns the failures. */
async function drillAs(user: "root" | number): Promise<string[]> {
  const dir = await Deno.realPath(
    await Deno.makeTempDir({ prefix: "aos-drill-", dir: "/var/tmp" }),
  );
  await Deno.chmod(dir, 0o755);
  const label = user === "root" ? "root" : `uid ${user}`;
  const pass = {
    tool_calls: [{
      name: "submit_verdict",
      arguments: { decision: "PASS", feedback: "ok" },
    }],
  };
  const call = (name: string, args: unknown) => ({
    tool_calls: [{ name, arguments: args }],
  });
  // Runs go one after the other: the victim's turn, then the attacker's.
  const model = await startScriptedModel({
    se: [
      call("write_file", { path: "notes.md", content: "x\n" }),
      call("finish", { summary: "done" }),
      call("run_command", { command: "sh attack.sh se" }),
      call("write_file", { path: "notes.md", content: "y\n" }),
      call("finish", { summary: "done" }),
      // The FIFO attack's run (API_ATTACKS, finding 5).
      call("run_command", { command: "mkfifo pipe" }),
      call("read_file", { path: "pipe" }),
      call("write_file", { path: "notes.md", content: "z\n" }),
      call("finish", { summary: "done" }),
    ],
    po: [pass, pass, pass],
  }, { apiKey: "drill-key" });
  const failures: string[] = [];
  let service: Awaited<ReturnType<typeof startService>> | null = null;
  try {
    const remote = await seedRepo(dir, {
      "README.md": "# Innocent project\n",
      "attack.sh": attackScript(SHELL_ATTACKS),
    });
    const victimRemote = await seedRepo(join(dir, "victim"), {
      "README.md": "# Someone else's project\n",
    });
    const port = await freePort();
    service = await startService({ dir, port, modelUrl: model.url, user });
    const ctx = service.ctx;
    const env = {
      DRILL_TOKEN: ctx.token,
      DRILL_CREDENTIALS: ctx.credentialsFile,
      DRILL_SECRETS: ctx.secretsFile,
      DRILL_KV: ctx.kvPath,
      DRILL_WORKSPACES: ctx.workspaceRoot,
      DRILL_HOME: ctx.home,
      DRILL_SOURCE: ctx.source,
      DRILL_PORT: String(port),
      DRILL_VICTIM: "",
    };
    const workOrder = (
      fields: Record<string, unknown>,
      task = "Keep the project tidy.",
    ) =>
      `---\n${
        Object.entries({ repo: remote, ...fields }).map(([k, v]) =>
          `${k}: ${JSON.stringify(v)}`
        ).join("\n")
      }\n---\n\n${task}\n`;
    // A victim run first, so another workspace, a mirror and an environment exist.
    const victim = await ctx.submit(workOrder({
      repo: victimRemote,
      setup_commands: ["echo victim > victim.txt"],
      setup_network: false,
      acceptance_commands: ["true"],
    }));
    const victimStatus = await ctx.waitForEnd(victim);
    if (victimStatus !== "SUCCEEDED") {
      const { error } = await ctx.record(victim);
      throw new Error(`the victim run ended ${victimStatus}: ${error}`);
    }
    env.DRILL_VICTIM = victim;
    // The attack run: setup, the model's run_command and acceptance all run attack.sh.
    const attackOrder = (network: boolean) =>
      workOrder({
        setup_commands: ["sh attack.sh setup"],
        setup_network: network,
        acceptance_commands: ["sh attack.sh acceptance"],
        env,
      });
    let attack = await ctx.submit(attackOrder(true));
    let status = await ctx.waitForEnd(attack);
    const outcomes = new Map<string, string>();
    const setupReport = await ctx.artifact(attack, "setup_report.json");
    if (
      status === "FAILED" && /pasta cannot give it a network/.test(setupReport)
    ) {
      // pasta cannot serve this user here: setup with network fails closed,
      // which holds #9. The other attacks run with setup offline.
      console.log(
        `${
          label.padEnd(9)
        } setup      (with network refused: pasta cannot serve this user; fails closed)`,
      );
      outcomes.set("setup|reach the API on loopback", "HELD");
      attack = await ctx.submit(attackOrder(false));
      status = await ctx.waitForEnd(attack);
    }
    for (const name of ["setup_report.json", "tool_report_iter_1.json"]) {
      readOutcomes(await ctx.artifact(attack, name), outcomes);
    }
    const seen = JSON.stringify(model.requests.map((r) => r.body));
    readOutcomes(seen, outcomes);
    if (![...outcomes.keys()].some((k) => k.startsWith("se|"))) {
      // What the model got back instead, to see why.
      const tail = seen.match(/sh attack\.sh se.{0,600}/g)?.at(-1) ??
        `(no run_command result in ${model.requests.length} requests: ${
          model.requests.map((r) => r.agent).join(",")
        })`;
      console.log(`${label.padEnd(9)} se         (run_command gave: ${tail})`);
      if (Deno.env.get("DRILL_DEBUG")) {
        console.log(JSON.stringify(await ctx.record(attack)).slice(0, 3000));
      }
    }
    for (const attackRow of SHELL_ATTACKS) {
      for (const phase of attackRow.phases ?? PHASES) {
        const outcome =
          outcomes.get(`${phase}|${attackRow.name.replaceAll("'", "")}`) ??
            "NOT RUN";
        const line = `${label.padEnd(9)} ${phase.padEnd(10)} ${
          outcome.padEnd(7)
        } #${attackRow.finding} ${attackRow.name}`;
        console.log(line);
        if (outcome !== "HELD") failures.push(line);
      }
    }
    if (status !== "SUCCEEDED") {
      const { error } = await ctx.record(attack);
      failures.push(`${label}: the attack run ended ${status}: ${error}`);
    }
    for (const api of API_ATTACKS) {
      const broke = await api.run(ctx, { workOrder }).catch((e) =>
        `error: ${e}`
      );
      const line = `${label.padEnd(9)} ${"api".padEnd(10)} ${
        (broke ? "BROKE" : "HELD").padEnd(7)
      } #${api.finding} ${api.name}${broke ? ` (${broke})` : ""}`;
      console.log(line);
      if (broke) failures.push(line);
    }
  } catch (error) {
    failures.push(
      `${label}: the drill itself failed: ${
        error instanceof Error ? error.stack : error
      }`,
    );
    if (service) console.error(service.logs().slice(-40).join("\n"));
  } finally {
    await service?.stop();
    await model.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  return failures;
}

/** Runs the drill as root and, when this process is root, as an unprivileged user too. */
export async function main(): Promise<number> {
  // As root: the service as root, then as an unprivileged user; otherwise as this user.
  const users: ("root" | number)[] = Deno.uid() === 0
    ? ["root", 65534]
    : [Deno.uid() ?? 65534];
  const failures: string[] = [];
  for (const user of users) failures.push(...await drillAs(user));
  console.log(
    failures.length === 0
      ? `security drill: every attack held (${users.length} service user(s))`
      : `security drill: ${failures.length} failure(s):\n${
        failures.join("\n")
      }`,
  );
  return failures.length === 0 ? 0 : 1;
}
