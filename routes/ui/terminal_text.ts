/**
 * Command output as HTML with its terminal colours: output is stored plain
 * now, but reports of older runs (and a command that forces colour past
 * NO_COLOR) still hold escape codes, which must read as colours, not as
 * `[1m[4m`. The output is hostile text: `ansi_up` escapes HTML, and
 * hyperlinks (OSC 8) are unwrapped to their text first, so no `href` —
 * `javascript:` or any other — ever comes from a command.
 */
import { AnsiUp } from "ansi_up";
import { raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

// An OSC 8 hyperlink opener or closer; BEL or ST ends it. Linear: no nesting.
// deno-lint-ignore no-control-regex -- escape sequences are what is matched
const HYPERLINK = /\u001b\]8;[^\u0007\u001b]*(?:\u0007|\u001b\\)/g;

/** `text` as escaped HTML with its SGR colours as `ansi-*` classes. */
export function terminalHtml(text: string): HtmlEscapedString {
  const converter = new AnsiUp();
  converter.use_classes = true;
  converter.url_allowlist = {};
  const html = converter.ansi_to_html(text.replace(HYPERLINK, ""));
  return raw(html) as HtmlEscapedString;
}
