/**
 * How one environment variable is read (lib/config.ts has the table of them):
 * each reader turns the variable's value into a setting, or reports why not
 * and gives its fallback, so every bad variable is named at once.
 */
import { redactUrl } from "./redact.ts";
import { hostPatternProblem } from "./egress/mod.ts";
import type { TestTarget } from "./egress/mod.ts";
import { isPrivateAddress, v4Octets } from "./net/mod.ts";

/** What a reader sees of its variable. */
export interface Source {
  /** Trimmed; null when unset or blank. */
  value: string | null;
  /** As set, for messages that quote it. */
  raw: string | undefined;
  /** Records why the value is refused (the reader then returns its fallback). */
  problem(message: string): void;
}

/** Reads one variable. */
export type Reader<T> = (source: Source) => T;

/** One row of the table: the variable and its reader. */
export interface Field<T> {
  env: string;
  read: Reader<T>;
}

/** A row: variable `env` read by `read`. */
export function field<T>(env: string, read: Reader<T>): Field<T> {
  return { env, read };
}

/** Text as set, else `fallback`. */
export function text<F extends string | null>(
  fallback: F,
): Reader<string | F> {
  return ({ value }) => value ?? fallback;
}

/** An integer in [min, max] (digits only), times `scale` (seconds → ms, MB → bytes). */
export function integer(
  fallback: number,
  min: number,
  max: number,
  scale = 1,
): Reader<number> {
  return ({ value: raw, problem }) => {
    if (raw === null) return fallback * scale;
    const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      problem(`Must be an integer from ${min} to ${max}, got '${raw}'`);
      return fallback * scale;
    }
    return value * scale;
  };
}

/** 1/true/yes/on or 0/false/no/off (any case), else `fallback` when unset; false when refused. */
export function flag<F extends boolean | null>(
  fallback: F,
): Reader<boolean | F> {
  return ({ value, raw, problem }) => {
    const word = value?.toLowerCase();
    if (word === undefined) return fallback;
    if (["1", "true", "yes", "on"].includes(word)) return true;
    if (!["0", "false", "no", "off"].includes(word)) {
      problem(`Must be 'true' or 'false', got '${raw}'`);
    }
    return false;
  };
}

/** One of `values`, else `fallback`. */
export function oneOf<const V extends readonly string[]>(
  values: V,
  fallback: V[number],
): Reader<V[number]> {
  const quoted = values.map((v) => `'${v}'`);
  const expected = quoted.length === 2
    ? `${quoted[0]} or ${quoted[1]}`
    : `one of ${quoted.join(", ")}`;
  return ({ value, problem }) => {
    if (value === null) return fallback;
    if (values.includes(value)) return value;
    problem(`Must be ${expected}, got '${value}'`);
    return fallback;
  };
}

/** An http(s) URL (trailing slashes dropped when `trimSlash`), or null; messages hide its credentials. */
export function httpUrl(opts: { trimSlash?: boolean } = {}): Reader<
  string | null
> {
  return ({ value, problem }) => {
    const url = opts.trimSlash ? value?.replace(/\/+$/, "") ?? null : value;
    if (url !== null && !isHttpUrl(url)) {
      problem(`Must be an http(s) URL, got '${redactUrl(url)}'`);
    }
    return url;
  };
}

/** Comma-separated entries, each trimmed and `normalize`d, blanks dropped; `problem` refuses one. */
export function list(opts: {
  normalize?: (entry: string) => string;
  problem?: (entry: string) => string | null;
} = {}): Reader<string[]> {
  return ({ value, problem }) => {
    const entries = (value ?? "").split(",")
      .map((s) => opts.normalize?.(s.trim()) ?? s.trim())
      .filter((s) => s !== "");
    for (const entry of entries) {
      const message = opts.problem?.(entry) ?? null;
      if (message !== null) problem(message);
    }
    return entries;
  };
}

