/** Writing to the terminal: text lines, JSON and raw bytes on stdout, notes on stderr. */

const encoder = new TextEncoder();

/** Writes all of `bytes` to stdout. */
export function writeStdout(bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) {
    offset += Deno.stdout.writeSync(bytes.subarray(offset));
  }
}

/** Writes `text` to stdout as-is (no newline added). */
export function writeText(text: string): void {
  writeStdout(encoder.encode(text));
}

/** Prints a line on stdout. */
export function printLine(text = ""): void {
  writeText(`${text}\n`);
}

/** Prints `value` as pretty JSON on stdout. */
export function printJson(value: unknown): void {
  printLine(JSON.stringify(value, null, 2));
}

/** Prints a note (not the command's result) on stderr. */
export function printNote(text: string): void {
  const bytes = encoder.encode(`${text}\n`);
  let offset = 0;
  while (offset < bytes.length) {
    offset += Deno.stderr.writeSync(bytes.subarray(offset));
  }
}

/** Whether stdout is an interactive terminal. */
export function stdoutIsTerminal(): boolean {
  try {
    return Deno.stdout.isTerminal();
  } catch {
    return false;
  }
}

/** Width of the terminal, 80 when unknown. */
export function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns || 80;
  } catch {
    return 80;
  }
}
