import {
  deepStrictEqual as assertEquals,
  ok as assert,
  throws,
} from "node:assert/strict";
import { HttpError } from "./errors.ts";
import { MAX_JSON_DEPTH, nestingOver, parseJsonBody } from "./json_body.ts";

const enc = new TextEncoder();

Deno.test("nestingOver() counts brackets outside strings only", () => {
  assertEquals(nestingOver(enc.encode('{"a":[1,{"b":2}]}'), 3), null);
  assertEquals(nestingOver(enc.encode('{"a":[1,{"b":2}]}'), 2), 8);
  // Brackets and escaped quotes inside strings are text.
  assertEquals(nestingOver(enc.encode('["[[[[\\"[[[[", "{{{{"]'), 1), null);
  assertEquals(nestingOver(enc.encode('["\\\\", [[]]]'), 2), 8);
  // Multi-byte characters never look like brackets.
  assertEquals(nestingOver(enc.encode('{"é\u{1F600}":[]}'), 2), null);
});

Deno.test("parseJsonBody() refuses 100,000-deep nesting with a 400, without overflowing", () => {
  for (
    const body of [
      "[".repeat(100_000) + "]".repeat(100_000),
      '{"a":'.repeat(100_000) + "1" + "}".repeat(100_000),
      // Unclosed: refused at the bound, not after reading to the end.
      '{"env":' + "[".repeat(1_000_000),
    ]
  ) {
    throws(() => parseJsonBody(enc.encode(body)), (error: unknown) => {
      assert(error instanceof HttpError);
      assertEquals(error.status, 400);
      assert(
        error.message.includes(`nested more than ${MAX_JSON_DEPTH} deep`),
        error.message,
      );
      return true;
    });
  }
  const ok = "[".repeat(MAX_JSON_DEPTH) + "]".repeat(MAX_JSON_DEPTH);
  assert(Array.isArray(parseJsonBody(enc.encode(ok))));
});

Deno.test("parseJsonBody() refuses bytes that are not UTF-8, even inside a string", () => {
  for (
    const bytes of [
      [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d], // {"a":"\xff"}
      [0x7b, 0x22, 0xc3, 0x22, 0x3a, 0x31, 0x7d], // truncated é in a key
      [0x22, 0xed, 0xa0, 0x80, 0x22], // an encoded surrogate
    ]
  ) {
    throws(() => parseJsonBody(new Uint8Array(bytes)), (error: unknown) => {
      assert(error instanceof HttpError);
      assertEquals(error.status, 400);
      assert(error.message.includes("not UTF-8"), error.message);
      return true;
    });
  }
  // One leading byte order mark is allowed (RFC 8259 §8.1).
  assertEquals(
    parseJsonBody(new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode("{}")])),
    {},
  );
});
