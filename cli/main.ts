/**
 * The `aos` command (installed with `deno install -g -A -n aos --config deno.json
 * cli/main.ts`, or `deno task -q aos <command>` in the checkout). Talks HTTP to
 * AOS_URL only. Exit codes: 0 succeeded, 1 failed, 2 invalid input or usage,
 * 3 wait timed out, 4 cancelled, 5 server unreachable or unauthorised,
 * 6 rejected, 130 interrupted (Ctrl-C while waiting).
 */
import {
  Command,
  CommanderError,
  InvalidArgumentError,
} from "@commander-js/extra-typings";
import { RUN_STATUSES } from "../lib/store/types.ts";
import {
  artifactsCommand,
  cancelCommand,
  decideCommand,
  listCommand,
  logsCommand,
  statusCommand,
  validateCommand,
} from "./commands.ts";
import { CliError, EXIT, type ExitCode, inputError } from "./errors.ts";
import { printJson, printNote } from "./output.ts";
import { reviseCommand } from "./revise.ts";
import { resumeCommand } from "./resume.ts";
import {
  scheduleAddCommand,
  scheduleListCommand,
  scheduleRemoveCommand,
} from "./schedule.ts";
import { submitCommand } from "./submit.ts";
import { compareCommand } from "./eval_compare.ts";
import { evalCommand } from "./eval.ts";

/** `--timeout` value: a positive number of seconds. */
function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new InvalidArgumentError(
      `Expected a positive number of seconds, got "${value}"`,
    );
  }
  return seconds;
}

/** An integer in `[min, max]`. */
function intIn(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        `Expected an integer from ${min} to ${max}, got "${value}"`,
      );
    }
    return n;
  };
}

/** `--cost` value: a positive number of dollars. */
function parseDollars(value: string): number {
  const dollars = Number(value);
  if (!Number.isFinite(dollars) || dollars <= 0) {
    throw new InvalidArgumentError(
      `Expected a positive number of dollars, got "${value}"`,
    );
  }
  return dollars;
}

/** `--status` value, case-insensitive. */
function parseStatus(value: string): string {
  const status = value.toUpperCase();
  if (!(RUN_STATUSES as readonly string[]).includes(status)) {
    throw new InvalidArgumentError(
      `Expected one of ${RUN_STATUSES.join(", ")}, got "${value}"`,
    );
  }
  return status;
}

/** Help text listing examples. */
function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ aos ${line}`).join("\n")}\n`;
}

const JSON_HELP = "print JSON for scripts";

