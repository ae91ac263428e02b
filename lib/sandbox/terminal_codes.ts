/**
 * Command output without terminal escape codes: colours, cursor moves and
 * OSC sequences (titles, hyperlinks) mean nothing to the model and clutter
 * stored reports. Commands are asked for plain output (`NO_COLOR=1`,
 * `TERM=dumb`), but many tools colour anyway, so what is kept is stripped here.
 */
import stripAnsi from "strip-ansi";

/** `text` without ANSI/VT escape sequences. */
export function stripTerminalCodes(text: string): string {
  return text.includes("\u001b") || text.includes("\u009b")
    ? stripAnsi(text)
    : text;
}
