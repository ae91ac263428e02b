/**
 * The request body limits of the routes that take a body: each body at most
 * AOS_MAX_BODY_BYTES (413 before it is parsed), and the bodies being read and
 * parsed at once at most a fixed budget. Reading a submission costs several
 * times its size (bytes, text, parsed JSON, the rendered work order); without
 * the budget, concurrent megabyte submissions — most of them refused — grew
 * the process by hundreds of MB (V8 keeps the heap it grew to). A request
 * over its share waits for earlier ones to finish instead.
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HttpError } from "../errors.ts";

/** Bodies in flight may add up to this many times the per-body limit. */
export const BODIES_IN_FLIGHT = 4;

/** A weighted semaphore over body bytes. */
export class BodyBudget {
  #free: number;
  readonly #waiting: { weight: number; go: () => void }[] = [];

  constructor(readonly capacity: number) {
    this.#free = capacity;
  }

  /** Waits until `weight` bytes fit (a weight over the capacity takes it all). */
  async acquire(weight: number): Promise<() => void> {
    const w = Math.min(weight, this.capacity);
    if (this.#waiting.length === 0 && w <= this.#free) this.#free -= w;
    else await new Promise<void>((go) => this.#waiting.push({ weight: w, go }));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#free += w;
      this.#wake();
    };
  }

  /** Bytes not taken (for tests). */
  get free(): number {
    return this.#free;
  }

  #wake(): void {
    while (this.#waiting.length > 0 && this.#waiting[0]!.weight <= this.#free) {
      const next = this.#waiting.shift()!;
      this.#free -= next.weight;
      next.go();
    }
  }
}

/**
 * Middleware: 413 once a body is over `maxBytes`; waits for its share of
 * `budget` (default: the route's own, BODIES_IN_FLIGHT bodies of `maxBytes`).
 */
export function limitBody(
  maxBytes: number,
  budget: BodyBudget = new BodyBudget(BODIES_IN_FLIGHT * maxBytes),
): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new HttpError(
        413,
        "payload_too_large",
        `Request body is over the ${maxBytes}-byte limit (AOS_MAX_BODY_BYTES)`,
      );
    },
  });
  return async (c, next) => {
    const declared = Number(c.req.header("content-length"));
    // Over the limit by its own account: refused at once, nothing read.
    if (declared > maxBytes) return await limit(c, next);
    const release = await budget.acquire(
      Number.isSafeInteger(declared) && declared >= 0 ? declared : maxBytes,
    );
    try {
      return await limit(c, next);
    } finally {
      release();
    }
  };
}