/** Builds the command tree; `setExit` receives each action's exit code. */
export function buildProgram(setExit: (code: ExitCode) => void) {
  const program = new Command()
    .name("aos")
    .description(
      "Command line of AOS, the Agent Orchestration Service. Talks HTTP to AOS_URL " +
        "(default http://localhost:8000) and sends AOS_API_TOKEN as a bearer token when set.",
    )
    .exitOverride()
    .showHelpAfterError("(add --help for usage and examples)")
    .addHelpText(
      "after",
      "\nExit codes: 0 succeeded, 1 failed, 2 invalid input or usage, 3 wait timed out,\n" +
        "            4 cancelled, 5 server unreachable or unauthorised, 6 rejected,\n" +
        "            130 interrupted (Ctrl-C while waiting; the run keeps going)\n" +
        examples(
          "validate task.md",
          "submit task.md --wait --timeout 600",
          "status <run-id>",
          "logs <run-id> --follow",
          "list --status FAILED --limit 10",
          "eval eval/tasks --quick --json result.json",
        ),
    );

  program.command("submit")
    .description(
      "Validate a work order file locally, then submit it as a new run",
    )
    .argument("<file>", "work order markdown file (YAML frontmatter + task)")
    .option(
      "-w, --wait",
      "follow the run live until it ends; exit code from its final status",
    )
    .option(
      "-t, --timeout <seconds>",
      "with --wait (refused without it): stop waiting after this long (exit 3)",
      parseSeconds,
    )
    .option(
      "--idempotency-key <key>",
      "repeat-safe submit: the same key returns the same run",
    )
    .option("--json", JSON_HELP)
    .addHelpText(
      "after",
      examples(
        "submit task.md",
        "submit task.md --wait",
        "submit task.md --wait --timeout 600 --json",
      ),
    )
    .action(async (file, opts) => setExit(await submitCommand(file, opts)));

  program.command("status")
    .description("Show a run: Run, Status, Repo, Iteration, Result")
    .argument("<id>", "run id")
    .option("--json", JSON_HELP)
    .addHelpText("after", examples("status <run-id>", "status <run-id> --json"))
    .action(async (id, opts) => setExit(await statusCommand(id, opts)));

  program.command("logs")
    .description(
      "Print a run's events as [time] [LEVEL] KIND iter=N key=value lines",
    )
    .argument("<id>", "run id")
    .option("-f, --follow", "keep streaming new events until the run ends")
    .option("--json", `${JSON_HELP} (one event per line with --follow)`)
    .addHelpText("after", examples("logs <run-id>", "logs <run-id> --follow"))
    .action(async (id, opts) => setExit(await logsCommand(id, opts)));

  program.command("list")
    .description("List runs, newest first")
    .option(
      "-s, --status <status>",
      `only runs in this status (${RUN_STATUSES.join(", ")})`,
      parseStatus,
    )
    .option("-n, --limit <n>", "how many runs (1-200)", intIn(1, 200), 20)
    .option(
      "--offset <n>",
      "skip this many runs",
      intIn(0, Number.MAX_SAFE_INTEGER),
    )
    .option("--json", JSON_HELP)
    .addHelpText("after", examples("list", "list --status FAILED --limit 10"))
    .action(async (opts) => setExit(await listCommand(opts)));

  program.command("cancel")
    .description("Cancel a pending, running or waiting run")
    .argument("<id>", "run id")
    .option("--json", JSON_HELP)
    .addHelpText("after", examples("cancel <run-id>"))
    .action(async (id, opts) => setExit(await cancelCommand(id, opts)));

  program.command("revise")
    .description(
      "Start a follow-up of a finished run: same branch and pull request, the feedback given to its SE",
    )
    .argument("<id>", "run id")
    .argument("[feedback]", "what to change")
    .option("-f, --file <file>", "read the feedback from this file")
    .option(
      "--max-iterations <n>",
      "the follow-up's max_iterations (default: the run's)",
      intIn(1, 20),
    )
    .option("--json", JSON_HELP)
    .addHelpText(
      "after",
      examples(
        'revise <run-id> "Also handle negative numbers"',
        "revise <run-id> --file review.md",
      ),
    )
    .action(async (id, feedback, opts) =>
      setExit(await reviseCommand(id, feedback, opts))
    );

  const decisions = {
    approve: {
      description:
        "Approve a run in AWAITING_APPROVAL: push its commit (and open its pull request)",
      comment: "why (kept in the run's events)",
      examples: ["approve <run-id>"],
    },
    reject: {
      description:
        "Reject a run in AWAITING_APPROVAL: nothing is pushed; it ends REJECTED",
      comment: "why (kept in the run's events and result)",
      examples: [
        "reject <run-id>",
        'reject <run-id> --comment "wrong approach"',
      ],
    },
  } as const;
  for (const action of ["approve", "reject"] as const) {
    const decision = decisions[action];
    program.command(action)
      .description(decision.description)
      .argument("<id>", "run id")
      .option("-c, --comment <text>", decision.comment)
      .option("--json", JSON_HELP)
      .addHelpText("after", examples(...decision.examples))
      .action(async (id, opts) =>
        setExit(await decideCommand(action, id, opts))
      );
  }

  program.command("resume")
    .description(
      "Resume a run PAUSED at a budget (on_budget: pause) with raised limits",
    )
    .argument("<id>", "run id")
    .option(
      "--tokens <n>",
      "new max_total_tokens for the whole run",
      intIn(1, 100_000_000),
    )
    .option("--cost <usd>", "new max_cost_usd for the whole run", parseDollars)
    .option(
      "--wall <s>",
      "new max_wall_time_s (time spent paused does not count)",
      intIn(1, 86_400),
    )
    .option("--json", JSON_HELP)
    .addHelpText(
      "after",
      examples(
        "resume <run-id> --tokens 800000",
        "resume <run-id> --cost 5 --wall 3600",
      ),
    )
    .action(async (id, opts) => setExit(await resumeCommand(id, opts)));

  const schedule = program.command("schedule")
    .description("Submit a work order on a cron schedule (server-side)");
  schedule.command("add")
    .description(
      "Add a schedule: each slot submits the work order as a new run (skipped while the last one is active)",
    )
    .argument("<file>", "work order markdown file")
    .requiredOption(
      "--cron <expr>",
      "5 fields (minute hour day month weekday), or 6 with seconds first",
    )
    .option("--timezone <tz>", "IANA time zone (default UTC)")
    .option("--json", JSON_HELP)
    .addHelpText(
      "after",
      examples(
        'schedule add nightly.md --cron "0 3 * * 1"',
        'schedule add nightly.md --cron "30 6 * * *" --timezone Europe/Berlin',
      ),
    )
    .action(async (file, opts) =>
      setExit(await scheduleAddCommand(file, opts))
    );
  schedule.command("list")
    .description("List schedules with their next slot")
    .option("--json", JSON_HELP)
    .action(async (opts) => setExit(await scheduleListCommand(opts)));
  schedule.command("rm")
    .description("Delete a schedule (the runs it started are kept)")
    .argument("<id>", "schedule id")
    .option("--json", JSON_HELP)
    .action(async (id, opts) => setExit(await scheduleRemoveCommand(id, opts)));

  program.command("artifacts")
    .description("List a run's artifacts, or download one by name")
    .argument("<id>", "run id")
    .argument("[name]", "artifact to download (to stdout unless -o)")
    .option("-o, --output <file>", "write the artifact to this file")
    .option("--json", JSON_HELP)
    .addHelpText(
      "after",
      examples(
        "artifacts <run-id>",
        "artifacts <run-id> summary.json",
        "artifacts <run-id> diff.patch -o run.patch",
      ),
    )
    .action(async (id, name, opts) =>
      setExit(await artifactsCommand(id, name, opts))
    );

  program.command("validate")
    .description(
      "Check a work order file without a server (same rules as the server)",
    )
    .argument("<file>", "work order markdown file")
    .option("--json", JSON_HELP)
    .addHelpText("after", examples("validate task.md"))
    .action(async (file, opts) => setExit(await validateCommand(file, opts)));

  program.command("eval")
    .description(
      "Run an eval suite: submit each task, wait, run its hidden check here; " +
        "print per-task results and the solve rate (README: Evals)",
    )
    .argument("[suite]", "suite folder (e.g. eval/tasks)")
    .option("-r, --repeat <n>", "attempts per task", intIn(1, 100), 1)
    .option(
      "-c, --concurrency <k>",
      "attempts in flight at once",
      intIn(1, 64),
      1,
    )
    .option("--model <name>", "model for both agents (work order `model`)")
    .option("--se-model <name>", "model for the SE (work order `se_model`)")
    .option("--po-model <name>", "model for the PO (work order `po_model`)")
    .option("-q, --quick", "only the quick subset named in suite.yml")
    .option(
      "--tasks <names>",
      "only these tasks (comma-separated folder names)",
      (value: string) => value.split(",").map((n) => n.trim()).filter(Boolean),
    )
    .option("--json <file>", "write the result (JSON) to this file")
    .option("--markdown <file>", "write the result as markdown to this file")
    .option(
      "-t, --timeout <seconds>",
      "cancel a run still going after this long (status TIMED_OUT)",
      parseSeconds,
    )
    .option("--keep", "keep the task repositories and checkouts (path printed)")
    .option(
      "--compare <files...>",
      "show two JSON results side by side instead of running (A.json B.json)",
    )
    .addHelpText(
      "after",
      examples(
        "eval eval/tasks",
        "eval eval/tasks --quick --repeat 3 --concurrency 2 --json a.json",
        "eval eval/tasks --model qwen2.5-coder-1.5b --timeout 1800 --markdown a.md",
        "eval --compare a.json b.json",
      ),
    )
    .action(async (suite, opts) => {
      if (opts.compare) {
        if (suite !== undefined) {
          throw inputError("Give either a suite or --compare A.json B.json");
        }
        setExit(await compareCommand(opts.compare));
        return;
      }
      if (suite === undefined) {
        throw inputError("Missing the suite folder (e.g. eval/tasks)");
      }
      setExit(await evalCommand(suite, opts));
    });

  return program;
}

/** Reports `err` and returns its exit code. */
function report(err: unknown, json: boolean): ExitCode {
  if (err instanceof CliError) {
    if (json) {
      printJson({
        error: { code: err.code, message: err.message, details: err.data },
      });
    }
    printNote(`Error: ${err.message}`);
    for (const line of err.details) printNote(`  - ${line}`);
    return err.exitCode;
  }
  printNote(`Error: ${err instanceof Error ? err.message : String(err)}`);
  return EXIT.failed;
}

/** Runs the CLI on `args` (without the program name) and returns the exit code. */
export async function runCli(args: string[]): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.succeeded;
  const program = buildProgram((code) => exitCode = code);
  try {
    await program.parseAsync(args, { from: "user" });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed help or the usage error already.
      return err.exitCode === 0 ? EXIT.succeeded : EXIT.invalid;
    }
    return report(err, args.includes("--json"));
  }
}

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args));
}
