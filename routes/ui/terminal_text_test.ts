import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { terminalHtml } from "./terminal_text.ts";

Deno.test("terminalHtml() renders colours as classes", () => {
  assertEquals(
    String(terminalHtml("\u001b[31mred\u001b[0m plain")),
    '<span class="ansi-red-fg">red</span> plain',
  );
});

Deno.test("terminalHtml() never turns hostile output into markup", () => {
  const html = String(terminalHtml(
    '<script>alert(1)</script><img src=x onerror=alert(1)>"&' +
      "\u001b]8;;javascript:alert(1)\u0007click\u001b]8;;\u0007 " +
      '\u001b]8;;https://evil.example/"onclick=alert(1)\u001b\\link\u001b]8;;\u001b\\' +
      "\u001b[31m<b>x</b>\u001b[0m",
  ));
  // The only markup is the colour span; everything else is escaped text.
  const markup = html.replaceAll('<span class="ansi-red-fg">', "")
    .replaceAll("</span>", "");
  assert(!/[<>]/.test(markup), html);
  assert(!/href|javascript:/i.test(html), html);
  assert(html.includes("&lt;script&gt;"), html);
  assert(html.includes("click") && html.includes("link"), html);
});
