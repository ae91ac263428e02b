/** Removes secrets (known values, their encodings, and well-known token shapes) from text and data. */
import { encodedForms } from "./redact_encodings.ts";

/** What a secret is replaced with. */
export const REDACTED = "[REDACTED]";

/** Known secrets shorter than this are not redacted (too likely to hit ordinary text). */
const MIN_SECRET_LENGTH = 4;

/** Token shapes redacted wherever they appear, whatever their value. */
const PATTERNS: [RegExp, string][] = [
  // `http.extraHeader=Authorization: Basic …` and `extraheader = AUTHORIZATION: …` in git output.
  [/(extraheader\s*[=:]?\s*)[^\r\n]+/gi, `$1${REDACTED}`],
  // A placeholder (`<AOS_API_TOKEN>`, `$TOKEN`, `${TOKEN}`) is documentation,
  // not a secret: help texts that show the header stay readable.
  [
    /\b(authorization\s*[:=]\s*)(?:(?:basic|bearer|token|digest)\s+)?(?!(?:basic|bearer|token|digest)\s|(?:<[\w.-]+>|\$\{?[A-Za-z_]\w*\}?)(?![^\s"',;]))[^\s"',;]+/gi,
    `$1${REDACTED}`,
  ],
  [/\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, `$1${REDACTED}`],
  [/\bsk-[A-Za-z0-9_-]{16,}/g, REDACTED],
  [/\b(?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{16,}/g, REDACTED],
  [/\bgithub_pat_[A-Za-z0-9_]{16,}/g, REDACTED],
];

/**
 * Credentials in a URL's userinfo: `scheme://user:pass@host` and `scheme://token@host`.
 * A bare `git@` user in ssh URLs names no secret and is kept. The scheme
 * starts only where a run of scheme characters starts (not at every `\b`
 * inside `a.a.a.a…`, which made the search quadratic: 200 KB took a minute).
 */
const URL_CREDENTIALS =
  /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/)([^\s/@?#"'<>]+)@/gi;

function redactUrlCredentials(text: string): string {
  return text.replace(
    URL_CREDENTIALS,
    (match, scheme: string, userinfo: string) => {
      if (userinfo === REDACTED) return match;
      if (
        !userinfo.includes(":") &&
        /^(?:ssh|git\+ssh|ssh\+git):\/\/$/i.test(scheme)
      ) {
        return match;
      }
      return `${scheme}${REDACTED}@`;
    },
  );
}

/** `url` with any credentials in it replaced by `[REDACTED]`. */
export function redactUrl(url: string): string {
  return redactUrlCredentials(url);
}

/**
 * Whole lines of base64/hex/percent-encoded text (`base64` wraps at 76
 * characters, `xxd -p` at 60): joined before searching, so a secret split by
 * a line break is still found.
 */
const WRAPPED = /^[A-Za-z0-9+/=_%-]{16,}\r?$(?:\n[A-Za-z0-9+/=_%-]+\r?$)+/gm;

/** Redacts a fixed set of secret values, their encoded forms, and generic token patterns. */
export class Redactor {
  /** Every known value in one alternation, longest first: one pass over the text. */
  readonly #known: RegExp | null;

  constructor(secrets: (string | null | undefined)[]) {
    const values = new Set<string>();
    for (const secret of secrets) {
      if (
        typeof secret !== "string" || secret.trim().length < MIN_SECRET_LENGTH
      ) continue;
      for (const form of new Set([secret, secret.trim()])) {
        values.add(form);
        for (const encoded of encodedForms(form)) values.add(encoded);
      }
      // The form a token takes inside an HTTP basic auth header.
      values.add(base64(`x-access-token:${secret}`));
    }
    // Longest first, so a secret containing another is replaced whole.
    const known = [...values].filter((v) => v.length >= MIN_SECRET_LENGTH)
      .sort((a, b) => b.length - a.length);
    const alternation = known.map((v) =>
      v.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")
    ).join("|");
    this.#known = known.length === 0 ? null : new RegExp(alternation, "g");
  }

  /** `text` with every known secret and token-shaped string replaced by `[REDACTED]`. */
  redact(text: string): string {
    let out = this.redactKnown(text);
    for (const [pattern, replacement] of PATTERNS) {
      out = out.replace(pattern, replacement);
    }
    return redactUrlCredentials(out);
  }

  /**
   * `text` with only the known secret values replaced: for content that must
   * stay usable (files an agent writes), where token-shaped test fixtures or
   * example URLs with credentials are legitimate.
   */
  redactKnown(text: string): string {
    const known = this.#known;
    if (known === null) return text;
    const out = text.replace(known, REDACTED);
    // A second, cheap pass only over whole lines of encoded text.
    if (!out.includes("\n")) return out;
    return out.replace(WRAPPED, (wrapped) => {
      const joined = wrapped.replace(/\r?\n/g, "");
      const redacted = joined.replace(known, REDACTED);
      return redacted === joined ? wrapped : redacted;
    });
  }

  /** A copy of `value` with every string in it (nested arrays and plain objects) redacted. */
  redactDeep<T>(value: T): T {
    return this.#deep(value, new WeakMap()) as T;
  }

  #deep(value: unknown, seen: WeakMap<object, unknown>): unknown {
    if (typeof value === "string") return this.redact(value);
    if (typeof value !== "object" || value === null) return value;
    const done = seen.get(value);
    if (done !== undefined) return done;
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      seen.set(value, out);
      for (const item of value) out.push(this.#deep(item, seen));
      return out;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      // Errors carry their text in non-enumerable fields; keep the class, redact the text.
      if (value instanceof Error) return this.#error(value);
      return value;
    }
    const out: Record<string, unknown> = {};
    seen.set(value, out);
    for (const [key, item] of Object.entries(value)) {
      out[key] = this.#deep(item, seen);
    }
    return out;
  }

  #error(error: Error): Error {
    const copy = new Error(this.redact(error.message));
    copy.name = error.name;
    if (error.stack) copy.stack = this.redact(error.stack);
    return copy;
  }
}

/** Standard base64 of `text`'s UTF-8 bytes (btoa alone refuses characters past U+00FF). */
function base64(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}
