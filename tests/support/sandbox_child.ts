/**
 * Runs one sandboxed command in this process and prints its result as JSON:
 * tests start it as another (unprivileged) user to check the sandbox holds
 * when the service does not run as root. Usage: sandbox_child.ts '<options json>'.
 */
import { runCommand, type RunCommandOptions } from "../../lib/sandbox/mod.ts";

const opts = JSON.parse(Deno.args[0] ?? "{}") as RunCommandOptions;
console.log(JSON.stringify(await runCommand(opts)));
