/** `aos revise ID "feedback"` (or `--file`): starts a follow-up of a finished run. */
import { AosClient } from "./client.ts";
import { EXIT, type ExitCode, inputError } from "./errors.ts";
import { formatStatusBlock } from "./format.ts";
import { printJson, printLine, printNote } from "./output.ts";

/** Longest feedback file read (the server takes 20,000 characters). */
const MAX_FILE_BYTES = 256 * 1024;

/** Options of `aos revise`. */
export interface ReviseOptions {
  file?: string;
  maxIterations?: number;
  json?: boolean;
}

/** Starts the follow-up and prints it; the feedback is the argument or the file, not both. */
export async function reviseCommand(
  id: string,
  feedback: string | undefined,
  opts: ReviseOptions,
): Promise<ExitCode> {
  const text = await feedbackText(feedback, opts.file);
  const client = AosClient.fromEnv();
  const run = await client.revise(id, {
    feedback: text,
    ...(opts.maxIterations === undefined
      ? {}
      : { max_iterations: opts.maxIterations }),
  });
  if (opts.json) printJson(run);
  else {
    printLine(formatStatusBlock(run, client.runLink(run.id)));
    printNote(
      `Follow-up of ${id} started; follow it with \`aos logs ${run.id} --follow\``,
    );
  }
  return EXIT.succeeded;
}

async function feedbackText(
  feedback: string | undefined,
  file: string | undefined,
): Promise<string> {
  if (feedback !== undefined && file !== undefined) {
    throw inputError(
      "Give the feedback as an argument or with --file, not both",
    );
  }
  if (file === undefined) {
    if (feedback === undefined || feedback.trim() === "") {
      throw inputError(
        'Say what to change: aos revise ID "feedback" (or --file notes.md)',
      );
    }
    return feedback;
  }
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(file);
  } catch (err) {
    throw inputError(
      `Cannot read feedback file "${file}": ${
        err instanceof Deno.errors.NotFound
          ? "no such file"
          : err instanceof Error
          ? err.message
          : String(err)
      }`,
    );
  }
  if (!info.isFile) {
    throw inputError(`Feedback file "${file}" is not a regular file`);
  }
  if (info.size > MAX_FILE_BYTES) {
    throw inputError(
      `Feedback file "${file}" is ${info.size} bytes, more than ${MAX_FILE_BYTES}`,
    );
  }
  const bytes = await Deno.readFile(file);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw inputError(`Feedback file "${file}" is not UTF-8 text`);
  }
  if (text.trim() === "") {
    throw inputError(`Feedback file "${file}" is empty`);
  }
  return text;
}
