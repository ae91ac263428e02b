import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { stripTerminalCodes } from "./terminal_codes.ts";

Deno.test("stripTerminalCodes() removes colours, cursor moves and OSC hyperlinks", () => {
  assertEquals(
    stripTerminalCodes(
      "\u001b[1m\u001b[4mbold\u001b[0m \u001b[2K\u001b[1Gline " +
        "\u001b]8;;javascript:alert(1)\u0007link\u001b]8;;\u0007 " +
        "\u001b]0;title\u001b\\done\n",
    ),
    "bold line link done\n",
  );
});

Deno.test("stripTerminalCodes() leaves text without escape codes as it is", () => {
  const text = "<script>alert(1)</script> 100% [ok]\n";
  assertEquals(stripTerminalCodes(text), text);
});
