/** The error of a stored value (artifact, event, work order) that does not parse. */
import type { z } from "zod";

/**
 * A value read back from the store did not match its declared shape: named
 * (the artifact, the event, the work order) with the first problems, never
 * a silent cast that fails three calls later.
 */
export class StoredValueError extends Error {
  override name = "StoredValueError";
  /** What was read: `artifact 'se_packet_iter_1.json'`, `event 0001 (SE_OUTPUT)`. */
  readonly what: string;
  constructor(what: string, error: z.ZodError | string) {
    super(
      `Stored ${what} does not parse: ${
        typeof error === "string" ? error : issues(error)
      }`,
      typeof error === "string" ? undefined : { cause: error },
    );
    this.what = what;
  }
}

/** The first few issues, each `path: message`. */
function issues(error: z.ZodError): string {
  const shown = error.issues.slice(0, 3).map((issue) =>
    `${
      issue.path.length > 0 ? issue.path.join(".") : "(value)"
    }: ${issue.message}`
  );
  const more = error.issues.length - shown.length;
  return shown.join("; ") + (more > 0 ? ` (and ${more} more)` : "");
}
