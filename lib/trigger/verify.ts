/**
 * Delivery signatures with the host's `webhook_secret`: GitHub's
 * `X-Hub-Signature-256: sha256=HEX` and Gitea's `X-Gitea-Signature: HEX`
 * (HMAC-SHA256 of the raw body), GitLab's `X-Gitlab-Token` (the secret
 * itself). Every comparison is constant-time.
 */
import { timingSafeEqual } from "node:crypto";

const encoder = new TextEncoder();

/** HMAC-SHA256 of `body` under `secret`, lower-case hex. */
export async function hmacHex(
  secret: string,
  body: Uint8Array<ArrayBuffer>,
): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, body));
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Constant-time equality of two strings (their lengths may differ: then false, still comparing). */
export function sameSecret(given: string, expected: string): boolean {
  const a = encoder.encode(given);
  const b = encoder.encode(expected);
  // Equal lengths for timingSafeEqual; a length mismatch still costs one compare.
  if (a.length !== b.length) {
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}

/** Whether `header` (`sha256=HEX` when `prefix`, else `HEX`) signs `body` with `secret`. */
export async function verifyHmac(
  header: string | null,
  body: Uint8Array<ArrayBuffer>,
  secret: string,
  prefix: string,
): Promise<boolean> {
  if (header === null || !header.startsWith(prefix)) return false;
  const given = header.slice(prefix.length).trim().toLowerCase();
  return sameSecret(given, await hmacHex(secret, body));
}
