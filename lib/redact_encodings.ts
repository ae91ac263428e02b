/**
 * The encoded forms of a secret that redaction must also catch: a command
 * that prints `base64 creds.json`, `xxd -p`, or a URL-encoded token would
 * otherwise carry the secret past a plain string match.
 */

/** Encoded forms shorter than this are not searched for (they would hit ordinary text). */
export const MIN_ENCODED_LENGTH = 8;

const STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/**
 * Every form of `secret` that appears verbatim inside a larger encoded text:
 * the base64 characters determined by the secret's bytes alone at each of the
 * three byte alignments (so the secret is found inside a longer base64
 * stream, say a whole credentials file), in the standard and the URL-safe
 * alphabet; hex, lower and upper case; percent-encoding, as
 * encodeURIComponent writes it and with every byte escaped, either case.
 */
export function encodedForms(secret: string): string[] {
  const bytes = new TextEncoder().encode(secret);
  const forms = new Set<string>();
  for (let align = 0; align < 3; align++) {
    const core = base64Core(bytes, align);
    forms.add(core);
    forms.add(core.replaceAll("+", "-").replaceAll("/", "_"));
  }
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0"))
    .join("");
  forms.add(hex);
  forms.add(hex.toUpperCase());
  const uri = encodeURIComponent(secret);
  forms.add(uri);
  forms.add(uri.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()));
  const everyByte = hex.replace(/../g, "%$&");
  forms.add(everyByte);
  forms.add(everyByte.toUpperCase());
  forms.delete(secret);
  return [...forms].filter((f) => f.length >= MIN_ENCODED_LENGTH);
}

/**
 * The base64 characters of `bytes` preceded by `align` unknown bytes: the
 * characters whose six bits all come from `bytes`, without the partial ones
 * at either end that depend on what surrounds them.
 */
function base64Core(bytes: Uint8Array, align: number): string {
  const startBit = align * 8;
  const endBit = startBit + bytes.length * 8;
  let out = "";
  // Character i covers bits [6i, 6i + 6) of the stream.
  for (let i = Math.ceil(startBit / 6); (i + 1) * 6 <= endBit; i++) {
    let value = 0;
    for (let bit = i * 6; bit < i * 6 + 6; bit++) {
      const byte = bytes[(bit - startBit) >> 3] ?? 0;
      value = (value << 1) | ((byte >> (7 - ((bit - startBit) & 7))) & 1);
    }
    out += STD[value];
  }
  return out;
}
