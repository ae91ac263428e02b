import assert from "node:assert/strict";
import { encodedForms, MIN_ENCODED_LENGTH } from "./redact_encodings.ts";

const SECRET = "ghp_TESTSECRET0123456789abcdefABCDEF0123";
const utf8Base64 = (text: string) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(text)));

Deno.test("encodedForms() finds the secret inside any base64 stream, at every byte offset, in both alphabets", () => {
  const forms = encodedForms(SECRET);
  for (let before = 0; before < 6; before++) {
    for (let after = 0; after < 4; after++) {
      const stream = utf8Base64(
        `{"token":"`.slice(0, before) + SECRET + `"}\n`.slice(0, after),
      );
      const urlSafe = stream.replaceAll("+", "-").replaceAll("/", "_");
      assert.ok(forms.some((f) => stream.includes(f)), `${before}/${after}`);
      assert.ok(forms.some((f) => urlSafe.includes(f)), `${before}/${after}`);
    }
  }
});

Deno.test("encodedForms() holds hex and percent-encodings in both cases", () => {
  const secret = "p@ss/w0rd+secret é";
  const forms = encodedForms(secret);
  const hex = Array.from(
    new TextEncoder().encode(secret),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  for (
    const form of [
      hex,
      hex.toUpperCase(),
      encodeURIComponent(secret),
      encodeURIComponent(secret).replace(
        /%[0-9A-F]{2}/g,
        (e) => e.toLowerCase(),
      ),
      hex.replace(/../g, "%$&"),
    ]
  ) {
    assert.ok(
      forms.some((f) => form.includes(f)),
      `${form} not covered by ${JSON.stringify(forms)}`,
    );
  }
  assert.ok(forms.every((f) => f.length >= MIN_ENCODED_LENGTH));
  assert.ok(!forms.includes(secret));
});
