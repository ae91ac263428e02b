/** HTTP client of the AOS API for the CLI: one place that maps failures to exit codes. */
import type { ArtifactMeta, RunEvent, RunRecord } from "../lib/store/types.ts";
import { CliError, EXIT, type ExitCode } from "./errors.ts";

/** Default server address (DESIGN §10). */
export const DEFAULT_URL = "http://localhost:8000";

/** One page of `GET /runs`. */
export interface RunPage {
  runs: RunRecord[];
  total: number;
  limit: number;
  offset: number;
}

/** Filter and page of `GET /runs`. */
export interface ListQuery {
  status?: string | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

/** Where the client talks to and with which token. */
export interface ClientOptions {
  baseUrl: string;
  token?: string | undefined;
}

/** `baseUrl` without credentials, for messages. */
function displayUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  url.username = "";
  url.password = "";
  return url.href.replace(/\/$/, "");
}

/** Short reason of a fetch network failure. */
function networkReason(err: unknown): string {
  const parts: string[] = [];
  for (
    let e: unknown = err;
    e instanceof Error && parts.length < 5;
    e = e.cause
  ) {
    parts.push(e.message);
  }
  const text = parts.join(": ") || String(err);
  if (/refused/i.test(text)) return "connection refused";
  if (/dns|lookup|name or service|not known/i.test(text)) {
    return "host not found";
  }
  if (/reset|closed|broken pipe/i.test(text)) return "connection closed";
  if (/timed? ?out/i.test(text)) return "connection timed out";
  return text.replace(/\s+/g, " ").slice(0, 200);
}

/** Exit code for an HTTP error status. */
function exitCodeFor(status: number): ExitCode {
  if (status === 401 || status === 503) return EXIT.unreachable;
  if (status >= 400 && status < 500) return EXIT.invalid;
  return EXIT.failed;
}

/** Lines for the `details` of an error body: `field: message` per issue. */
export function detailLines(details: unknown): string[] {
  if (!Array.isArray(details)) return [];
  return details.map((item) => {
    if (item && typeof item === "object") {
      const { field, message } = item as { field?: unknown; message?: unknown };
      if (typeof message === "string") {
        return typeof field === "string" && field
          ? `${field}: ${message}`
          : message;
      }
    }
    return JSON.stringify(item);
  });
}

/** Talks to the AOS API; every failure becomes a `CliError` with its exit code. */
export class AosClient {
  readonly baseUrl: string;
  readonly #token: string | undefined;

  constructor(opts: ClientOptions) {
    let url: URL;
    try {
      url = new URL(opts.baseUrl);
    } catch {
      throw new CliError(`AOS_URL "${opts.baseUrl}" is not a valid URL`, {
        exitCode: EXIT.invalid,
        kind: "input",
        code: "invalid_input",
      });
    }
    this.baseUrl = url.href.replace(/\/+$/, "");
    this.#token = opts.token || undefined;
  }

  /** The run's dashboard page (`AOS_URL/ui/runs/ID`), without credentials. */
  runLink(id: string): string {
    return `${displayUrl(this.baseUrl)}/ui/runs/${encodeURIComponent(id)}`;
  }

  /** A client for `AOS_URL` and `AOS_API_TOKEN` of `env`. */
  static fromEnv(
    env: Record<string, string | undefined> = Deno.env.toObject(),
  ): AosClient {
    return new AosClient({
      baseUrl: env.AOS_URL || DEFAULT_URL,
      token: env.AOS_API_TOKEN,
    });
  }

