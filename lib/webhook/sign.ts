/** Webhook signatures: `sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`. */

const encoder = new TextEncoder();

/** The `X-AOS-Signature-256` value for `body` sent at `timestamp` (unix seconds). */
export async function signWebhook(
  secret: string,
  timestamp: string,
  body: string,
): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign(
    "HMAC",
    key,
    encoder.encode(`${timestamp}.${body}`),
  );
  const hex = Array.from(
    new Uint8Array(mac),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  return `sha256=${hex}`;
}

/**
 * True when `signature` is the right one for `body` at `timestamp`: what a
 * receiver does (compared in constant time).
 */
export async function verifyWebhook(
  secret: string,
  timestamp: string,
  body: string,
  signature: string,
): Promise<boolean> {
  const expected = await signWebhook(secret, timestamp, body);
  if (expected.length !== signature.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) {
    diff |= expected.charCodeAt(i) ^ signature.charCodeAt(i);
  }
  return diff === 0;
}
