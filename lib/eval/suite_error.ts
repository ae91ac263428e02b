/** The error of a suite that cannot be run as it is. */

/** A suite that cannot be run as it is: `file` is where the problem is. */
export class SuiteError extends Error {
  override name = "SuiteError";
  readonly file: string;
  /** One line per problem found in `file`. */
  readonly details: string[];
  constructor(file: string, message: string, details: string[] = []) {
    super(message);
    this.file = file;
    this.details = details;
  }
}
