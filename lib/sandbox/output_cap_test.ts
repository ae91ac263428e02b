import assert from "node:assert/strict";
import { capOutput, CappedCollector } from "./output_cap.ts";

const encoder = new TextEncoder();

Deno.test("capOutput() leaves short text alone", () => {
  assert.deepEqual(capOutput("hello", 10), {
    text: "hello",
    truncated: false,
    bytes: 5,
  });
});

Deno.test("capOutput() keeps head and tail with a marker naming the omitted bytes", () => {
  const text = "a".repeat(50) + "b".repeat(100) + "c".repeat(50);
  const capped = capOutput(text, 100);
  assert.deepEqual(capped.truncated, true);
  assert.deepEqual(capped.bytes, 200);
  assert.deepEqual(
    capped.text,
    "a".repeat(50) + "\n… [AOS: 100 bytes omitted] …\n" + "c".repeat(50),
  );
});

Deno.test("capOutput() never splits a multi-byte character", () => {
  const text = "é".repeat(100); // 200 bytes
  const capped = capOutput(text, 51);
  assert.ok(!capped.text.includes("\uFFFD"), capped.text);
  const [head, tail] = capped.text.split(/\n… \[AOS: \d+ bytes omitted\] …\n/);
  assert.deepEqual(head, "é".repeat(12));
  assert.deepEqual(tail, "é".repeat(12));
  assert.ok(capped.text.includes("[AOS: 152 bytes omitted]"));
});

Deno.test("CappedCollector returns everything when under the budget", () => {
  const c = new CappedCollector(100);
  c.push(encoder.encode("hello "));
  c.push(encoder.encode("world"));
  assert.deepEqual(c.result(), {
    text: "hello world",
    truncated: false,
    bytes: 11,
  });
});

Deno.test("CappedCollector keeps exactly the budget without a marker", () => {
  const c = new CappedCollector(10);
  for (const ch of "0123456789") c.push(encoder.encode(ch));
  assert.deepEqual(c.result(), {
    text: "0123456789",
    truncated: false,
    bytes: 10,
  });
});

Deno.test("CappedCollector matches capOutput() for any chunking", () => {
  const text = Array.from({ length: 500 }, (_, i) => `line ${i} ✓\n`).join("");
  const expected = capOutput(text, 256);
  const bytes = encoder.encode(text);
  for (const size of [1, 3, 7, 64, 127, 128, 129, 1000, bytes.length]) {
    const c = new CappedCollector(256);
    for (let i = 0; i < bytes.length; i += size) {
      c.push(bytes.subarray(i, i + size));
    }
    assert.deepEqual(c.result(), expected, `chunk size ${size}`);
  }
});

Deno.test("CappedCollector handles a single huge chunk", () => {
  const c = new CappedCollector(20);
  c.push(encoder.encode("x".repeat(5) + "y".repeat(1000) + "z".repeat(10)));
  const result = c.result();
  assert.deepEqual(result.truncated, true);
  assert.deepEqual(result.bytes, 1015);
  assert.deepEqual(
    result.text,
    "xxxxxyyyyy\n… [AOS: 995 bytes omitted] …\nzzzzzzzzzz",
  );
});
