/** Exit codes of the `aos` command and the error that carries one. */

/** Process exit codes (DESIGN §9); scripts depend on these values. */
export const EXIT = {
  succeeded: 0,
  failed: 1,
  invalid: 2,
  timedOut: 3,
  cancelled: 4,
  unreachable: 5,
  /** The run ended REJECTED (approval: before_push, nothing pushed). */
  rejected: 6,
  /** Ctrl-C while waiting (128 + SIGINT, as shells report it); the run keeps going. */
  interrupted: 130,
} as const;

/** One of the `EXIT` values. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Why a request to the server did not give an answer we can use. */
export type CliErrorKind =
  | "unreachable"
  | "unauthorized"
  | "http"
  | "input"
  | "timeout"
  | "stream";

/** A user-facing failure: `message` is printed, `exitCode` ends the process. */
export class CliError extends Error {
  override name = "CliError";
  readonly exitCode: ExitCode;
  readonly kind: CliErrorKind;
  /** Machine-readable code (the server's `error.code` when there is one). */
  readonly code: string;
  /** Extra lines printed under the message, e.g. validation issues. */
  readonly details: string[];
  /** Structured details for `--json` output (e.g. the `{field, message}` issues). */
  readonly data: unknown;
  constructor(
    message: string,
    opts: {
      exitCode: ExitCode;
      kind: CliErrorKind;
      code?: string;
      details?: string[];
      data?: unknown;
      cause?: unknown;
    },
  ) {
    super(message, { cause: opts.cause });
    this.exitCode = opts.exitCode;
    this.kind = opts.kind;
    this.code = opts.code ?? opts.kind;
    this.details = opts.details ?? [];
    this.data = opts.data ?? this.details;
  }
}

/** A CliError for bad user input (exit 2). */
export function inputError(
  message: string,
  details: string[] = [],
  data?: unknown,
): CliError {
  return new CliError(message, {
    exitCode: EXIT.invalid,
    kind: "input",
    code: "invalid_input",
    details,
    data,
  });
}
