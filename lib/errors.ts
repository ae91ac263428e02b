/** Domain errors; `routes/` maps each to one HTTP status in one place. */

/** A thing asked for by id or name does not exist (HTTP 404). */
export class NotFoundError extends Error {
  override name = "NotFoundError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The request conflicts with current state, e.g. cancelling a finished run (HTTP 409). */
export class ConflictError extends Error {
  override name = "ConflictError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** One problem found in user input: which field, and which rule it broke. */
export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `max_iterations` or `env.FOO`. */
  field: string;
  /** The rule it broke, in sentence case without a trailing period. */
  message: string;
}

/** User input broke a rule (HTTP 422; CLI exit 2). */
export class ValidationError extends Error {
  override name = "ValidationError";
  readonly issues: FieldIssue[];
  constructor(issues: FieldIssue[], options?: ErrorOptions) {
    super(
      issues.map((i) => i.field ? `${i.field}: ${i.message}` : i.message).join(
        "; ",
      ),
      options,
    );
    this.issues = issues;
  }
}
