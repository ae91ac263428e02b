/**
 * The model configuration checked before any run needs it: the key present,
 * the endpoint reachable (a short GET of `<base>/models`), and the configured
 * models listed where the endpoint lists models. A wrong URL then shows on
 * the console and in /readyz at start, not minutes into a run.
 */
import { connectionReason } from "./errors.ts";
import { safeUrl } from "./client.ts";

/** The default OpenAI endpoint (OPENAI_BASE_URL unset). */
export const OPENAI_ENDPOINT = "https://api.openai.com/v1";

/** What the last check found. */
export interface ModelCheck {
  /** True when nothing is known to be wrong. */
  ok: boolean;
  /** The endpoint checked, without credentials. */
  endpoint: string;
  /** The configured models (AOS_MODEL, AOS_SE_MODEL, AOS_PO_MODEL). */
  models: string[];
  /** Whether the endpoint answered `/models` with a list (false: it has no such route, which is allowed). */
  listed: boolean;
  /** What is wrong, one sentence each, naming the variable to fix. */
  problems: string[];
  /** When this was checked (ISO). */
  checked_at: string;
}

/** Options of checkModel(). */
export interface ModelCheckOptions {
  apiKey: string | null;
  /** OPENAI_BASE_URL, or null for OpenAI's. */
  baseUrl: string | null;
  models: string[];
  /** How long the GET may take (default 5 s). */
  timeoutMs?: number;
  /** The clock for `checked_at` (tests). */
  now?: () => Date;
  /** Aborts the check (shutdown). */
  signal?: AbortSignal;
}

/** Listing more than this of the endpoint's models in a message helps nobody. */
const SHOWN_MODELS = 8;

/** Checks key, endpoint and models once; never throws. */
export async function checkModel(opts: ModelCheckOptions): Promise<ModelCheck> {
  const base = (opts.baseUrl ?? OPENAI_ENDPOINT).replace(/\/+$/, "");
  const timeoutMs = opts.timeoutMs ?? 5000;
  const endpoint = safeUrl(base);
  const models = [...new Set(opts.models)];
  const problems: string[] = [];
  if (!opts.apiKey) {
    problems.push(
      "OPENAI_API_KEY is not set: every run would fail at its first model request (a local server that needs no key takes any value)",
    );
  }
  let listed = false;
  const where = `${endpoint} (OPENAI_BASE_URL${
    opts.baseUrl === null ? " unset: OpenAI's API" : ""
  })`;
  try {
    const response = await fetch(`${base}/models`, {
      headers: opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {},
      signal: opts.signal
        ? AbortSignal.any([opts.signal, AbortSignal.timeout(timeoutMs)])
        : AbortSignal.timeout(timeoutMs),
      redirect: "manual",
    });
    // A body that stalls is cut by the same timeout (and reported below).
    const text = await response.text();
    if (response.status === 401 || response.status === 403) {
      problems.push(
        `The model endpoint ${where} rejected OPENAI_API_KEY (HTTP ${response.status})`,
      );
    } else if (response.ok) {
      const ids = modelIds(text);
      if (ids !== null) {
        listed = true;
        const missing = models.filter((m) => !ids.includes(m));
        if (missing.length > 0) {
          const shown = ids.slice(0, SHOWN_MODELS).map((id) => `'${id}'`)
            .join(", ");
          problems.push(
            `The model endpoint ${where} does not list ${
              missing.map((m) => `'${m}'`).join(", ")
            } (AOS_MODEL, AOS_SE_MODEL, AOS_PO_MODEL); it lists ${
              ids.length === 0
                ? "none"
                : `${shown}${ids.length > SHOWN_MODELS ? ", …" : ""}`
            }`,
          );
        }
      }
    } else if (response.status >= 500) {
      problems.push(
        `The model endpoint ${where} answered HTTP ${response.status} to GET /models`,
      );
    }
    // Other statuses (404, 405): a server without a model list; requests may still work.
  } catch (error) {
    const reason = error instanceof DOMException &&
        (error.name === "TimeoutError" || error.name === "AbortError")
      ? `no answer within ${timeoutMs} ms`
      : error instanceof Error
      ? connectionReason(error)
      : String(error);
    problems.push(`The model endpoint ${where} is unreachable: ${reason}`);
  }
  return {
    ok: problems.length === 0,
    endpoint,
    models,
    listed,
    problems,
    checked_at: (opts.now?.() ?? new Date()).toISOString(),
  };
}

/** The ids of an OpenAI-style `{ data: [{ id }] }` list, or null when the body is not one. */
function modelIds(text: string): string[] | null {
  try {
    const body = JSON.parse(text) as { data?: unknown };
    if (!Array.isArray(body.data)) return null;
    return body.data.flatMap((m) =>
      typeof m === "object" && m !== null &&
        typeof (m as { id?: unknown }).id === "string"
        ? [(m as { id: string }).id]
        : []
    );
  } catch {
    return null;
  }
}

/**
 * Keeps the latest ModelCheck: checks at start, again every `okEveryMs`
 * while fine and every `failingEveryMs` while not, and logs each change.
 */
export class ModelHealth {
  #current: ModelCheck | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #running: Promise<void> = Promise.resolve();
  #stopped = false;
  readonly #abort = new AbortController();
  readonly #opts: ModelCheckOptions & {
    okEveryMs: number;
    failingEveryMs: number;
    log: (line: string) => void;
  };

  constructor(
    opts: ModelCheckOptions & {
      okEveryMs?: number;
      failingEveryMs?: number;
      log: (line: string) => void;
    },
  ) {
    this.#opts = {
      okEveryMs: 300_000,
      failingEveryMs: 30_000,
      ...opts,
    };
  }

  /** The latest check, or null before the first one ends. */
  get current(): ModelCheck | null {
    return this.#current;
  }

  /** Runs the first check (awaited) and schedules the next ones. */
  async start(): Promise<ModelCheck> {
    await this.check();
    return this.#current!;
  }

  /** Checks now (one check at a time) and reschedules. */
  check(): Promise<void> {
    this.#running = this.#running.then(async () => {
      if (this.#stopped) return;
      const next = await checkModel({
        ...this.#opts,
        signal: this.#abort.signal,
      });
      if (this.#stopped) return;
      const before = this.#current;
      this.#current = next;
      if (
        before === null || before.ok !== next.ok ||
        before.problems.join() !== next.problems.join()
      ) {
        this.#opts.log(
          next.ok
            ? `Model: ${next.endpoint} answers${
              next.listed ? ` and lists ${next.models.join(", ")}` : ""
            }`
            : `WARNING: model configuration: ${next.problems.join("; ")}`,
        );
      }
      if (this.#stopped) return;
      if (this.#timer !== null) clearTimeout(this.#timer);
      this.#timer = setTimeout(
        () => void this.check(),
        next.ok ? this.#opts.okEveryMs : this.#opts.failingEveryMs,
      );
      Deno.unrefTimer(this.#timer);
    });
    return this.#running;
  }

  /** Stops the re-checks; waits for one in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    if (this.#timer !== null) clearTimeout(this.#timer);
    await this.#running;
  }
}
