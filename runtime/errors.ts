/** Errors the runtime throws to callers. */

/** `system.send` was rejected: a `check` among its extra mutations failed. */
export class CommitConflictError extends Error {
  override name = "CommitConflictError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
