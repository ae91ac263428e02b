/** Errors the runtime throws to callers, and the one handlers throw to it. */

/** `system.send` was rejected: a `check` among its extra mutations failed. */
export class CommitConflictError extends Error {
  override name = "CommitConflictError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * Thrown by a handler for a failure that retrying cannot fix: the message is
 * dead-lettered at once instead of being retried.
 */
export class TerminalError extends Error {
  override name = "TerminalError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
