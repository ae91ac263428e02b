/**
 * Dashboard sign-in sessions in KV. The cookie carries a random session id;
 * KV keeps only its SHA-256, so a copy of the store holds no usable cookie.
 * Each session remembers a digest of the API token it was opened with, so
 * rotating AOS_API_TOKEN ends every session.
 */

/** A signed-in dashboard session. */
export interface Session {
  /** The anti-CSRF token that state-changing requests must echo. */
  csrf: string;
  /** SHA-256 (hex) of the API token the session was opened with. */
  token_digest: string;
  created_at: string;
  /** Epoch ms after which the session is void. */
  expires_at: number;
}

/** Hex SHA-256 of a string. */
export async function sha256Hex(text: string): Promise<string> {
  const bytes = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A random, URL-safe secret of `bytes` bytes. */
export function randomSecret(bytes = 32): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...raw)).replace(/\+/g, "-").replace(
    /\//g,
    "_",
  ).replace(/=+$/, "");
}

/** Opens, reads and ends sessions under `[...prefix, "ui_session"]`. */
export class SessionStore {
  constructor(
    readonly kv: Deno.Kv,
    readonly prefix: Deno.KvKey = ["aos"],
  ) {}

  async #key(id: string): Promise<Deno.KvKey> {
    return [...this.prefix, "ui_session", await sha256Hex(id)];
  }

  /** Opens a session for `tokenDigest` lasting `ttlMs`; returns its id (the cookie value). */
  async open(
    tokenDigest: string,
    ttlMs: number,
    now = Date.now(),
  ): Promise<{ id: string; session: Session }> {
    const id = randomSecret();
    const session: Session = {
      csrf: randomSecret(),
      token_digest: tokenDigest,
      created_at: new Date(now).toISOString(),
      expires_at: now + ttlMs,
    };
    await this.kv.set(await this.#key(id), session, { expireIn: ttlMs });
    return { id, session };
  }

  /** The live session with this id, or null (unknown, ended or expired). */
  async find(id: string, now = Date.now()): Promise<Session | null> {
    if (!/^[A-Za-z0-9_-]{20,128}$/.test(id)) return null;
    const entry = await this.kv.get<Session>(await this.#key(id));
    // expireIn is a hint to the backend; the stored deadline is what counts.
    if (entry.value === null || entry.value.expires_at <= now) return null;
    return entry.value;
  }

  /** Ends a session; a no-op for an unknown id. */
  async close(id: string): Promise<void> {
    if (!/^[A-Za-z0-9_-]{20,128}$/.test(id)) return;
    await this.kv.delete(await this.#key(id));
  }
}
