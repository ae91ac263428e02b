/**
 * Git and forge credentials per host (DESIGN §7): `AOS_GIT_CREDENTIALS`, a JSON
 * object inline or `@/path/file.json`, keyed by `host` or `host:port`, plus
 * `GITHUB_TOKEN` as the github.com credential when the map does not name it.
 */
import { z } from "zod";
import {
  FORGE_KINDS,
  type ForgeKind,
  FORGES,
  knownForgeKind,
} from "../forge/mod.ts";

/** One host's credential, defaults applied. */
export interface HostCredential {
  /** The key it was configured under (`host` or `host:port`, lower case). */
  host: string;
  token: string;
  kind: ForgeKind;
  /** Forge API base URL, no trailing slash. */
  api: string;
  /** Basic-auth user name git sends with the token. */
  username: string;
  /** Allows the token over plain http to this host and its API (test rigs only). */
  insecureHttp: boolean;
  /** Where it came from, for messages: `AOS_GIT_CREDENTIALS["host"]` or `GITHUB_TOKEN`. */
  source: string;
  /** `webhook_secret`: verifies this forge's deliveries to `/triggers/{kind}`; null turns triggers off for the host. */
  webhookSecret: string | null;
}

const HOST_KEY = /^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?(?::[0-9]{1,5})?$/;

const entrySchema = z.strictObject({
  token: z.string().trim().min(1, "Must be a non-empty string"),
  kind: z.enum(FORGE_KINDS as [ForgeKind, ...ForgeKind[]]).optional(),
  api: z.string().optional(),
  username: z.string().trim().min(1).max(256).optional(),
  insecure_http: z.boolean().optional(),
  webhook_secret: z.string().trim().min(
    16,
    "Must be at least 16 characters (the forge signs each delivery with it)",
  ).max(1024).optional(),
});

/** Credentials by host; `forHost` picks the one git and the forge API get. */
export class GitCredentials {
  readonly #byKey: Map<string, HostCredential>;

  /** No credentials at all. */
  static readonly none: GitCredentials = new GitCredentials([]);

  constructor(entries: readonly HostCredential[]) {
    this.#byKey = new Map(entries.map((e) => [e.host, e]));
  }

  /** Every configured credential. */
  get entries(): HostCredential[] {
    return [...this.#byKey.values()];
  }

  /**
   * The credential for `hostname` (with `port`, "" for the scheme default):
   * an exact `host:port` key first, then a bare `host` key (any port).
   */
  forHost(hostname: string, port = ""): HostCredential | null {
    const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
    if (port !== "") {
      const exact = this.#byKey.get(`${host}:${port}`);
      if (exact) return exact;
    }
    return this.#byKey.get(host) ?? null;
  }

  /** The credential for the host of an http(s) URL, or null. */
  forUrl(url: string): HostCredential | null {
    try {
      const parsed = new URL(url);
      return this.forHost(parsed.hostname, parsed.port);
    } catch {
      return null;
    }
  }

  /** Every secret value and the forms it takes on the wire (Basic auth), for the Redactor. */
  secrets(): string[] {
    return this.entries.flatMap((e) => [
      e.token,
      btoa(`${e.username}:${e.token}`),
      ...(e.webhookSecret ? [e.webhookSecret] : []),
    ]);
  }
}

/** The outcome of reading the configuration: the credentials, or what is wrong (never a token). */
export interface CredentialsResult {
  credentials: GitCredentials;
  issues: string[];
}

/**
 * Reads `AOS_GIT_CREDENTIALS` (`raw`: JSON, or `@path` of a JSON file) and
 * `GITHUB_TOKEN`. Issues name the host and the field; they never quote a token.
 */
export function readGitCredentials(
  raw: string | null,
  githubToken: string | null,
  readTextFile: (path: string) => string = Deno.readTextFileSync,
): CredentialsResult {
  const issues: string[] = [];
  const entries: HostCredential[] = [];
  let text = raw?.trim() ?? "";
  if (text.startsWith("@")) {
    const path = text.slice(1).trim();
    try {
      text = readTextFile(path);
    } catch (error) {
      const why = error instanceof Error ? error.name : "error";
      issues.push(`Could not read credentials file '${path}' (${why})`);
      text = "";
    }
  }
  if (text.trim() !== "") {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      // The parser's message quotes the text around the error: it may hold a token.
      issues.push("Is not valid JSON (expected an object keyed by host)");
    }
    if (data !== undefined) readMap(data, entries, issues);
  }
  if (githubToken && !entries.some((e) => e.host === "github.com")) {
    entries.push({
      host: "github.com",
      token: githubToken,
      kind: "github",
      api: FORGES.github.defaultApi("github.com"),
      username: FORGES.github.username,
      insecureHttp: false,
      source: "GITHUB_TOKEN",
      webhookSecret: null,
    });
  }
  return { credentials: new GitCredentials(entries), issues };
}

function readMap(
  data: unknown,
  entries: HostCredential[],
  issues: string[],
): void {
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    issues.push("Must be a JSON object keyed by host (or host:port)");
    return;
  }
  for (const [rawKey, value] of Object.entries(data)) {
    const host = rawKey.trim().toLowerCase();
    const where = `entry '${rawKey.slice(0, 100)}'`;
    if (!HOST_KEY.test(host)) {
      issues.push(
        `Key '${
          rawKey.slice(0, 100)
        }' must be a host name or host:port (no scheme, path or user)`,
      );
      continue;
    }
    const parsed = entrySchema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = issue.path.join(".");
        const message = issue.code === "unrecognized_keys"
          ? `unknown field(s) ${
            issue.keys.map((k) => `'${k}'`).join(", ")
          } (allowed: token, kind, api, username, insecure_http, webhook_secret)`
          : issue.message;
        issues.push(`${where}${field ? `, field '${field}'` : ""}: ${message}`);
      }
      continue;
    }
    const entry = parsed.data;
    const name = host.replace(/:\d+$/, "");
    const kind = entry.kind ?? knownForgeKind(name);
    if (kind === null) {
      issues.push(
        `${where}, field 'kind': required for hosts other than github.com and *.ghe.com (one of ${
          FORGE_KINDS.join(", ")
        })`,
      );
      continue;
    }
    const insecureHttp = entry.insecure_http ?? false;
    const api = (entry.api ?? FORGES[kind].defaultApi(host)).replace(
      /\/+$/,
      "",
    );
    const apiProblem = checkApi(api, insecureHttp);
    if (apiProblem) {
      issues.push(`${where}, field 'api': ${apiProblem}`);
      continue;
    }
    entries.push({
      host,
      token: entry.token,
      kind,
      api,
      username: entry.username ?? FORGES[kind].username,
      insecureHttp,
      source: `AOS_GIT_CREDENTIALS["${host}"]`,
      webhookSecret: entry.webhook_secret ?? null,
    });
  }
}

function checkApi(api: string, insecureHttp: boolean): string | null {
  let url: URL;
  try {
    url = new URL(api);
  } catch {
    return `must be an https URL, got '${api.slice(0, 200)}'`;
  }
  if (url.username || url.password) return "must not contain credentials";
  if (url.protocol === "https:") return null;
  if (url.protocol === "http:" && insecureHttp) return null;
  return `must be an https URL (http only with insecure_http: true), got '${
    api.slice(0, 200)
  }'`;
}