  /** Sends a request; maps network failures and 401/503, leaves other statuses to the caller. */
  async send(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.#token) headers.set("authorization", `Bearer ${this.#token}`);
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, { ...init, headers });
    } catch (err) {
      if (init.signal?.aborted) throw err;
      throw new CliError(
        `Cannot reach the AOS server at ${displayUrl(this.baseUrl)}: ${
          networkReason(err)
        }. ` +
          "Start it with `deno task start` or set AOS_URL to its address",
        {
          exitCode: EXIT.unreachable,
          kind: "unreachable",
          code: "unreachable",
          cause: err,
        },
      );
    }
    if (res.status === 401 || res.status === 503) {
      throw await this.#errorOf(res);
    }
    return res;
  }

  /** Sends a request and returns its JSON body; any non-2xx becomes a `CliError`. */
  async json<T>(
    path: string,
    init: RequestInit = {},
  ): Promise<{ status: number; body: T }> {
    const headers = new Headers(init.headers);
    headers.set("accept", "application/json");
    const res = await this.send(path, { ...init, headers });
    if (!res.ok) throw await this.#errorOf(res);
    return { status: res.status, body: (await res.json()) as T };
  }

  /** Submits a work order (markdown); returns the run and whether it was created now. */
  async submit(
    workOrderMd: string,
    opts: { idempotencyKey?: string | undefined } = {},
  ): Promise<{ run: RunRecord; created: boolean }> {
    const headers: Record<string, string> = {
      "content-type": "application/json",
    };
    if (opts.idempotencyKey) headers["idempotency-key"] = opts.idempotencyKey;
    const { status, body } = await this.json<RunRecord>("/runs", {
      method: "POST",
      headers,
      body: JSON.stringify({ work_order_md: workOrderMd }),
    });
    return { run: body, created: status === 201 };
  }

  /** The run record of `id` as stored now (a strong read, not the server's copy in memory). */
  async getRun(id: string): Promise<RunRecord> {
    return (await this.json<RunRecord>(
      `/runs/${encodeURIComponent(id)}?consistency=strong`,
    )).body;
  }

  /** A page of runs, newest first. */
  async listRuns(query: ListQuery = {}): Promise<RunPage> {
    const params = new URLSearchParams();
    if (query.status) params.set("status", query.status);
    if (query.limit !== undefined) params.set("limit", String(query.limit));
    if (query.offset !== undefined) params.set("offset", String(query.offset));
    const qs = params.size ? `?${params}` : "";
    return (await this.json<RunPage>(`/runs${qs}`)).body;
  }

  /** Events of a run after `after` (all when absent), following server pages to the end. */
  async listEvents(id: string, after?: string): Promise<RunEvent[]> {
    const all: RunEvent[] = [];
    let cursor = after;
    while (true) {
      const qs = cursor ? `?after=${encodeURIComponent(cursor)}` : "";
      const page = (await this.json<RunEvent[]>(
        `/runs/${encodeURIComponent(id)}/events${qs}`,
      ))
        .body;
      const last = page.at(-1);
      if (!last || last.seq === cursor) return all;
      all.push(...page);
      cursor = last.seq;
    }
  }

  /** Opens the SSE stream of a run's events after `lastEventId`. */
  async openEventStream(
    id: string,
    opts: {
      lastEventId?: string | undefined;
      signal?: AbortSignal | undefined;
    } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: "text/event-stream" };
    if (opts.lastEventId) headers["last-event-id"] = opts.lastEventId;
    const res = await this.send(
      `/runs/${encodeURIComponent(id)}/events/stream`,
      {
        headers,
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
    );
    if (!res.ok) throw await this.#errorOf(res);
    return res;
  }

  /** Asks the server to cancel a run; `stopped` is false while it is still winding down. */
  async cancel(id: string): Promise<{ run: RunRecord; stopped: boolean }> {
    const { status, body } = await this.json<RunRecord>(
      `/runs/${encodeURIComponent(id)}/cancel`,
      { method: "POST" },
    );
    return { run: body, stopped: status === 200 };
  }

  /** Starts a follow-up of finished run `id` (POST /runs/{id}/revise). */
  async revise(
    id: string,
    body: { feedback: string; max_iterations?: number },
  ): Promise<RunRecord> {
    return (await this.json<RunRecord>(
      `/runs/${encodeURIComponent(id)}/revise`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      },
    )).body;
  }

  /** Approves or rejects a run in AWAITING_APPROVAL; `applied` is false while the actor has not acted yet. */
  async decide(
    id: string,
    action: "approve" | "reject",
    comment?: string,
  ): Promise<
    { run: RunRecord & { follow_up_run_id?: string }; applied: boolean }
  > {
    const { status, body } = await this.json<
      RunRecord & { follow_up_run_id?: string }
    >(
      `/runs/${encodeURIComponent(id)}/${action}`,
      {
        method: "POST",
        ...(comment === undefined ? {} : {
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ comment }),
        }),
      },
    );
    return { run: body, applied: status === 200 };
  }

  /** Resumes a PAUSED run with raised limits; `applied` is false while the actor has not acted yet. */
  async resume(
    id: string,
    limits: {
      max_total_tokens?: number;
      max_cost_usd?: number;
      max_wall_time_s?: number;
    },
  ): Promise<{ run: RunRecord; applied: boolean }> {
    const { status, body } = await this.json<RunRecord>(
      `/runs/${encodeURIComponent(id)}/resume`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(limits),
      },
    );
    return { run: body, applied: status === 200 };
  }

  /** Artifacts of a run. */
  async listArtifacts(id: string): Promise<ArtifactMeta[]> {
    return (await this.json<ArtifactMeta[]>(
      `/runs/${encodeURIComponent(id)}/artifacts`,
    )).body;
  }

  /** The exact bytes of one artifact. */
  async downloadArtifact(id: string, name: string): Promise<Uint8Array> {
    const res = await this.send(
      `/runs/${encodeURIComponent(id)}/artifacts/${encodeURIComponent(name)}`,
    );
    if (!res.ok) throw await this.#errorOf(res);
    return new Uint8Array(await res.arrayBuffer());
  }

  /** Turns an error response into a `CliError` with a message saying what to do. */
  async #errorOf(res: Response): Promise<CliError> {
    const text = await res.text().catch(() => "");
    let code = `http_${res.status}`;
    let message = text.trim().slice(0, 300) ||
      `${res.status} ${res.statusText}`;
    let details: unknown;
    try {
      const parsed = JSON.parse(text) as {
        error?: { code?: unknown; message?: unknown; details?: unknown };
      };
      if (parsed.error && typeof parsed.error === "object") {
        if (typeof parsed.error.code === "string") code = parsed.error.code;
        if (typeof parsed.error.message === "string") {
          message = parsed.error.message;
        }
        details = parsed.error.details;
      }
    } catch {
      // Not JSON (a proxy's page, say): keep the raw text.
    }
    const where = displayUrl(this.baseUrl);
    if (res.status === 401) {
      message = this.#token
        ? `The server at ${where} rejected the API token (AOS_API_TOKEN): ` +
          "set AOS_API_TOKEN to the token the server was started with"
        : `The server at ${where} requires a token: set AOS_API_TOKEN`;
    } else if (res.status === 503) {
      message = `The AOS server at ${where} is not ready: ${message}`;
    }
    return new CliError(message, {
      exitCode: exitCodeFor(res.status),
      kind: res.status === 401 ? "unauthorized" : "http",
      code,
      details: detailLines(details),
      data: details,
    });
  }
}