/** A reasoning effort word (`low`, `medium`, `high` …), or null. */
export function effort(): Reader<string | null> {
  return ({ value, problem }) => {
    if (value !== null && !/^[a-z]{1,20}$/.test(value)) {
      problem(
        `Must be a reasoning effort such as 'low', 'medium' or 'high', got '${value}'`,
      );
      return null;
    }
    return value;
  };
}

/**
 * A git identity part, else `fallback`. git takes any bytes here, but '<',
 * '>' and line breaks would forge another identity line.
 */
export function identity(fallback: string): Reader<string> {
  return ({ value, problem }) => {
    if (value !== null && (/[<>\p{Cc}]/u.test(value) || value.length > 200)) {
      problem(
        `Must be at most 200 characters without '<', '>' or control characters, got '${value}'`,
      );
      return fallback;
    }
    return value ?? fallback;
  };
}

/** A label name (at most 100 characters, no control characters), else `fallback`. */
export function label(fallback: string): Reader<string> {
  return ({ value, problem }) => {
    if (value !== null && (value.length > 100 || /\p{Cc}/u.test(value))) {
      problem(
        "Must be a label name of at most 100 characters without control characters",
      );
      return fallback;
    }
    return value ?? fallback;
  };
}

/** A host name, `*.suffix` or `*`. */
const ALLOWED_HOST =
  /^(?:\*|(?:\*\.)?[a-z0-9_](?:[a-z0-9_-]*)(?:\.[a-z0-9_][a-z0-9_-]*)*)$/;

/** AOS_ALLOWED_HOSTS entries: lower case, no trailing dot. */
export function allowedHosts(): Reader<string[]> {
  return list({
    normalize: (entry) => entry.toLowerCase().replace(/\.$/, ""),
    problem: (host) =>
      ALLOWED_HOST.test(host)
        ? null
        : `Each entry must be a host name ('aos.example.com'), '*.suffix' or '*' — no scheme, port or path — got '${host}'`,
  });
}

/**
 * AOS_SETUP_HOST_PORTS: comma-separated TCP ports, never the API's own `port`
 * (a setup script would drive the API), or why not.
 */
export function hostPorts(
  raw: string | null,
  apiPort: number,
): number[] | string {
  if (raw === null || raw.trim() === "") return [];
  const ports: number[] = [];
  for (const part of raw.split(",").map((p) => p.trim())) {
    const value = /^\d{1,5}$/.test(part) ? Number(part) : NaN;
    if (!(value >= 1 && value <= 65535)) {
      return `Must be comma-separated TCP ports (1-65535), got '${part}'`;
    }
    if (value === apiPort) {
      return `Must not name the API's own port ${apiPort}: setup scripts would reach the API`;
    }
    ports.push(value);
  }
  return ports;
}

/**
 * AOS_NETWORK_TEST_TARGETS: comma-separated `host=address:port` (an IPv4
 * address), never the API's own `port` on a private address, or why not.
 */
export function testTargets(
  raw: string | null,
  apiPort: number,
): TestTarget[] | string {
  if (raw === null) return [];
  const targets: TestTarget[] = [];
  for (const part of raw.split(",").map((p) => p.trim()).filter(Boolean)) {
    const match = /^([^=\s]+)=(\d+\.\d+\.\d+\.\d+):(\d{1,5})$/.exec(part);
    const host = match?.[1]?.toLowerCase() ?? "";
    const address = match?.[2] ?? "";
    const port = Number(match?.[3]);
    if (
      !match || hostPatternProblem(host) !== null || host.startsWith("*.") ||
      !v4Octets(address) || !(port >= 1 && port <= 65535)
    ) {
      return `Must be comma-separated host=address:port (origin.test=127.0.0.1:8080), got '${part}'`;
    }
    if (port === apiPort && isPrivateAddress(address)) {
      return `Must not name the API's own port ${apiPort}: commands would reach the API`;
    }
    targets.push({ host, address, port });
  }
  return targets;
}

/** True for an http: or https: URL. */
export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}
